"""Import in two steps: upload a file, then map its columns, check, and import.

URL rules (under /events/<id>/manage/import):
  GET|POST ''            imports.upload   choose what to import and the file
  GET|POST '/<token>'    imports.mapping  map columns; action=check shows the report only,
                                          action=import writes the valid rows
"""
from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from strategy.core.errors import OperationError
from strategy.core.permissions import organiser_required
from strategy.core.loading import load_event, load_track
from strategy.core.templating import register_nav
from strategy.extensions import db
from strategy.imports import bp
from strategy.imports import operations as ops

PREFIX = "/events/<int:event_id>/manage/import"


def nav_items(event, user):
    """The organisers' menu entry of the import."""
    if event is None or not getattr(user, "is_organiser", False):
        return []
    return [{"url": url_for("imports.upload", event_id=event.id), "label": _("Импорт")}]


@bp.record_once
def add_menu(state):
    register_nav(state.app, nav_items)


def kind_labels() -> dict[str, str]:
    return {"participants": _("Список участников"), "proposals": _("Предложения")}


def sheet_hint(kind: str) -> str:
    """Our own XLSX export keeps each table on its sheet; pick the matching one."""
    return _("Участники") if kind == "participants" else _("Предложения")


@bp.route(PREFIX, methods=["GET", "POST"])
@organiser_required
def upload(event_id: int):
    """Step 1: what to import, the file, its encoding, and (for proposals) the track."""
    event = load_event(event_id)
    form = {"kind": request.form.get("kind", request.args.get("kind", "proposals")),
            "encoding": request.form.get("encoding", "auto"),
            "track": request.form.get("track", "")}
    if request.method == "GET":
        return render_upload(event, form)
    if form["kind"] not in ops.KINDS or form["encoding"] not in ops.ENCODINGS:
        return render_upload(event, form, _("Выберите, что импортировать."), 400)
    if form["track"] and form["kind"] == "proposals":
        load_track(event, form["track"])
    file = request.files.get("file")
    if file is None or not file.filename:
        return render_upload(event, form, _("Выберите файл CSV или XLSX."), 400)
    raw = file.read(ops.MAX_BYTES + 1)
    try:
        ops.read_table(file.filename, raw, form["encoding"], sheet_hint(form["kind"]))
    except OperationError as error:
        return render_upload(event, form, error.message, error.status)
    token = ops.save_upload({"event_id": event.id, "user_id": current_user.id,
                             "filename": file.filename, **form}, raw)
    return redirect(url_for("imports.mapping", event_id=event.id, token=token))


def render_upload(event, form, error="", status=200):
    return render_template("workspace/import.html", event=event, form=form, error=error,
                           kinds=kind_labels(), max_rows=ops.MAX_ROWS), status


@bp.route(PREFIX + "/<token>", methods=["GET", "POST"])
@organiser_required
def mapping(event_id: int, token: str):
    """Step 2: map columns to fields, check every row, then import the valid ones at once."""
    event = load_event(event_id)
    stored = ops.load_upload(token)
    if stored is None:
        raise OperationError(_("Файл не найден: он уже импортирован или устарел. Загрузите его "
                               "снова."), 404)
    meta, raw = stored
    if meta.get("event_id") != event.id:
        abort(404)
    kind = meta["kind"]
    track = load_track(event, meta["track"]) if meta.get("track") and kind == "proposals" \
        else None
    table = ops.read_table(meta["filename"], raw, meta["encoding"], sheet_hint(kind))
    fields = ops.fields_for(kind, track is not None)
    chosen = ops.guess_mapping(kind, table.headers, track is not None)
    if request.method == "GET":
        return render_mapping(event, token, meta, table, fields, chosen, track)
    chosen = {f.key: int(request.form[f"col_{f.key}"]) for f in fields
              if request.form.get(f"col_{f.key}", "").lstrip("-").isdigit()
              and int(request.form[f"col_{f.key}"]) >= 0}
    try:
        report = ops.validate(kind, event, table, chosen, track)
        if request.form.get("action") == "import":
            ops.apply(report, event)
            ops.drop_upload(token)
    except OperationError as error:
        db.session.rollback()
        return render_mapping(event, token, meta, table, fields, chosen, track,
                              error=error.message, status=error.status)
    return render_mapping(event, token, meta, table, fields, chosen, track, report=report)


def render_mapping(event, token, meta, table, fields, chosen, track, report=None, error="",
                   status=200):
    return render_template("workspace/import_mapping.html", event=event, token=token, meta=meta,
                           table=table, fields=fields, chosen=chosen, track=track,
                           report=report, error=error, kinds=kind_labels(),
                           preview=table.rows[:5]), status
