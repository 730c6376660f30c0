"""The strategy draft as a DOCX file (python-docx): real Heading 1/2/3 styles, a contents field,
a title page, a chapter per track, a heading per section and per proposal, and an appendix with
statistics and the method. All text goes through Russian typography (« », nbsp before dashes)."""
from __future__ import annotations

import io
from datetime import datetime
from typing import Optional

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from flask_babel import format_date
from flask_babel import gettext as _

from strategy.core.typography import NBSP, nest_quotes, typograph  # noqa: F401
from strategy.core.templating import count_word, format_date_range, to_event_time
from strategy.events.models import Event, Track
from strategy.export.charts import CHARTS, chart, chart_titles
from strategy.programme.queries import programme_appendix
from strategy.export.drafts import (ExportData, SectionView, affiliation, load_export_data,
                                    section_views, statistics, track_totals_table)
from strategy.workspace.models import FEW_PROPOSALS, FEW_SUPPORTS

DOCUMENT_TITLE = "Проект стратегии развития библиотек Иркутской области"
MUTED = RGBColor(0x4F, 0x5B, 0x6B)


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
    for level, size in ((1, 16), (2, 14), (3, 12)):
        style = document.styles[f"Heading {level}"]
        style.font.name = "Times New Roman"
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0x1C, 0x24, 0x30)
        set_language(style, "ru-RU")
    settings = document.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")  # Word refreshes the contents field on opening
    settings.append(update)
    return document


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
    """Spelling and hyphenation in Russian; East Asian font slot set so Cyrillic renders."""
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), style.font.name or "Times New Roman")
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), language)


def add_toc(document: Document, entries: list[tuple[int, str]]) -> None:
    """A real contents field (TOC \\o "1-2"): Word rebuilds it with page numbers on opening;
    until then (and in LibreOffice's first view) it shows the headings it will contain."""
    first = document.add_paragraph()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    begin.set(qn("w:dirty"), "true")
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = 'TOC \\o "1-2" \\h \\z \\u'
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    first.add_run()._r.extend([begin, instruction, separate])
    paragraph = first
    for index, (level, text) in enumerate(entries or [(1, "")]):
        if index:
            paragraph = document.add_paragraph()
        paragraph.paragraph_format.left_indent = Cm(0.8 * (level - 1))
        paragraph.paragraph_format.space_after = Pt(2)
        run = paragraph.add_run(typograph(text))
        run.bold = level == 1
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    paragraph.add_run()._r.append(end)
    note = para(document, _("Номера страниц появятся после обновления оглавления: Word делает "
                            "это при открытии (или клавиша F9), LibreOffice — «Сервис → "
                            "Обновить всё»."), italic=True, muted=True)
    note.paragraph_format.space_before = Pt(12)


def para(document, text: str = "", *, style: Optional[str] = None, bold_lead: str = "",
         italic: bool = False, muted: bool = False, align=None):
    """A paragraph with an optional bold lead-in; text is typographed."""
    paragraph = document.add_paragraph(style=style)
    if bold_lead:
        paragraph.add_run(typograph(bold_lead)).bold = True
    if text:
        run = paragraph.add_run(typograph(text))
        run.italic = italic
        if muted:
            run.font.color.rgb = MUTED
    if align is not None:
        paragraph.alignment = align
    return paragraph


def heading(document, text: str, level: int):
    return document.add_heading(typograph(text), level=level)


# --------------------------------------------------------------------------- content


def title_page(document: Document, event: Event, data: ExportData, agreed_only: bool) -> None:
    for _i in range(6):
        document.add_paragraph()
    title = para(document, DOCUMENT_TITLE, style="Title", align=WD_ALIGN_PARAGRAPH.CENTER)
    title.runs[0].font.size = Pt(24)
    para(document, _("по итогам проектировочной сессии «%(event)s»", event=event.title),
         align=WD_ALIGN_PARAGRAPH.CENTER)
    if event.starts_on:
        para(document, format_date_range(event.starts_on, event.ends_on),
             align=WD_ALIGN_PARAGRAPH.CENTER)
    if event.place:
        para(document, event.place, align=WD_ALIGN_PARAGRAPH.CENTER, muted=True)
    for _i in range(4):
        document.add_paragraph()
    generated = to_event_time(data.generated_at, event.timezone)
    para(document, _("Черновик для обсуждения. Сформирован %(date)s в %(time)s.",
                     date=format_date(generated.date(), "d MMMM y"),
                     time=generated.strftime("%H:%M")),
         align=WD_ALIGN_PARAGRAPH.CENTER, italic=True, muted=True)
    if agreed_only:
        para(document, _("В документ включены только согласованные разделы."),
             align=WD_ALIGN_PARAGRAPH.CENTER, italic=True, muted=True)
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


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


