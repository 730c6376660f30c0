"""Paragraphs written as WordprocessingML text and added to a python-docx document at once.

python-docx builds every paragraph, run and property as its own lxml element, looking up
where each child goes in the schema: for a draft of 5,000 proposals (25,000 paragraphs) that
is most of the time the DOCX takes. The draft's chapters only need paragraphs with a style,
an alignment and runs that are bold, italic or muted, so they are written here as the XML
python-docx would produce, parsed once and put before the body's closing section properties.
The document keeps its structure: the same built-in styles (Heading 1–3, List Bullet), the
same runs, readable by python-docx and by Word."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional
from xml.sax.saxutils import escape

from docx.oxml.parser import parse_xml

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#: Characters XML 1.0 does not allow (a pasted text may carry them), deleted by translate().
_INVALID = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF])
_LINES = re.compile(r"\r\n|\r|\n")


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
    parts = []
    text = run.text.translate(_INVALID)
    lines = _LINES.split(text) if "\n" in text or "\r" in text else [text]
    for index, line in enumerate(lines):
        if index:
            parts.append("<w:br/>")
        for number, piece in enumerate(line.split("\t") if "\t" in line else [line]):
            if number:
                parts.append("<w:tab/>")
            if piece:
                parts.append(f'<w:t xml:space="preserve">{escape(piece)}</w:t>')
    return f"<w:r>{f'<w:rPr>{props}</w:rPr>' if props else ''}{''.join(parts)}</w:r>"


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
    """Collects paragraphs as XML text; ``flush_into`` adds them to the document in order."""

    def __init__(self, document):
        self._document = document
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
        """Parse what was collected once and put it before the body's section properties."""
        if not self._parts:
            return
        body = parse_xml(f'<w:body xmlns:w="{W_NS}">{"".join(self._parts)}</w:body>')
        self._parts = []
        end = self._document.element.body.sectPr
        for child in list(body):
            end.addprevious(child)
