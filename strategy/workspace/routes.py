"""The methodical group's workspace: run the grouping, edit draft sections (organisers only).

URL rules (all under /events/<id>/manage/workspace):
  GET  ''                             workspace.index      sections of one track (?track=slug)
  POST '/runs'                        workspace.start_run  queue a run (track=slug or all)
  GET  '/runs/<run_id>'               workspace.run_status JSON state and progress
  POST '/sections/<sid>/rename'       workspace.rename
  POST '/sections/<sid>/lock'         workspace.lock       locked=1|0
  POST '/sections/<sid>/state'        workspace.state      state=draft|review|agreed
  POST '/sections/<sid>/merge'        workspace.merge      into=<sid>
  POST '/sections/<sid>/split'        workspace.split      proposal=<pid>... title=
  POST '/proposals/<pid>/move'        workspace.move       section=<sid>
"""
from flask import (abort, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user

from strategy.core.errors import OperationError, wants_json
from strategy.core.permissions import organiser_required
from strategy.core.templating import register_nav
from strategy.events.models import Event, Track
from strategy.core.loading import load_event, load_proposal, load_track
from strategy.export.drafts import load_export_data, section_views
from strategy.extensions import db
from strategy.workspace import bp
from strategy.workspace import operations as ops
from strategy.workspace.models import ClusterRun, SectionState
from strategy.workspace.queries import (latest_run, recent_edits, section_in_event,
                                        track_overview)
from strategy.workspace.runner import launch

PREFIX = "/events/<int:event_id>/manage/workspace"


def nav_items(event, user):
    """The organisers' menu entry of the workspace."""
    if event is None or not getattr(user, "is_organiser", False):
        return []
    return [{"url": url_for("workspace.index", event_id=event.id),
             "label": _("Разделы проекта стратегии")}]


@bp.record_once
def add_menu(state):
    register_nav(state.app, nav_items)


def chosen_track(event: Event, slug: str | None) -> Track | None:
    if not event.tracks:
        return None
    if not slug:
        return event.tracks[0]
    return load_track(event, slug)


@bp.route(PREFIX)
@organiser_required
def index(event_id: int):
    """Sections of one track, with the run panel and the recent edits."""
    event = load_event(event_id)
    track = chosen_track(event, request.args.get("track"))
    return render_workspace(event, track)


def render_workspace(event, track, errors=None, typed=None, status=200):
    views = []
    if track is not None:
        views = section_views(load_export_data(event, track), track)
    sections = [v.section for v in views if v.section is not None]
    run = latest_run(event)
    return render_template(
        "workspace/index.html", event=event, track=track, views=views, sections=sections,
        overview=track_overview(event), run=run, active=run if run and run.status.active else None,
        busy=track is not None and ops.track_is_busy(track.id), edits=recent_edits(event),
        states=list(SectionState), state_labels={s.value: s.label for s in SectionState},
        errors=errors or {}, typed=typed or {}), status


def back_to(section_or_track, anchor: str = ""):
    event_id = section_or_track.event_id
    slug = getattr(section_or_track, "slug", None) or section_or_track.track.slug
    url = url_for("workspace.index", event_id=event_id, track=slug)
    return redirect(f"{url}#{anchor}" if anchor else url)


def run_to_dict(run: ClusterRun) -> dict:
    return {"id": run.id, "status": run.status.value, "status_label": run.status.label,
            "progress": run.progress, "message": run.message, "log": run.log or [],
            "track": run.track.slug if run.track else None, "active": run.status.active,
            "n_proposals": run.n_proposals, "n_sections": run.n_sections}


@bp.route(PREFIX + "/runs", methods=["POST"])
@organiser_required
def start_run(event_id: int):
    """Queue a grouping run and execute it in the background; answers at once."""
    event = load_event(event_id)
    slug = request.form.get("track", "")
    track = None if slug == "all" else chosen_track(event, slug)
    run = ops.start_run(event, track, current_user)
    launch(current_app._get_current_object(), ops.execute_run, run.id)
    if wants_json():
        return jsonify({"success": True, "data": run_to_dict(run),
                        "meta": {"status_url": url_for("workspace.run_status", event_id=event.id,
                                                       run_id=run.id)}}), 202
    flash(_("Группировка запущена. Ход виден ниже; страницей можно пользоваться."), "info")
    return redirect(url_for("workspace.index", event_id=event.id,
                            track=track.slug if track else request.form.get("back") or None))


@bp.route(PREFIX + "/runs/<int:run_id>")
@organiser_required
def run_status(event_id: int, run_id: int):
    """State and progress of a run, polled by the page."""
    event = load_event(event_id)
    run = db.session.get(ClusterRun, run_id)
    if run is None or run.event_id != event.id:
        abort(404)
    return jsonify({"success": True, "data": run_to_dict(run)})


def load_section(event, section_id: int):
    section = section_in_event(event, section_id)
    if section is None:
        raise OperationError(_("Раздел не найден: возможно, его уже объединили с другим."), 404)
    return section


def failed_edit(event, section, error: OperationError, **typed):
    """Show the page again with the message next to the section and what was typed."""
    db.session.rollback()
    if wants_json():
        return jsonify({"success": False, "error": error.status, "message": error.message}), \
            error.status
    return render_workspace(event, section.track, errors={section.id: error.message},
                            typed={section.id: typed}, status=error.status)


@bp.route(PREFIX + "/sections/<int:section_id>/rename", methods=["POST"])
@organiser_required
def rename(event_id: int, section_id: int):
    event = load_event(event_id)
    section = load_section(event, section_id)
    title, summary = request.form.get("title", ""), request.form.get("summary")
    try:
        ops.rename_section(section, current_user, title, summary)
    except OperationError as error:
        return failed_edit(event, section, error, title=title, summary=summary)
    flash(_("Раздел переименован: «%(title)s».", title=section.title), "success")
    return back_to(section, f"section-{section.id}")


@bp.route(PREFIX + "/sections/<int:section_id>/lock", methods=["POST"])
@organiser_required
def lock(event_id: int, section_id: int):
    event = load_event(event_id)
    section = load_section(event, section_id)
    locked = request.form.get("locked") == "1"
    try:
        ops.set_locked(section, current_user, locked)
    except OperationError as error:
        return failed_edit(event, section, error)
    flash(_("Раздел «%(title)s» закреплён: повторная группировка его не изменит.",
            title=section.title) if locked else
          _("Закрепление раздела «%(title)s» снято.", title=section.title), "success")
    return back_to(section, f"section-{section.id}")


@bp.route(PREFIX + "/sections/<int:section_id>/state", methods=["POST"])
@organiser_required
def state(event_id: int, section_id: int):
    event = load_event(event_id)
    section = load_section(event, section_id)
    try:
        ops.set_state(section, current_user, request.form.get("state", ""))
    except OperationError as error:
        return failed_edit(event, section, error)
    flash(_("Состояние раздела «%(title)s»: %(state)s.", title=section.title,
            state=section.state.label.lower()), "success")
    return back_to(section, f"section-{section.id}")


@bp.route(PREFIX + "/sections/<int:section_id>/merge", methods=["POST"])
@organiser_required
def merge(event_id: int, section_id: int):
    event = load_event(event_id)
    section = load_section(event, section_id)
    raw, title = request.form.get("into", ""), section.title
    try:
        if not raw.isdigit():
            raise OperationError(_("Выберите раздел, с которым объединить."), 400)
        target = load_section(event, int(raw))
        ops.merge_sections(section, target, current_user)
    except OperationError as error:
        return failed_edit(event, section, error)
    flash(_("Раздел «%(source)s» объединён с «%(target)s».", source=title,
            target=target.title), "success")
    return back_to(target, f"section-{target.id}")


@bp.route(PREFIX + "/sections/<int:section_id>/split", methods=["POST"])
@organiser_required
def split(event_id: int, section_id: int):
    event = load_event(event_id)
    section = load_section(event, section_id)
    title = request.form.get("title", "")
    try:
        ids = [int(v) for v in request.form.getlist("proposal")]
        new = ops.split_section(section, current_user, ids, title)
    except ValueError:
        return failed_edit(event, section, OperationError(_("Неверный выбор предложений."), 400),
                           split_title=title)
    except OperationError as error:
        return failed_edit(event, section, error, split_title=title)
    flash(_("Создан раздел «%(title)s».", title=new.title), "success")
    return back_to(new, f"section-{new.id}")


@bp.route("/events/<int:event_id>/manage/workspace/proposals/<int:proposal_id>/move",
          methods=["POST"])
@organiser_required
def move(event_id: int, proposal_id: int):
    event = load_event(event_id)
    proposal = load_proposal(event, proposal_id)
    raw = request.form.get("section", "")
    if not raw.isdigit():
        raise OperationError(_("Выберите раздел, куда перенести предложение."), 400)
    target = load_section(event, int(raw))
    try:
        ops.move_proposal(proposal, target, current_user)
    except OperationError as error:
        return failed_edit(event, target, error)
    flash(_("Предложение «%(title)s» перенесено в раздел «%(section)s».", title=proposal.title,
            section=target.title), "success")
    return back_to(target, f"section-{target.id}")
