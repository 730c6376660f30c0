"""Paragraphs written as WordprocessingML text and added to a python-docx document at once.

python-docx builds every paragraph, run and property as its own lxml element, looking up
where each child goes in the schema: for a draft of 5,000 proposals (25,000 paragraphs) that
is most of the time the DOCX takes. The draft's chapters only need paragraphs with a style,
an alignment and runs that are bold, italic or muted, so they are written here as the XML
python-docx would produce. By default they are parsed once and put before the body's closing
section properties; with ``splice=True`` (the draft) they are never parsed at all: a one-run
placeholder paragraph stands in the tree and the text replaces it when the document part is
serialised (parsing 25,000 paragraphs into lxml and serialising them again was a quarter of
the DOCX). The document keeps its structure: the same built-in styles (Heading 1–3, List
Bullet), the same runs, readable by python-docx and by Word."""
from __future__ import annotations

import itertools
import re
import secrets
from dataclasses import dataclass
from typing import Iterable, Optional
from xml.sax.saxutils import escape

from docx.opc.oxml import serialize_part_xml
from docx.oxml.parser import parse_xml
from docx.parts.document import DocumentPart

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#: Characters XML 1.0 does not allow (a pasted text may carry them), deleted by translate().
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LINES = re.compile(r"\r\n|\r|\n")
#: What a run's text needs besides escaping: deleted characters, line breaks or tabs.
_SPECIAL = re.compile("[\x00-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Run:
    text: str
    bold: bool = False
    italic: bool = False
    color: Optional[str] = None  # "4F5B6B"


def run_xml(run: Run) -> str:
    """One w:r: its properties, its text with line breaks and tabs as Word writes them."""
    props = ("<w:b/>" if run.bold else "") + ("<w:i/>" if run.italic else "") + \
        (f'<w:color w:val="{run.color}"/>' if run.color else "")
    rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
    text = run.text
    if text and _SPECIAL.search(text) is None:  # most text: one w:t
        return f'<w:r>{rpr}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'
    parts = []
    text = _INVALID.sub("", text)
    for index, line in enumerate(_LINES.split(text)):
        if index:
            parts.append("<w:br/>")
        for number, piece in enumerate(line.split("\t")):
            if number:
                parts.append("<w:tab/>")
            if piece:
                parts.append(f'<w:t xml:space="preserve">{escape(piece)}</w:t>')
    return f"<w:r>{rpr}{''.join(parts)}</w:r>"


def paragraph_xml(runs: Iterable[Run], style_id: Optional[str] = None,
                  align: Optional[str] = None, space_after: Optional[float] = None,
                  bookmark: Optional[tuple[int, str]] = None) -> str:
    """One w:p with an optional style id (``Heading2``), space after (points) and alignment
    (``center``), its properties in the schema's order."""
    props = (f'<w:pStyle w:val="{style_id}"/>' if style_id else "") + \
        (f'<w:spacing w:after="{round(space_after * 20)}"/>' if space_after is not None
         else "") + \
        (f'<w:jc w:val="{align}"/>' if align else "")
    body = "".join(run_xml(run) for run in runs if run.text)
    if bookmark:
        number, name = bookmark
        body = (f'<w:bookmarkStart w:id="{number}" w:name="{escape(name)}"/>{body}'
                f'<w:bookmarkEnd w:id="{number}"/>')
    return f"<w:p>{f'<w:pPr>{props}</w:pPr>' if props else ''}{body}</w:p>"


def field_xml(instruction: str, shown: str = "") -> str:
    """The runs of a field (begin, instruction, separate, the value shown until it is
    updated, end), marked dirty so the reader computes it on opening."""
    return ('<w:r><w:fldChar w:fldCharType="begin" w:dirty="true"/></w:r>'
            f'<w:r><w:instrText xml:space="preserve"> {escape(instruction)} </w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            f'<w:r><w:t xml:space="preserve">{escape(shown)}</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r>')


class ParagraphBuffer:
    """Collects paragraphs as XML text; ``flush_into`` adds them to the document in order
    (parsed, or with ``splice`` as text put in when the document is saved)."""

    def __init__(self, document, splice: bool = False):
        self._document = document
        self._splice = splice
        self._style_ids: dict[str, str] = {}
        self._parts: list[str] = []

    def style_id(self, name: str) -> str:
        if name not in self._style_ids:
            self._style_ids[name] = self._document.styles[name].style_id
        return self._style_ids[name]

    def add(self, runs: Iterable[Run], style: Optional[str] = None, align: Optional[str] = None,
            space_after: Optional[float] = None,
            bookmark: Optional[tuple[int, str]] = None) -> None:
        self._parts.append(paragraph_xml(runs, self.style_id(style) if style else None, align,
                                         space_after, bookmark))

    def flush_into(self) -> None:
        """Put what was collected before the body's section properties."""
        if not self._parts:
            return
        text, self._parts = "".join(self._parts), []
        end = self._document.element.body.sectPr
        if self._splice:
            end.addprevious(splice_placeholder(self._document, text))
            return
        body = parse_xml(f'<w:body xmlns:w="{W_NS}">{text}</w:body>')
        for child in list(body):
            end.addprevious(child)


class SplicingDocumentPart(DocumentPart):
    """The main document part whose placeholders are replaced by their text on saving."""

    _spliced: dict[str, str]

    @property
    def blob(self) -> bytes:
        xml = serialize_part_xml(self._element)
        if not self._spliced:
            return xml
        pieces = re.split(b"(" + b"|".join(re.escape(placeholder_xml(token).encode())
                                           for token in self._spliced) + b")", xml)
        found = {piece for piece in pieces[1::2]}
        if len(pieces) != 2 * len(self._spliced) + 1 or len(found) != len(self._spliced):
            raise RuntimeError("a spliced paragraph placeholder was lost or copied")
        texts = {placeholder_xml(t).encode(): text.encode() for t, text in self._spliced.items()}
        return b"".join(texts[piece] if index % 2 else piece
                        for index, piece in enumerate(pieces))


_tokens = itertools.count(1)


def placeholder_xml(token: str) -> str:
    """How lxml serialises the placeholder paragraph inside the document (w: declared on the
    root)."""
    return f"<w:p><w:r><w:t>{token}</w:t></w:r></w:p>"


def splice_placeholder(document, text: str):
    """A placeholder paragraph for ``text``, registered with the document's part (switched to
    SplicingDocumentPart, which puts the text in its place when the document is saved)."""
    part = document.part
    if not isinstance(part, SplicingDocumentPart):
        part.__class__ = SplicingDocumentPart
        part._spliced = {}
    token = f"splice-{secrets.token_hex(8)}-{next(_tokens)}"
    part._spliced[token] = text
    return parse_xml(f'<w:p xmlns:w="{W_NS}"><w:r><w:t>{token}</w:t></w:r></w:p>')
