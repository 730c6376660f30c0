"""The XLSX workbook (openpyxl): proposals, sections, supports by track, comments, participants
and statistics, each with a frozen bold header row, filters and sensible column widths.

It is written for people: dates are real date cells in the event's time zone, every code is
its Russian label (status, kind, stance, state; the track's title instead of its slug; да/нет),
and rows follow the draft (track, section, support). Text cells that a spreadsheet could run
as a formula are neutralised (strategy.core.spreadsheet)."""
from __future__ import annotations

import io
from datetime import datetime
from typing import Any, Iterable, Optional

import pandas as pd

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from strategy.comments.models import CommentStatus, Stance
from strategy.core.spreadsheet import neutralise
from strategy.events.models import Event, Track
from strategy.export.drafts import (ExportData, draft_order, load_export_data, statistics,
                                    track_totals_table)
from strategy.export.tabular import headers, table
from strategy.polls.queries import polls_for_export, result_rows
from strategy.proposals.models import ProposalKind, ProposalStatus
from strategy.review.queries import answers_table, summary_table
from strategy.workspace.models import SectionState

HEADER_FILL = PatternFill("solid", fgColor="E6F0FB")
MAX_WIDTH = 60
MIN_WIDTH = 6  # room for the header's filter button beside a short label («№»)
WRAPPED = {"body", "summary", "expected_result", "partners", "joined_libraries", "key_terms"}
DATE_FORMAT = "DD.MM.YYYY HH:MM"
DATE_WIDTH = 17


def sheet_names() -> dict[str, str]:
    return {"proposals": _("Предложения"), "sections": _("Разделы"),
            "tracks": _("Поддержки по трекам"), "comments": _("Комментарии"),
            "participants": _("Участники"), "statistics": _("Статистика"),
            "supports": _("Поддержки"), "polls": _("Опросы")}


def sheet_cell(value: Any) -> Any:
    """A cell as a person reads it: да/нет, empty for nothing, date-times as dates (naive,
    already in the event's zone), text neutralised."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return _("да") if value else _("нет")
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return neutralise(value)


def write_sheet(workbook: Workbook, title: str, columns: list[str], labels: list[str],
                rows: Iterable[Iterable[Any]]) -> None:
    """A sheet with a frozen, bold, filterable header row and widths fitted to the content."""
    sheet = workbook.create_sheet(title[:31])
    sheet.append(labels)
    widths = [len(str(label)) for label in labels]
    dated: set[int] = set()
    for row in rows:
        values = [sheet_cell(value) for value in row]
        sheet.append(values)
        for index, value in enumerate(values):
            if isinstance(value, datetime):
                dated.add(index)
                longest = DATE_WIDTH
            else:
                longest = max((len(line) for line in str(value).splitlines()), default=0)
            widths[index] = max(widths[index], min(longest, MAX_WIDTH))
    for index, column in enumerate(columns, 1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(MIN_WIDTH, min(MAX_WIDTH, widths[index - 1] + 2))
        if column in WRAPPED:
            for item in sheet[letter][1:]:
                item.alignment = Alignment(wrap_text=True, vertical="top")
        if index - 1 in dated:
            for item in sheet[letter][1:]:
                item.number_format = DATE_FORMAT
    for item in sheet[1]:
        item.font = Font(bold=True)
        item.fill = HEADER_FILL
        item.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    if sheet.max_row > 1:
        sheet.auto_filter.ref = sheet.dimensions


def code_labels() -> dict[str, dict[str, str]]:
    """Column → {code: Russian label} for every coded column of the tables."""
    comment_status = {"pending": _("На модерации"), "published": _("Опубликован"),
                      "hidden": _("Скрыт")}
    return {"kind": {k.value: k.label for k in ProposalKind},
            "status": {s.value: s.label for s in ProposalStatus},
            "state": {s.value: s.label for s in SectionState},
            "stance": {s.value: s.label for s in Stance},
            "comment_status": {s.value: comment_status[s.value] for s in CommentStatus},
            "source": {"app": _("на платформе"), "import": _("импорт")}}


def labelled(data: ExportData, name: str) -> pd.DataFrame:
    """A table with codes as Russian labels, the track as its title, in the draft's order."""
    frame = table(data, name).copy()
    labels = code_labels()
    titles = {t.slug: t.title for t in data.tracks}
    position = {t.slug: i for i, t in enumerate(data.tracks)}
    coded = {"status": "comment_status" if name == "comments" else "status"}
    for column in ("kind", "status", "state", "stance", "source"):
        if column in frame.columns:
            mapping = labels[coded.get(column, column)]
            frame[column] = frame[column].map(lambda v, m=mapping: m.get(v, v))
    if name == "proposals":
        order = draft_order(data)
        frame["_order"] = frame["id"].map(order)
        frame = frame.sort_values("_order", kind="stable").drop(columns=["_order", "track_title"])
    elif name == "sections":
        rank = {s.id: i for i, s in enumerate(data.sections)}
        frame = frame.sort_values(by=["track", "id"], key=lambda c: c.map(
            position if c.name == "track" else rank), kind="stable")
    elif name in ("comments", "supports"):
        order = draft_order(data)
        frame = frame.sort_values("proposal_id", key=lambda c: c.map(order), kind="stable")
    if "track" in frame.columns:
        frame["track"] = frame["track"].map(lambda slug: titles.get(slug, slug))
    return frame


