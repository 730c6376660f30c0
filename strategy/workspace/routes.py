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

The board (JSON writes, see below):
  GET  '/board'                       workspace.board        columns and cards (?fragment=1)
  GET  '/board/proposals/<pid>'       workspace.card         a card's full text (HTML part)
  POST '/board/move'                  workspace.board_move   proposals, section, expected, run
  POST '/board/split'                 workspace.board_split  track, proposals, title, run
  POST '/board/sections/<sid>/merge'  workspace.board_merge  into, run
  POST '/board/sections/<sid>/rename' workspace.board_rename title
  POST '/board/sections/<sid>/lock'   workspace.board_lock   locked
  POST '/board/sections/<sid>/state'  workspace.board_state  state
  POST '/board/undo'                  workspace.board_undo   track, run
"""
import functools

import sqlalchemy as sa
from flask import (abort, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user

from strategy.core.errors import OperationError, wants_json
from strategy.core.permissions import organiser_required
from strategy.core.templating import count_word, register_nav
from strategy.comments.models import Comment, CommentStatus
from strategy.events.models import Event, Track
from strategy.core.loading import load_event, load_proposal, load_track
from strategy.export.drafts import load_export_data, section_views
from strategy.extensions import db
from strategy.live.broker import latest_cursor
from strategy.proposals.models import ProposalKind
from strategy.discussion.queries import published_by_workspace_section
from strategy.workspace import bp
from strategy.workspace import operations as ops
from strategy.workspace.board import Filters, board_for
from strategy.workspace.models import ClusterRun, SectionState
from strategy.workspace.queries import (latest_run, recent_edits, section_in_event,
                                        track_overview)
from strategy.jobs.tasks import submit_grouping
from strategy.review.queries import answer_filter_choices

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
        errors=errors or {}, typed=typed or {},
        discussion=published_by_workspace_section(event)), status


def back_to(section_or_track, anchor: str = ""):
    event_id = section_or_track.event_id
    slug = getattr(section_or_track, "slug", None) or section_or_track.track.slug
    url = url_for("workspace.index", event_id=event_id, track=slug)
    return redirect(f"{url}#{anchor}" if anchor else url)


def run_to_dict(run: ClusterRun) -> dict:
    return {"id": run.id, "status": run.status.value, "status_label": run.status.label,
            "progress": run.progress, "message": run.message, "log": run.log or [],
            "stage": run.stage or "", "stage_label": ops.stage_label(run.stage),
            "track": run.track.slug if run.track else None, "active": run.status.active,
            "n_proposals": run.n_proposals, "n_sections": run.n_sections,
            "cancel_url": url_for("jobs.cancel_run", event_id=run.event_id, run_id=run.id)}


@bp.route(PREFIX + "/runs", methods=["POST"])
@organiser_required
def start_run(event_id: int):
    """Queue a grouping run and execute it in the background; answers at once."""
    event = load_event(event_id)
    slug = request.form.get("track", "")
    track = None if slug == "all" else chosen_track(event, slug)
    run = ops.start_run(event, track, current_user)
    submit_grouping(run.id)  # the worker on Redis; a thread without it
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


# --------------------------------------------------------------------------- the board
# The affinity board (/board): the same operations as the forms above, answered as JSON
# {"success": true, "data": …} / {"success": false, "error": status, "message": …}; after
# each answer the page redraws the board from the server, so it always shows the real state.


def board_track(event: Event, slug: str | None) -> Track:
    track = chosen_track(event, slug)
    if track is None:
        raise OperationError(_("В мероприятии нет треков."), 404)
    return track


@bp.route(PREFIX + "/board")
@organiser_required
def board(event_id: int):
    """The track's sections as columns of cards; ?fragment=1 gives only the columns."""
    event = load_event(event_id)
    if not event.tracks:
        return render_workspace(event, None)
    track = board_track(event, request.args.get("track"))
    cursor = latest_cursor(event.id)  # before the data: a change in between is not missed
    view = board_for(event, track, Filters.from_args(request.args))
    if request.args.get("fragment"):
        return render_template("workspace/_board.html", event=event, board=view,
                               states=list(SectionState))
    run = latest_run(event)
    return render_template("workspace/board.html", event=event, track=track, board=view,
                           overview=track_overview(event), states=list(SectionState),
                           kinds=list(ProposalKind), answers=answer_filter_choices(),
                           busy=ops.track_is_busy(track.id),
                           active=run if run and run.status.active else None, cursor=cursor)


