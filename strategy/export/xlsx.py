"""The XLSX workbook (openpyxl): proposals, sections, supports by track, comments, participants
and statistics, each with a frozen bold header row, filters and sensible column widths.
Text cells that a spreadsheet could run as a formula are neutralised
(strategy.core.spreadsheet)."""
from __future__ import annotations

import io
from typing import Any, Iterable, Optional

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from strategy.events.models import Event, Track
from strategy.export.drafts import ExportData, load_export_data, statistics, track_totals_table
from strategy.export.tabular import cell, headers, table

HEADER_FILL = PatternFill("solid", fgColor="E6F0FB")
MAX_WIDTH = 60
WRAPPED = {"body", "summary", "expected_result", "partners", "joined_libraries", "key_terms"}


def sheet_names() -> dict[str, str]:
    return {"proposals": _("Предложения"), "sections": _("Разделы"),
            "tracks": _("Поддержки по трекам"), "comments": _("Комментарии"),
            "participants": _("Участники"), "statistics": _("Статистика"),
            "supports": _("Поддержки")}


def write_sheet(workbook: Workbook, title: str, columns: list[str], labels: list[str],
                rows: Iterable[Iterable[Any]]) -> None:
    """A sheet with a frozen, bold, filterable header row and widths fitted to the content."""
    sheet = workbook.create_sheet(title[:31])
    sheet.append(labels)
    widths = [len(str(label)) for label in labels]
    for row in rows:
        values = [cell(value) for value in row]
        sheet.append(values)
        for index, value in enumerate(values):
            longest = max((len(line) for line in str(value).splitlines()), default=0)
            widths[index] = max(widths[index], min(longest, MAX_WIDTH))
    for index, column in enumerate(columns, 1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = min(MAX_WIDTH, widths[index - 1] + 2)
        if column in WRAPPED:
            for item in sheet[letter][1:]:
                item.alignment = Alignment(wrap_text=True, vertical="top")
    for item in sheet[1]:
        item.font = Font(bold=True)
        item.fill = HEADER_FILL
        item.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    if sheet.max_row > 1:
        sheet.auto_filter.ref = sheet.dimensions


def frame_sheet(workbook: Workbook, data: ExportData, name: str, title: str) -> None:
    frame = table(data, name)
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
    totals = track_totals_table(data)
    labels = [_("трек"), _("название трека"), _("опубликовано предложений"),
              _("подано всего"), _("поддержек"), _("поддержавших участников"),
              _("комментариев"), _("присоединений библиотек")]
    write_sheet(workbook, titles["tracks"], list(totals.columns), labels,
                totals.itertuples(index=False, name=None))
    frame_sheet(workbook, data, "comments", titles["comments"])
    frame_sheet(workbook, data, "participants", titles["participants"])
    frame_sheet(workbook, data, "supports", titles["supports"])
    numbers = statistics(data)
    write_sheet(workbook, titles["statistics"], ["what", "value"],
                [_("показатель"), _("значение")],
                [(statistic_labels().get(key, key), value) for key, value in numbers.items()])
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