def frame_sheet(workbook: Workbook, data: ExportData, name: str, title: str) -> None:
    frame = labelled(data, name)
    names = headers()[name]
    write_sheet(workbook, title, list(frame.columns), [names[c] for c in frame.columns],
                frame.itertuples(index=False, name=None))


def build_xlsx(event: Event, track: Optional[Track] = None,
               data: Optional[ExportData] = None) -> bytes:
    """The workbook as bytes."""
    data = data or load_export_data(event, track)
    workbook = Workbook()
    workbook.remove(workbook.active)
    titles = sheet_names()
    frame_sheet(workbook, data, "proposals", titles["proposals"])
    frame_sheet(workbook, data, "sections", titles["sections"])
    totals = track_totals_table(data).drop(columns=["track"])
    labels = [_("трек"), _("опубликовано предложений"),
              _("подано всего"), _("поддержек"), _("поддержавших участников"),
              _("комментариев"), _("присоединений библиотек")]
    write_sheet(workbook, titles["tracks"], list(totals.columns), labels,
                totals.itertuples(index=False, name=None))
    frame_sheet(workbook, data, "comments", titles["comments"])
    frame_sheet(workbook, data, "participants", titles["participants"])
    frame_sheet(workbook, data, "supports", titles["supports"])
    header, rows = summary_table(event, track)
    write_sheet(workbook, _("Экспертиза"), header, header, rows)
    header, rows = answers_table(event, track)
    write_sheet(workbook, _("Официальные ответы"), header, header, rows)
    numbers = statistics(data)
    write_sheet(workbook, titles["statistics"], ["what", "value"],
                [_("показатель"), _("значение")],
                [(statistic_labels().get(key, key), value) for key, value in numbers.items()])
    polls_sheet(workbook, event, track, titles["polls"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def statistic_labels() -> dict[str, str]:
    """What each number counts, in words."""
    return {
        "participants": _("Участников (присоединились к мероприятию)"),
        "participants_with_proposals": _("Участников, подавших хотя бы одно предложение"),
        "supporters": _("Участников, отдавших хотя бы одну поддержку"),
        "proposals_published": _("Опубликованных предложений (входят в проект)"),
        "proposals_total": _("Предложений подано всего"),
        "proposals_hidden": _("Скрыто модераторами"),
        "proposals_merged": _("Объединено с похожими"),
        "proposals_pending": _("Ждут модерации"),
        "supports": _("Поддержек опубликованных предложений"),
        "comments": _("Опубликованных комментариев"),
        "library_joins": _("Присоединений библиотек к проектам"),
        "libraries_joined": _("Разных библиотек, присоединившихся к проектам"),
        "sections": _("Разделов проекта"),
        "sections_agreed": _("Согласованных разделов"),
    }


def polls_sheet(workbook: Workbook, event: Event, track: Optional[Track], title: str) -> None:
    """«Опросы»: one row per answer option (scale value, word) of every poll run in the hall."""
    titles = {t.id: t.title for t in event.tracks}
    rows = []
    for poll, data in polls_for_export(event, track.id if track else None):
        for answer, count, share in result_rows(poll, data):
            rows.append((poll.id, poll.question, poll.kind.label,
                         titles.get(poll.track_id, _("всё мероприятие")), poll.state.label,
                         answer, count, share, data["total"]))
    write_sheet(workbook, title, ["poll", "question", "kind", "track", "state", "answer",
                                  "count", "percent", "total"],
                [_("Опрос"), _("Вопрос"), _("Вид"), _("Трек"), _("Состояние"), _("Ответ"),
                 _("Ответов"), _("Доля ответивших, %"), _("Всего ответили")], rows)
