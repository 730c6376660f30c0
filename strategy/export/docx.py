"""The strategy draft as a DOCX file (python-docx): real Heading 1/2/3 styles, a contents whose
page numbers Word and LibreOffice fill on opening (PAGEREF fields to bookmarked headings,
settings.xml's updateFields), page numbers in the footer, a title page, a chapter
per track, a heading per section and per proposal (with agreement, partners and expected
results), an appendix with statistics and the method note, and an index of partners. All text
goes through Russian typography (« », nbsp before dashes)."""
from __future__ import annotations

import io
import re
from typing import Optional
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.parser import parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from flask_babel import format_date
from flask_babel import gettext as _

from strategy.core.templating import count_word, format_date_range, to_event_time
from strategy.core.typography import NBSP, typograph
from strategy.events.models import Event, Track
from strategy.export.agreement import Agreement
from strategy.export.charts import CHARTS, chart, chart_titles
from strategy.export.drafts import (ExportData, SectionView, author_line, load_export_data,
                                    partner_index, section_views, statistics,
                                    track_totals_table)
from strategy.export.method import method_paragraphs
from strategy.export.wordml import W_NS, ParagraphBuffer, Run, field_xml
from strategy.polls.queries import polls_for_export, result_rows
from strategy.programme.queries import programme_appendix
from strategy.discussion.queries import published_by_workspace_section
from strategy.workspace.models import FEW_PROPOSALS, FEW_SUPPORTS

DOCUMENT_TITLE = "Проект стратегии развития библиотек Иркутской области"
MUTED = RGBColor(0x4F, 0x5B, 0x6B)
MUTED_HEX = "4F5B6B"
ALIGNMENTS = {WD_ALIGN_PARAGRAPH.CENTER: "center", WD_ALIGN_PARAGRAPH.RIGHT: "right"}


# --------------------------------------------------------------------------- document setup


def new_document() -> Document:
    """A4, Russian language, serif body text; heading styles kept as Word's built-ins."""
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin, section.right_margin = Cm(2.5), Cm(1.5)
    section.top_margin = section.bottom_margin = Cm(2.0)
    normal = document.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(12)
    set_language(normal, "ru-RU")
    normal.paragraph_format.space_after = Pt(4)
    for name, size in (("Heading 1", 16), ("Heading 2", 14), ("Heading 3", 12), ("Title", 24),
                       ("Caption", 10), ("Quote", 12)):
        style = document.styles[name]
        style.font.name = "Times New Roman"
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0x1C, 0x24, 0x30)
        set_language(style, "ru-RU")
    ask_to_update_fields(document)
    add_page_numbers(section)
    return document


#: What follows w:updateFields in settings.xml (the schema fixes the order; Word checks it).
AFTER_UPDATE_FIELDS = ("w:hdrShapeDefaults", "w:footnotePr", "w:endnotePr", "w:compat",
                       "w:docVars", "w:rsids", "m:mathPr", "w:attachedSchema",
                       "w:themeFontLang", "w:clrSchemeMapping", "w:doNotIncludeSubdocsInStats",
                       "w:doNotAutoCompressPictures", "w:forceUpgrade", "w:captions",
                       "w:readModeInkLockDown", "w:smartTagType", "sl:schemaLibrary",
                       "w:shapeDefaults", "w:doNotEmbedSmartTags", "w:decimalSymbol",
                       "w:listSeparator")


def ask_to_update_fields(document) -> None:
    """settings.xml's w:updateFields: the reader refreshes the contents and page fields on
    opening."""
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    document.settings.element.insert_element_before(update, *AFTER_UPDATE_FIELDS)


def field_runs(instruction: str, shown: str = "") -> list:
    """The runs of a field (begin, instruction, separate, the value shown until it is
    updated, end), marked dirty so the reader computes it on opening."""
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    begin.set(qn("w:dirty"), "true")
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    value = OxmlElement("w:t")
    value.text = shown
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    runs = []
    for child in (begin, code, separate, value, end):
        run = OxmlElement("w:r")
        run.append(child)
        runs.append(run)
    return runs