@bp.route(PREFIX + "/board/proposals/<int:proposal_id>")
@organiser_required
def card(event_id: int, proposal_id: int):
    """A card's full text for the panel beside the board."""
    event = load_event(event_id)
    proposal = load_proposal(event, proposal_id)
    view = board_for(event, proposal.track)
    found = next(((column, c) for column in view.columns for c in column.cards
                  if c.proposal.id == proposal.id), None)
    if found is None:
        raise OperationError(_("Этого предложения нет на доске: оно скрыто или объединено с "
                               "другим."), 404)
    column, item = found
    comments = [c for c in proposal_comments(proposal) if c.status is CommentStatus.published]
    return render_template("workspace/_card_detail.html", event=event, board=view,
                           column=column, item=item, comments=comments)


def proposal_comments(proposal):
    return db.session.scalars(sa.select(Comment).where(Comment.proposal_id == proposal.id)
                              .order_by(Comment.id)).all()


def board_json(view):
    """Board writes answer JSON whatever the Accept header says, errors included."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except OperationError as error:
            db.session.rollback()
            return jsonify({"success": False, "error": error.status,
                            "message": error.message}), error.status

    return wrapped


def payload() -> dict:
    """The JSON body the board sends; a plain form works too (proposals=<id> repeated)."""
    body = request.get_json(silent=True)
    if isinstance(body, dict):
        return body
    return {**request.form.to_dict(), "proposals": request.form.getlist("proposals")}


def int_or_none(value, message: str):
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise OperationError(message, 400)


def seen_run(body: dict):
    return int_or_none(body.get("run"), _("Неверные данные доски: обновите страницу."))


def board_proposals(event, body: dict) -> list:
    raw = body.get("proposals")
    if not isinstance(raw, list) or not raw:
        raise OperationError(_("Выберите предложения, которые нужно перенести."), 400)
    ids = [int_or_none(v, _("Неверный выбор предложений.")) for v in raw]
    return [load_proposal(event, pid) for pid in ids if pid is not None]


def expected_sections(body: dict):
    """proposal id → the section the person saw it in (None: outside sections)."""
    raw = body.get("expected")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise OperationError(_("Неверные данные доски: обновите страницу."), 400)
    return {int_or_none(k, _("Неверный выбор предложений.")):
            int_or_none(v, _("Неверные данные доски: обновите страницу."))
            for k, v in raw.items()}


def done(message: str, **data):
    return jsonify({"success": True, "data": {"message": message, **data}})


@bp.route(PREFIX + "/board/move", methods=["POST"])
@organiser_required
@board_json
def board_move(event_id: int):
    """Move one or several cards into a section: {proposals, section, expected, run}."""
    event = load_event(event_id)
    body = payload()
    proposals = board_proposals(event, body)
    section_id = int_or_none(body.get("section"), _("Выберите раздел, куда перенести."))
    if section_id is None:
        raise OperationError(_("Выберите раздел, куда перенести."), 400)
    target = load_section(event, section_id)
    moves = ops.move_proposals(proposals, target, current_user,
                               expected=expected_sections(body), seen_run=seen_run(body))
    if len(proposals) == 1:
        message = _("«%(title)s» — в разделе «%(section)s».", title=proposals[0].title,
                    section=target.title)
    else:
        message = _("%(n)s — в разделе «%(section)s».", section=target.title,
                    n=count_word(len(proposals), "предложение", "предложения", "предложений",
                                 "proposal", "proposals"))
    return done(message, section=target.id, moved=[m["proposal"] for m in moves])


@bp.route(PREFIX + "/board/split", methods=["POST"])
@organiser_required
@board_json
def board_split(event_id: int):
    """Cards dropped on the empty column: {track, proposals, title?, expected, run}."""
    event = load_event(event_id)
    body = payload()
    track = board_track(event, body.get("track"))
    proposals = board_proposals(event, body)
    new = ops.split_off(track, current_user, proposals, str(body.get("title") or ""),
                        expected=expected_sections(body), seen_run=seen_run(body))
    return done(_("Создан раздел «%(title)s». Дайте ему название.", title=new.title),
                section=new.id, title=new.title)


@bp.route(PREFIX + "/board/sections/<int:section_id>/merge", methods=["POST"])
@organiser_required
@board_json
def board_merge(event_id: int, section_id: int):
    """A section dropped on another: {into, run}; the one dropped on keeps its name."""
    event = load_event(event_id)
    body = payload()
    source = load_section(event, section_id)
    into = int_or_none(body.get("into"), _("Выберите раздел, с которым объединить."))
    if into is None:
        raise OperationError(_("Выберите раздел, с которым объединить."), 400)
    target = load_section(event, into)
    title = source.title
    ops.merge_sections(source, target, current_user, seen_run=seen_run(body))
    return done(_("Раздел «%(source)s» объединён с «%(target)s».", source=title,
                  target=target.title), section=target.id)


@bp.route(PREFIX + "/board/sections/<int:section_id>/rename", methods=["POST"])
@organiser_required
@board_json
def board_rename(event_id: int, section_id: int):
    event = load_event(event_id)
    section = load_section(event, section_id)
    ops.rename_section(section, current_user, str(payload().get("title") or ""))
    return done(_("Раздел переименован: «%(title)s».", title=section.title),
                section=section.id, title=section.title)


@bp.route(PREFIX + "/board/sections/<int:section_id>/lock", methods=["POST"])
@organiser_required
@board_json
def board_lock(event_id: int, section_id: int):
    event = load_event(event_id)
    section = load_section(event, section_id)
    locked = payload().get("locked") in (True, 1, "1", "true")
    ops.set_locked(section, current_user, locked)
    return done(_("Раздел «%(title)s» закреплён: повторная группировка его не изменит.",
                  title=section.title) if locked else
                _("Закрепление раздела «%(title)s» снято.", title=section.title),
                section=section.id, locked=section.locked)


@bp.route(PREFIX + "/board/sections/<int:section_id>/state", methods=["POST"])
@organiser_required
@board_json
def board_state(event_id: int, section_id: int):
    event = load_event(event_id)
    section = load_section(event, section_id)
    ops.set_state(section, current_user, str(payload().get("state") or ""))
    return done(_("Состояние раздела «%(title)s»: %(state)s.", title=section.title,
                  state=section.state.label.lower()), section=section.id,
                state=section.state.value)


UNDONE = {
    "move": lambda: _("Перенос отменён."), "split": lambda: _("Разделение отменено."),
    "merge": lambda: _("Объединение отменено."), "rename": lambda: _("Переименование отменено."),
    "lock": lambda: _("Закрепление отменено."), "unlock": lambda: _("Снятие закрепления отменено."),
    "state": lambda: _("Смена состояния отменена."),
}


@bp.route(PREFIX + "/board/undo", methods=["POST"])
@organiser_required
@board_json
def board_undo(event_id: int):
    """Take back the person's last edit on this track's board: {track, run}."""
    event = load_event(event_id)
    body = payload()
    track = board_track(event, body.get("track"))
    edit = ops.undo_last(track, current_user, seen_run=seen_run(body))
    return done(UNDONE[edit.action](), undone=edit.id, action=edit.action)