def section_block(document, data: ExportData, view: SectionView, number: str) -> None:
    heading(document, f"{number}. {view.title}", 2)
    section = view.section
    state = section.state.label if section else _("Не распределены")
    if section is not None and section.locked:
        state += ", " + _("закреплён")
    para(document, _("%(proposals)s; поддержали %(n)d из %(m)s трека (всего %(supports)s). "
                     "Состояние: %(state)s.",
                     proposals=count_word(len(view.items), "предложение", "предложения",
                                          "предложений", "proposal", "proposals"),
                     n=view.supporters,
                     m=count_word(view.track_supporters, "участника", "участников",
                                  "участников", "participant", "participants"),
                     supports=count_word(view.supports_total, "поддержка", "поддержки",
                                         "поддержек", "support", "supports"),
                     state=state.lower()), muted=True)
    if view.few_data:
        para(document, _("Раздел сформирован по малому числу предложений (меньше %(p)d) или "
                         "поддержек (меньше %(s)d) — выводы по нему предварительные.",
                         p=FEW_PROPOSALS, s=FEW_SUPPORTS), italic=True)
    if section is not None and section.key_terms:
        para(document, ", ".join(section.key_terms) + ".", bold_lead=_("Ключевые слова: "))
    if view.summary:
        para(document, view.summary, bold_lead=_("Кратко: "))
    for index, proposal in enumerate(view.items, 1):
        proposal_block(document, data, proposal, f"{number}.{index}", view.track_supporters)


def proposal_block(document, data: ExportData, proposal, number: str, track_people: int) -> None:
    heading(document, f"{number}. {proposal.title}", 3)
    para(document, proposal.body)
    if proposal.expected_result:
        para(document, proposal.expected_result, bold_lead=_("Ожидаемый результат: "))
    if proposal.partners:
        para(document, proposal.partners, bold_lead=_("Партнёры: "))
    author = proposal.author
    who = ""
    if author is not None:
        who = ", ".join(part for part in (author.display_name, *affiliation(author)) if part)
    facts = [_("Автор: %(who)s.", who=who) if who else "",
             _("Поддержали %(n)d из %(m)s трека.", n=proposal.support_count,
               m=count_word(track_people, "участника", "участников", "участников",
                                        "participant", "participants")),
             _("Комментариев: %(n)d.", n=proposal.comment_count)]
    joins = data.joins.get(proposal.id, [])
    if joins:
        facts.append(_("Присоединились библиотеки (%(n)d): %(names)s.", n=len(joins),
                       names="; ".join(j.library for j in joins)))
    para(document, " ".join(f for f in facts if f), muted=True)


def appendix(document, data: ExportData, agreed_only: bool) -> None:

    section = document.add_section(WD_SECTION.NEW_PAGE)
    section.left_margin, section.right_margin = Cm(2.5), Cm(1.5)
    heading(document, _("Приложение. Статистика и методика"), 1)
    heading(document, _("Статистика сессии"), 2)
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
    for name in CHARTS:
        document.add_picture(io.BytesIO(chart(name, data, fmt="png", dpi=150)), width=Cm(16.5))
        para(document, titles[name], style="Caption", align=WD_ALIGN_PARAGRAPH.CENTER)
    heading(document, _("Как сформированы разделы"), 2)
    for text in method_paragraphs(data, agreed_only):
        para(document, text)


def track_table(document, data: ExportData) -> None:
    totals = track_totals_table(data)
    headers = [_("Трек"), _("Предложений"), _("Поддержек"), _("Поддержавших участников"),
               _("Комментариев"), _("Присоединений")]
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.autofit = False
    widths = [Cm(5.2)] + [Cm(2.2)] * (len(headers) - 1)
    for cell, text in zip(table.rows[0].cells, headers):
        cell.paragraphs[0].add_run(text).bold = True
    for row in totals.itertuples(index=False):
        cells = table.add_row().cells
        values = [typograph(row.track_title), row.proposals, row.supports, row.supporters,
                  row.comments, row.joins]
        for cell, value in zip(cells, values):
            cell.paragraphs[0].add_run(str(value))
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = width
            for run in cell.paragraphs[0].runs:
                run.font.size = Pt(9)
    document.add_paragraph()