def add_page_numbers(section) -> None:
    """The page number (a PAGE field) centred in the footer; none on the title page."""
    section.different_first_page_header_footer = True
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for run in field_runs("PAGE", "1"):
        paragraph._p.append(run)


class FastDocument:
    """The Document API we use, with paragraphs appended in constant time.

    python-docx looks up the body's closing sectPr and the style id by name for every new
    paragraph, which scans the whole body and all styles: quadratic for a draft with 5,000
    proposals. Here both are looked up once; everything else is the python-docx Document."""

    def __init__(self, document: Document):
        self._document = document
        self._end = document.element.body.sectPr
        self._style_ids: dict[str, str] = {}

    def __getattr__(self, name):
        return getattr(self._document, name)

    def style_id(self, name: str) -> str:
        if name not in self._style_ids:
            self._style_ids[name] = self._document.styles[name].style_id
        return self._style_ids[name]

    def add_paragraph(self, text: str = "", style: Optional[str] = None) -> Paragraph:
        element = OxmlElement("w:p")
        self._end.addprevious(element)
        if style:
            element.style = self.style_id(style)
        paragraph = Paragraph(element, self._document._body)
        if text:
            paragraph.add_run(text)
        return paragraph

    def add_heading(self, text: str, level: int) -> Paragraph:
        return self.add_paragraph(text, "Title" if level == 0 else f"Heading {level}")


def set_language(style, language: str) -> None:
    """Spelling and hyphenation in Russian; the font named for every script, and the theme
    fonts of the built-in styles removed (they would win over the named font)."""
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), style.font.name or "Times New Roman")
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    lang.set(qn("w:val"), language)


#: The text width of an A4 page with the draft's margins, in twips (for the right tab stop).
TEXT_WIDTH_TWIPS = round((21.0 - 2.5 - 1.5) / 2.54 * 1440)


class Contents:
    """The contents, collected while the headings are written: each Heading 1–2 gets a
    bookmark, and its entry a PAGEREF field to it (dirty). LibreOffice computes such a field
    when it opens the file and Word on opening (settings.xml asks it to update fields), so
    both show the page numbers; a TOC field would stay as the file left it in LibreOffice
    (it shows only the headings until «Обновить всё»). Each entry also links to its heading."""

    def __init__(self):
        self.entries: list[tuple[int, str, str]] = []

    def mark(self, level: int, text: str) -> tuple[int, str]:
        """A bookmark (id, name) for a heading that the contents lists."""
        self.entries.append((level, text, f"_Toc{len(self.entries) + 1:05d}"))
        return len(self.entries), self.entries[-1][2]

    def xml(self) -> str:
        paragraphs = []
        for level, text, name in self.entries:
            bold = "<w:rPr><w:b/></w:rPr>" if level == 1 else ""
            indent = round(Cm(0.8 * (level - 1)).twips)
            page = field_xml(f"PAGEREF {name} \\h")
            paragraphs.append(
                f'<w:p><w:pPr><w:tabs><w:tab w:val="right" w:leader="dot" '
                f'w:pos="{TEXT_WIDTH_TWIPS}"/></w:tabs><w:spacing w:after="40"/>'
                f'<w:ind w:left="{indent}"/></w:pPr>'
                f'<w:hyperlink w:anchor="{name}" w:history="1">'
                f'<w:r>{bold}<w:t xml:space="preserve">{escape(typograph(text))}</w:t></w:r>'
                f"<w:r><w:tab/></w:r>{page}</w:hyperlink></w:p>")
        return "".join(paragraphs)

    def insert_before(self, element) -> None:
        body = parse_xml(f'<w:body xmlns:w="{W_NS}">{self.xml()}</w:body>')
        for child in list(body):
            element.addprevious(child)


def add_bookmark(paragraph_element, bookmark_id: int, name: str) -> None:
    """A bookmark around a python-docx paragraph's content."""
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(bookmark_id))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(bookmark_id))
    properties = paragraph_element.pPr
    if properties is not None:
        properties.addnext(start)
    else:
        paragraph_element.insert(0, start)
    paragraph_element.append(end)


