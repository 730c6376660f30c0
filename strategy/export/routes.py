"""Organiser-only downloads and the statistics page.

URL rules (under /events/<id>/manage):
  GET '/export'                       export.index     the downloads page
  GET '/export/strategy.docx'         export.docx      ?agreed=1 only agreed sections, ?track=
  GET '/export/strategy.pdf'          export.pdf       the same, rendered by LibreOffice
  GET '/export/data.xlsx'             export.xlsx      ?track=
  GET '/export/<table>.csv'           export.csv       proposals|sections|supports|comments|
                                                       participants
  GET '/export/data.json'             export.json
  GET '/export/polis.zip'             export.polis
  GET '/stats'                        export.stats     charts and numbers
  GET '/stats/<chart>.svg'            export.chart
"""
import io
from datetime import date

from flask import abort, render_template, request, send_file, url_for
from flask_babel import gettext as _

from strategy.core.permissions import organiser_required
from strategy.core.loading import load_event, load_track
from strategy.core.templating import register_nav
from strategy.export import bp
from strategy.export import charts
from strategy.export.docx import build_docx
from strategy.export.pdf import docx_to_pdf, pdf_available
from strategy.export.drafts import (load_export_data, municipality_counts, library_join_counts,
                                    statistics, track_totals_table, HIDDEN_KEY)
from strategy.export.tabular import TABLES, build_csv, build_json, build_polis
from strategy.export.xlsx import build_xlsx, statistic_labels

PREFIX = "/events/<int:event_id>/manage"
MIME = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8", "json": "application/json", "zip": "application/zip",
}


def nav_items(event, user):
    """The organisers' menu entries: statistics and downloads."""
    if event is None or not getattr(user, "is_organiser", False):
        return []
    return [{"url": url_for("export.stats", event_id=event.id), "label": _("Статистика")},
            {"url": url_for("export.index", event_id=event.id), "label": _("Выгрузки")}]


@bp.record_once
def add_menu(state):
    register_nav(state.app, nav_items)


def scope(event):
    """The optional ?track= filter of a download."""
    slug = request.args.get("track", "")
    return load_track(event, slug) if slug else None


def download(content: bytes, name: str, kind: str):
    response = send_file(io.BytesIO(content), mimetype=MIME[kind], as_attachment=True,
                         download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response


def file_name(event, stem: str, ext: str, track=None) -> str:
    parts = [stem, event.code]
    if track is not None:
        parts.append(track.slug)
    parts.append(date.today().isoformat())
    return "-".join(parts) + "." + ext


@bp.route(PREFIX + "/export")
@organiser_required
def index(event_id: int):
    """The downloads page."""
    event = load_event(event_id)
    return render_template("export/index.html", event=event, tables=list(TABLES),
                           numbers=statistics(load_export_data(event)),
                           pdf_available=pdf_available())


def draft_stem(agreed: bool) -> str:
    return _("Проект стратегии") + (" " + _("(согласованное)") if agreed else "")


@bp.route(PREFIX + "/export/strategy.docx")
@organiser_required
def docx(event_id: int):
    event = load_event(event_id)
    track = scope(event)
    agreed = request.args.get("agreed") == "1"
    content = build_docx(event, track, agreed_only=agreed)
    return download(content, file_name(event, draft_stem(agreed), "docx", track), "docx")


@bp.route(PREFIX + "/export/strategy.pdf")
@organiser_required
def pdf(event_id: int):
    """The draft as PDF (LibreOffice renders the DOCX); a Russian message without it."""
    event = load_event(event_id)
    track = scope(event)
    agreed = request.args.get("agreed") == "1"
    content = docx_to_pdf(build_docx(event, track, agreed_only=agreed))
    return download(content, file_name(event, draft_stem(agreed), "pdf", track), "pdf")


@bp.route(PREFIX + "/export/data.xlsx")
@organiser_required
def xlsx(event_id: int):
    event = load_event(event_id)
    track = scope(event)
    return download(build_xlsx(event, track), file_name(event, _("Данные сессии"), "xlsx", track),
                    "xlsx")


@bp.route(PREFIX + "/export/<name>.csv")
@organiser_required
def csv(event_id: int, name: str):
    event = load_event(event_id)
    if name not in TABLES:
        abort(404)
    track = scope(event)
    content = build_csv(load_export_data(event, track), name)
    return download(content, file_name(event, name, "csv", track), "csv")


@bp.route(PREFIX + "/export/data.json")
@organiser_required
def json(event_id: int):
    event = load_event(event_id)
    track = scope(event)
    return download(build_json(load_export_data(event, track), track),
                    file_name(event, "data", "json", track), "json")


@bp.route(PREFIX + "/export/polis.zip")
@organiser_required
def polis(event_id: int):
    event = load_event(event_id)
    track = scope(event)
    return download(build_polis(load_export_data(event, track)),
                    file_name(event, "polis", "zip", track), "zip")


@bp.route(PREFIX + "/stats")
@organiser_required
def stats(event_id: int):
    """Numbers and server-drawn charts, each with its data as a table for screen readers."""
    event = load_event(event_id)
    data = load_export_data(event)
    municipalities = municipality_counts(data).rename(
        index={HIDDEN_KEY: _("Не указан или скрыт участником")})
    return render_template(
        "export/stats.html", event=event, numbers=statistics(data), labels=statistic_labels(),
        totals=track_totals_table(data).to_dict("records"), charts=charts.CHARTS,
        titles=charts.chart_titles(), municipalities=municipalities.items(),
        libraries=library_join_counts(data).items())


@bp.route(PREFIX + "/stats/<name>.svg")
@organiser_required
def chart(event_id: int, name: str):
    event = load_event(event_id)
    if name not in charts.CHARTS:
        abort(404)
    svg = charts.chart(name, load_export_data(event), fmt="svg")
    response = send_file(io.BytesIO(svg), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response