def method_paragraphs(data: ExportData, agreed_only: bool) -> list[str]:
    """How the sections were formed, in plain words, with the figures of this event."""
    edited = sum(1 for s in data.sections if s.summary_edited)
    return [
        _("Предложения участников сгруппированы автоматически по сходству текстов: тексты "
          "приведены к начальным формам слов, взвешены по частоте (TF-IDF), сжаты методом "
          "латентно-семантического анализа и разбиты на группы методом k-средних; число групп "
          "в каждом треке подобрано по качеству разбиения. Ключевые слова раздела — слова, "
          "наиболее характерные для его предложений по сравнению с другими разделами трека."),
        _("Затем методическая группа проверила разделы: переименовала их, перенесла отдельные "
          "предложения, объединила или разделила разделы и закрепила готовые. При повторной "
          "группировке закреплённые разделы и перенесённые вручную предложения не меняются. "
          "Разделов в проекте: %(s)d, из них согласовано: %(a)d, закреплено: %(l)d; краткое "
          "содержание написано вручную у %(e)d.",
          s=len(data.sections), a=sum(s.state.value == "agreed" for s in data.sections),
          l=sum(s.locked for s in data.sections), e=edited),
        _("Внутри раздела предложения упорядочены по числу поддержек. «Поддержали N из M "
          "участников трека» означает: N человек поддержали предложение, M — все участники, "
          "отдавшие хотя бы одну поддержку в этом треке. Разделы, где меньше %(p)d предложений "
          "или меньше %(s)d поддержек, отмечены как предварительные.",
          p=FEW_PROPOSALS, s=FEW_SUPPORTS),
        _("Библиотека и муниципалитет автора указаны только с его согласия, данного при "
          "регистрации; имя указывается всегда."),
    ] + ([_("Документ собран только из согласованных разделов.")] if agreed_only else [])


# --------------------------------------------------------------------------- entry point


def toc_entries(chapters) -> list[tuple[int, str]]:
    entries = []
    for number, (track, views) in enumerate(chapters, 1):
        entries.append((1, f"{number}. {track.title}"))
        entries.extend((2, f"{number}.{index}. {view.title}")
                       for index, view in enumerate(views, 1))
    entries.append((1, _("Приложение. Статистика и методика")))
    return entries


def build_docx(event: Event, track: Optional[Track] = None, agreed_only: bool = False,
               data: Optional[ExportData] = None) -> bytes:
    """The whole strategy draft as DOCX bytes."""
    data = data or load_export_data(event, track)
    document = FastDocument(new_document())
    document.core_properties.title = DOCUMENT_TITLE
    document.core_properties.language = "ru-RU"
    document.core_properties.created = datetime.now()
    title_page(document, event, data, agreed_only)
    chapters = [(t, section_views(data, t, agreed_only)) for t in data.tracks]
    contents = document.add_paragraph().add_run(_("Содержание"))
    contents.bold = True
    contents.font.size = Pt(16)
    add_toc(document, toc_entries(chapters))
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    for number, (chapter, views) in enumerate(chapters, 1):
        heading(document, f"{number}. {chapter.title}", 1)
        track_intro(document, data, chapter, views)
        if not views:
            para(document, _("Согласованных разделов в этом треке пока нет.") if agreed_only
                 else _("Опубликованных предложений в этом треке нет."), italic=True)
        for index, view in enumerate(views, 1):
            section_block(document, data, view, f"{number}.{index}")
    appendix(document, data, agreed_only)
    programme_and_participation(document, event)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- appendix «Программа и участие» (rows from strategy.programme.queries) ---------------------

def programme_and_participation(document, event: Event) -> None:
    """Each programme item: when, where, format, registrations, attendance and its outcome."""
    rows = programme_appendix(event)
    if not rows:
        return
    heading(document, _("Приложение. Программа и участие"), 1)
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
            else "") if part)
        what = row["title"] + (f" («{row['track']}»)" if row["track"] else "")
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
        for proposal in row["proposals"]:
            supports = count_word(proposal["support_count"], "поддержка", "поддержки",
                                  "поддержек", "support", "supports")
            para(document, typograph(f"№ {proposal['id']}. {proposal['title']} — {supports}"))