def para(document, text: str = "", *, style: Optional[str] = None, bold_lead: str = "",
         italic: bool = False, muted: bool = False, align=None,
         space_after: Optional[float] = None, keep_together: bool = True):
    """A paragraph with an optional bold lead-in; text is typographed, and names and dates
    are kept on one line unless keep_together is off (long running text, where a break
    matters little and the check costs most). Into a ParagraphBuffer (the chapters) it is
    written as XML and nothing is returned."""
    glue = keep_names_together if keep_together else str
    lead = keep_names_together(typograph(bold_lead)) if bold_lead else ""
    body = glue(typograph(text)) if text else ""
    if isinstance(document, ParagraphBuffer):
        document.add([Run(lead, bold=True),
                      Run(body, italic=italic, color=MUTED_HEX if muted else None)],
                     style, ALIGNMENTS.get(align), space_after)
        return None
    paragraph = document.add_paragraph(style=style)
    if lead:
        paragraph.add_run(lead).bold = True
    if body:
        run = paragraph.add_run(body)
        run.italic = italic
        if muted:
            run.font.color.rgb = MUTED
    if align is not None:
        paragraph.alignment = align
    if space_after is not None:
        paragraph.paragraph_format.space_after = Pt(space_after)
    return paragraph


def heading(document, text: str, level: int, contents: Optional[Contents] = None):
    """A heading; with ``contents`` it is bookmarked and listed there."""
    mark = contents.mark(level, text) if contents is not None else None
    if isinstance(document, ParagraphBuffer):
        document.add([Run(typograph(text))], f"Heading {level}", bookmark=mark)
        return None
    paragraph = document.add_heading(typograph(text), level=level)
    if mark:
        add_bookmark(paragraph._p, *mark)
    return paragraph


# --------------------------------------------------------------------------- content


def organiser_name(event: Event) -> str:
    """The organising library, as the event's place names it first («… библиотека им. …,
    ул. …»); empty when the place does not start with a library."""
    first = (event.place or "").split(",")[0].strip()
    return first if "библиотек" in first.casefold() else ""


def place_lines(event: Event) -> list[str]:
    """The place on the title page: the organiser on one line, the address on the next."""
    organiser = organiser_name(event)
    if not organiser:
        return [event.place] if event.place else []
    address = event.place[len(organiser):].lstrip(" ,")
    return [organiser] + ([address] if address else [])


_INITIAL = re.compile(r"\b([А-ЯЁA-Z]\.)\s+(?=[А-ЯЁA-Z])")
_ABBREVIATION = re.compile(r"\b(им|ул|д|г|пр|пер|просп|пл|с|п|рп|пгт)\.\s+", re.IGNORECASE)
_DAY_MONTH = re.compile(r"(\d)\s+(?=[а-яё]+\s+\d{4})|(?<=[а-яё])\s+(?=\d{4}\b)")
_DOT_OR_DIGIT = re.compile(r"[.\d]")


def keep_names_together(text: str) -> str:
    """Non-breaking spaces inside names and dates, so a title page line never breaks between
    initials and a surname («им. И. И. Молчанова-Сибирского»), after «ул.», or inside
    «27–29 сентября 2026»."""
    if _DOT_OR_DIGIT.search(text) is None:
        return text  # nothing to keep together (most of a draft's text)
    text = _INITIAL.sub(lambda m: m.group(1) + NBSP, text)
    text = _ABBREVIATION.sub(lambda m: m.group(1) + "." + NBSP, text)
    return _DAY_MONTH.sub(lambda m: (m.group(1) or "") + NBSP, text)


def title_page(document, event: Event, data: ExportData, agreed_only: bool) -> None:
    for _i in range(6):
        document.add_paragraph()
    title = para(document, DOCUMENT_TITLE, style="Title", align=WD_ALIGN_PARAGRAPH.CENTER)
    title.runs[0].font.size = Pt(24)
    para(document, keep_names_together(
        _("по итогам проектировочной сессии «%(event)s»", event=event.title)),
        align=WD_ALIGN_PARAGRAPH.CENTER)
    if event.starts_on:
        para(document, keep_names_together(format_date_range(event.starts_on, event.ends_on)),
             align=WD_ALIGN_PARAGRAPH.CENTER)
    for line in place_lines(event):
        para(document, keep_names_together(line), align=WD_ALIGN_PARAGRAPH.CENTER, muted=True)
    for _i in range(4):
        document.add_paragraph()
    generated = to_event_time(data.generated_at, event.timezone)
    para(document, _("Черновик для обсуждения. Сформирован %(date)s в %(time)s.",
                     date=keep_names_together(format_date(generated.date(), "d MMMM y")),
                     time=generated.strftime("%H:%M")),
         align=WD_ALIGN_PARAGRAPH.CENTER, italic=True, muted=True)
    if agreed_only:
        para(document, _("В документ включены только согласованные разделы."),
             align=WD_ALIGN_PARAGRAPH.CENTER, italic=True, muted=True)
    page_break(document)


def page_break(document) -> None:
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def people(n: int) -> str:
    return count_word(n, "участника", "участников", "участников", "participant", "participants")


def percent(agreement: Agreement) -> str:
    return f"{agreement.percent}{NBSP}%"


def stances_text(agreement: Agreement) -> str:
    if not agreement.for_ and not agreement.against:
        return ""
    return _("В комментариях за — %(f)d, против — %(a)d.", f=agreement.for_, a=agreement.against)


def track_intro(document, data: ExportData, track: Track, views: list[SectionView]) -> None:
    totals = track_totals_table(data)
    row = totals[totals["track"] == track.slug].iloc[0]
    para(document, _("В треке опубликовано %(proposals)s; поддержки отдали %(people)s "
                     "(всего %(supports)s). Разделов в документе: %(sections)d.",
                     proposals=count_word(int(row["proposals"]), "предложение", "предложения",
                                          "предложений", "proposal", "proposals"),
                     people=count_word(int(row["supporters"]), "участник", "участника",
                                       "участников", "participant", "participants"),
                     supports=count_word(int(row["supports"]), "поддержка", "поддержки",
                                         "поддержек", "support", "supports"),
                     sections=len(views)))
    if track.description:
        para(document, track.description, italic=True, muted=True)


def section_block(document, data: ExportData, view: SectionView, number: str,
                  numbers: dict[int, str], contents: Optional[Contents] = None,
                  discussion: Optional[dict] = None) -> None:
    heading(document, f"{number}. {view.title}", 2, contents)
    section = view.section
    state = section.state.label if section else _("Не распределены")
    if section is not None and section.locked:
        state += ", " + _("закреплён")
    agreement = view.agreement
    para(document, " ".join(part for part in (
        _("%(proposals)s; поддержали %(n)d из %(m)s трека (%(share)s, всего %(supports)s).",
          proposals=count_word(len(view.items), "предложение", "предложения", "предложений",
                               "proposal", "proposals"),
          n=view.supporters, m=people(view.track_supporters), share=percent(agreement),
          supports=count_word(view.supports_total, "поддержка", "поддержки", "поддержек",
                              "support", "supports")),
        stances_text(agreement),
        _("Состояние: %(state)s.", state=state.lower())) if part), muted=True)
    if agreement.contested_proposals:
        para(document, _("Спорных предложений в разделе: %(n)d (отмечены ниже).",
                         n=agreement.contested_proposals), bold_lead=_("Есть разногласия. "))
    if view.few_data:
        para(document, _("Раздел сформирован по малому числу предложений (меньше %(p)d) или "
                         "поддержек (меньше %(s)d) — выводы по нему предварительные.",
                         p=FEW_PROPOSALS, s=FEW_SUPPORTS), italic=True)
    if view.key_terms:  # those «Кратко» does not already name
        para(document, ", ".join(view.key_terms) + ".", bold_lead=_("Ключевые слова: "))
    if view.summary:
        para(document, view.summary, bold_lead=_("Кратко: "))
    reason = view.other_reason
    if reason and reason not in view.summary:
        para(document, reason[:1].upper() + reason[1:] + ".",
             bold_lead=_("Почему эти предложения здесь: "))
    for proposal, quote in view.quotes:
        who = author_line(proposal.author)
        para(document, f"«{quote.rstrip()}»" + (f" — {who}" if who else ""), style="Quote",
             keep_together=False)
    synthesis_block(document, view, numbers)
    section_partners_block(document, view, numbers)
    if section is not None and discussion and section.id in discussion:
        discussion_block(document, discussion[section.id])
    phrases = ProposalPhrases()
    for index, proposal in enumerate(view.items, 1):
        proposal_block(document, data, proposal, f"{number}.{index}", phrases)
        other = view.also_in.get(proposal.id)
        if other is not None and other.number:
            para(document, _("раздел %(number)s «%(title)s».", number=other.number,
                             title=other.title), bold_lead=_("См. также: "), muted=True)


def synthesis_block(document, view: SectionView, numbers: dict[int, str]) -> None:
    """Subtopics of a large section (with its proposals' numbers) and «см. также»: the
    proposals of other sections that fit this one about as well."""
    subtopics = view.subtopics
    if subtopics:
        para(document, "", bold_lead=_("Подтемы раздела:"))
        for title, members in subtopics:
            count = count_word(len(members), "предложение", "предложения", "предложений",
                               "proposal", "proposals")
            para(document, f"{title} — {count} ({refs([p.id for p in members], numbers)}).",
                 style="List Bullet")
    if view.see_also:
        items = "; ".join(
            _("%(number)s «%(title)s» (раздел «%(section)s»)",
              number=numbers.get(proposal.id, ""), title=proposal.title.strip().rstrip("."),
              section=own.title)
            for proposal, own in view.see_also if proposal.id in numbers)
        if items:
            para(document, items + ".", bold_lead=_("См. также: "))


def discussion_block(document, published) -> None:
    """«Обсуждение проекта»: what participants said of the published section (hidden comments
    and those waiting for moderation left out)."""
    stances = published.stance_counts()
    para(document, _("поддержали %(n)d; комментариев за — %(f)d, против — %(a)d, "
                     "дополнений — %(d)d.", n=published.support_count, f=stances["for"],
                     a=stances["against"], d=stances["addition"]),
         bold_lead=_("Обсуждение проекта: "))
    for comment in published.comments:
        if not comment.published:
            continue
        who = author_line(comment.author)
        para(document, comment.body + (f" — {who}" if who else ""),
             bold_lead=f"{comment.stance.label}. ", keep_together=False)


def refs(ids: list[int], numbers: dict[int, str]) -> str:
    return ", ".join(numbers[i] for i in ids if i in numbers)


def section_partners_block(document, view: SectionView, numbers: dict[int, str]) -> None:
    """Expected results, partners (spellings merged) and the libraries that joined."""
    if view.results:
        para(document, "", bold_lead=_("Ожидаемые результаты:"))
        for proposal_id, text in view.results:
            para(document, f"{text.rstrip('.')} ({numbers.get(proposal_id, '')}).",
                 style="List Bullet")
    if view.partners:
        names = "; ".join(f"{p.name} ({refs(p.proposal_ids, numbers)})" for p in view.partners)
        para(document, names + ".", bold_lead=_("Партнёры раздела: "))
    if view.joined:
        names = "; ".join(f"{library} ({n})" if n > 1 else library for library, n in view.joined)
        para(document, names + ".", bold_lead=_("Присоединились библиотеки: "))


class ProposalPhrases:
    """The phrases of a proposal's block, translated once per document: gettext costs tens of
    microseconds a call and a draft of 5,000 proposals would ask 40,000 times. Each phrase is
    the translated template (gettext without variables leaves it unformatted), filled by %."""

    def __init__(self):
        self.result = _("Ожидаемый результат: ")
        self.partners = _("Партнёры: ")
        self.author = _("Автор: %(who)s.")
        self.supported = _("Поддержали %(n)d из %(m)s трека (%(share)s).")
        self.stances = _("В комментариях за — %(f)d, против — %(a)d.")
        self.comments = _("Комментариев: %(n)d.")
        self.joined = _("Присоединились библиотеки (%(n)d): %(names)s.")
        self.contested = _("Спорное предложение. ")
        self.answer = _("Официальный ответ: %(state)s. ")
        self.figures = _("Экспертиза: оценок %(n)d, средняя %(mean)s (от %(low)s до %(high)s).")
        self._people: dict[int, str] = {}

    def people(self, n: int) -> str:
        if n not in self._people:
            self._people[n] = people(n)
        return self._people[n]

    def facts(self, data: ExportData, proposal) -> str:
        """Author, support share, stances, comments and joined libraries in one line."""
        agreement = data.agreement(proposal)
        who = author_line(proposal.author)
        facts = [self.author % {"who": who} if who else "",
                 self.supported % {"n": agreement.supporters,
                                   "m": self.people(agreement.participants),
                                   "share": percent(agreement)},
                 self.stances % {"f": agreement.for_, "a": agreement.against}
                 if agreement.for_ or agreement.against else "",
                 self.comments % {"n": proposal.comment_count}]
        joins = data.joins.get(proposal.id, [])
        if joins:
            facts.append(self.joined % {"n": len(joins),
                                        "names": "; ".join(j.library for j in joins)})
        figures = data.review.figures.get(proposal.id)
        if figures is not None and figures.mean is not None:
            facts.append(self.figures % {"n": figures.count, "mean": f"{figures.mean:.1f}",
                                         "low": f"{figures.low:.1f}",
                                         "high": f"{figures.high:.1f}"})
        return " ".join(f for f in facts if f)

    def answer_lead(self, data: ExportData, proposal) -> tuple[str, str]:
        """The official answer as a bold lead and its text, or empty strings."""
        answer = data.review.answers.get(proposal.id)
        if answer is None:
            return "", ""
        return self.answer % {"state": answer.state.label}, answer.body


def proposal_block(document, data: ExportData, proposal, number: str,
                   phrases: ProposalPhrases) -> None:
    heading(document, f"{number}. {proposal.title}", 3)
    para(document, proposal.body, keep_together=False)
    if proposal.expected_result:
        para(document, proposal.expected_result, bold_lead=phrases.result,
             keep_together=False)
    if proposal.partners:
        para(document, proposal.partners, bold_lead=phrases.partners)
    lead = phrases.contested if data.agreement(proposal).contested else ""
    para(document, phrases.facts(data, proposal), muted=True, bold_lead=lead)
    answer_lead, answer_text = phrases.answer_lead(data, proposal)
    if answer_lead:
        para(document, answer_text, bold_lead=answer_lead, keep_together=False)


def appendix(document, data: ExportData, agreed_only: bool,
             contents: Optional[Contents] = None) -> None:
    page_break(document)
    heading(document, _("Приложение. Статистика и методика"), 1, contents)
    heading(document, _("Статистика сессии"), 2, contents)
    numbers = statistics(data)
    lines = [
        _("Участников: %(n)d; подали предложения: %(a)d; отдали хотя бы одну поддержку: %(s)d.",
          n=numbers["participants"], a=numbers["participants_with_proposals"],
          s=numbers["supporters"]),
        _("Опубликованных предложений: %(p)d из %(t)d поданных (скрыто модераторами: %(h)d, "
          "объединено с похожими: %(m)d, на модерации: %(w)d). Скрытые и объединённые "
          "предложения в проект не включены.",
          p=numbers["proposals_published"], t=numbers["proposals_total"],
          h=numbers["proposals_hidden"], m=numbers["proposals_merged"],
          w=numbers["proposals_pending"]),
        _("Поддержек опубликованных предложений: %(s)d; комментариев: %(c)d; присоединений "
          "библиотек к проектам: %(j)d (библиотек: %(l)d).", s=numbers["supports"],
          c=numbers["comments"], j=numbers["library_joins"], l=numbers["libraries_joined"]),
    ]
    for line in lines:
        para(document, line)
    track_table(document, data)
    titles = chart_titles()
    for index, name in enumerate(CHARTS, 1):
        picture = document.add_picture(io.BytesIO(chart(name, data, fmt="png", dpi=150)),
                                       width=Cm(16.5))
        del picture
        caption = para(document, _("Рисунок %(n)d. %(title)s", n=index, title=titles[name]),
                       style="Caption", align=WD_ALIGN_PARAGRAPH.CENTER)
        caption.paragraph_format.space_after = Pt(12)
    heading(document, _("Как сформированы разделы"), 2, contents)
    for text in method_paragraphs(data, agreed_only):
        para(document, text)


def track_table(document, data: ExportData) -> None:
    totals = track_totals_table(data)
    headers = [_("Трек"), _("Предложений"), _("Поддержек"), _("Поддержавших участников"),
               _("Комментариев"), _("Присоединений")]
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.autofit = False
    # Narrow number columns in a smaller bold: «Присоединений» must fit without breaking
    widths = [Cm(4.0)] + [Cm(2.5)] * (len(headers) - 1)
    for cell, text in zip(table.rows[0].cells, headers):
        cell.paragraphs[0].add_run(text).bold = True
    for row in totals.itertuples(index=False):
        cells = table.add_row().cells
        values = [typograph(row.track_title), row.proposals, row.supports, row.supporters,
                  row.comments, row.joins]
        for cell, value in zip(cells, values):
            cell.paragraphs[0].add_run(str(value))
    for column, width in zip(table.columns, widths):
        column.width = width  # the grid, which LibreOffice reads; cells for Word
    for index, row in enumerate(table.rows):
        for cell, width in zip(row.cells, widths):
            cell.width = width
            for run in cell.paragraphs[0].runs:
                run.font.size = Pt(8 if index == 0 else 9)
    document.add_paragraph()


def partners_index(document, data: ExportData, views: list[SectionView],
                   numbers: dict[int, str], contents: Optional[Contents] = None) -> None:
    """Partner → the proposals naming it, alphabetical: who to call about what."""
    partners = partner_index(views, data.partner_names)
    if not partners:
        return
    heading(document, _("Указатель партнёров"), 1, contents)
    para(document, _("Партнёры, названные в предложениях, и номера этих предложений в "
                     "документе."), italic=True, muted=True)
    for partner in partners:
        para(document, refs(partner.proposal_ids, numbers), bold_lead=partner.name + " — ",
             space_after=1)


# --------------------------------------------------------------------------- entry point


def proposal_numbers(chapters) -> dict[int, str]:
    """Each proposal's number in the document («2.3.1»)."""
    return {proposal.id: f"{t}.{s}.{p}"
            for t, (_track, views) in enumerate(chapters, 1)
            for s, view in enumerate(views, 1)
            for p, proposal in enumerate(view.items, 1)}


def set_properties(document, event: Event, data: ExportData) -> None:
    """Title, author (the organising library), subject and language, as Word's File →
    Properties and a PDF's metadata show them."""
    properties = document.core_properties
    properties.title = DOCUMENT_TITLE
    properties.subject = _("По итогам проектировочной сессии «%(event)s»", event=event.title)
    properties.author = organiser_name(event) or event.title
    properties.last_modified_by = properties.author
    properties.keywords = _("стратегия; библиотеки; проект")
    properties.comments = _("Черновик для обсуждения")
    properties.language = "ru-RU"
    properties.created = properties.modified = data.generated_at
    properties.revision = 1


def build_docx(event: Event, track: Optional[Track] = None, agreed_only: bool = False,
               data: Optional[ExportData] = None) -> bytes:
    """The whole strategy draft as DOCX bytes."""
    data = data or load_export_data(event, track)
    document = FastDocument(new_document())
    set_properties(document, event, data)
    title_page(document, event, data, agreed_only)
    chapters = [(t, section_views(data, t, agreed_only)) for t in data.tracks]
    numbers = proposal_numbers(chapters)
    all_views = [view for _track, views in chapters for view in views]
    contents_title = document.add_paragraph().add_run(_("Содержание"))
    contents_title.bold = True
    contents_title.font.size = Pt(16)
    page_break(document)
    contents_end = document.element.body.sectPr.getprevious()  # the page break
    contents = Contents()
    discussion = published_by_workspace_section(event)
    # the bulk of the text, written as XML and put into the file as it is when saved
    body = ParagraphBuffer(document, splice=True)
    for number, (chapter, views) in enumerate(chapters, 1):
        heading(body, f"{number}. {chapter.title}", 1, contents)
        track_intro(body, data, chapter, views)
        if not views:
            para(body, _("Согласованных разделов в этом треке пока нет.") if agreed_only
                 else _("Опубликованных предложений в этом треке нет."), italic=True)
        for index, view in enumerate(views, 1):
            view.number = f"{number}.{index}"
        for index, view in enumerate(views, 1):
            section_block(body, data, view, f"{number}.{index}", numbers, contents,
                          discussion)
    body.flush_into()
    appendix(document, data, agreed_only, contents)
    partners_index(body, data, all_views, numbers, contents)
    body.flush_into()
    programme_and_participation(document, event, numbers, contents)
    polls_appendix(document, event, track, contents)
    contents.insert_before(contents_end)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- appendix «Программа и участие» (rows from strategy.programme.queries) ---------------------

def programme_and_participation(document, event: Event, numbers: dict[int, str],
                                contents: Optional[Contents] = None) -> None:
    """Each programme item: when, where, format, registrations, attendance and its outcome.

    An outcome's proposals are named by their numbers in the document where it has them (a
    proposal left out of an agreed-only draft keeps its «№ id»)."""
    rows = programme_appendix(event)
    if not rows:
        return
    heading(document, _("Приложение. Программа и участие"), 1, contents)
    headers = [_("Когда"), _("Что"), _("Формат и место"), _("Регистрация"), _("Участвовало")]
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers):
        cell.paragraphs[0].add_run(text).bold = True
    for row in rows:
        registered = (_("в зале %(h)d, онлайн %(o)d, ждут %(w)d", h=row["registered_hall"],
                        o=row["registered_online"], w=row["waiting"])
                      if row["registration"] else _("не нужна"))
        attended = ", ".join(part for part in (
            _("в зале %(n)d", n=row["attended_hall"]) if row["attended_hall"] is not None else "",
            _("онлайн %(n)d", n=row["attended_online"]) if row["attended_online"] is not None
            else "") if part) or "—"  # not recorded: an empty cell would read as lost
        what = row["title"]
        if row["track"] and row["track"] not in what:  # «Трек «Гений места»» names it already
            what += f" («{row['track']}»)"
        values = [f"{format_date(row['date'], 'd MMMM')}, {row['start']}–{row['end']}",
                  typograph(what), ", ".join(p for p in (row["format_label"], row["place"]) if p),
                  registered, attended]
        cells = table.add_row().cells
        for cell, value in zip(cells, values):
            run = cell.paragraphs[0].add_run(value)
            run.font.size = Pt(9)
    document.add_paragraph()
    for row in rows:
        if not row["outcome"] and not row["proposals"]:
            continue
        heading(document, typograph(row["title"]), 2)
        if row["outcome"]:
            para(document, row["outcome"])
        for proposal in sorted(row["proposals"], key=lambda p: document_order(p["id"], numbers)):
            supports = count_word(proposal["support_count"], "поддержка", "поддержки",
                                  "поддержек", "support", "supports")
            number = numbers.get(proposal["id"]) or f"№ {proposal['id']}"
            para(document, typograph(f"{number}. {proposal['title']} — {supports}"))


def document_order(proposal_id: int, numbers: dict[int, str]) -> tuple:
    """Sort key: by the number in the document («1.10.2» after «1.2.1»), unnumbered last."""
    number = numbers.get(proposal_id)
    return (0, tuple(int(part) for part in number.split("."))) if number else (1, proposal_id)


# --- appendix «Опросы в зале» (rows from strategy.polls.queries) -------------------------------

def polls_appendix(document, event: Event, track: Optional[Track] = None,
                   contents: Optional[Contents] = None) -> None:
    """Each poll run in the hall: the question, then every answer with its count and share."""
    polls = polls_for_export(event, track.id if track else None)
    if not polls:
        return
    heading(document, _("Приложение. Опросы в зале"), 1, contents)
    for poll, data in polls:
        heading(document, poll.question, 2)
        where = f"«{poll.track.title}»" if poll.track else _("всё мероприятие")
        total = count_word(data["total"], "ответ", "ответа", "ответов", "answer", "answers")
        para(document, f"{poll.kind.label}, {where}, {poll.state.label}: {total}.", muted=True)
        for answer, count, share in result_rows(poll, data):
            para(document, f"{answer} — {count} ({share} %)", style="List Bullet")
        if data["mean"] is not None:
            para(document, _("Среднее: %(mean)s", mean=str(data["mean"])))
