"""Moderation queue and actions, flags, phases and support rules, the audit log.

URL rules (all staff pages under /events/<id>/manage/):
  GET       /events/<id>/manage                                   overview        staff
  POST      /events/<id>/manage/settings                          settings        organiser
  GET       /events/<id>/manage/queue                             queue           staff
  GET       /events/<id>/manage/tracks/<slug>                     track           staff (track)
  POST      /events/<id>/manage/tracks/<slug>/<phase>/open|close  open/close_phase staff (track)
  POST      /events/<id>/manage/tracks/<slug>/rules               support_rules   staff (track)
  POST      /events/<id>/manage/proposals/<pid>/<action>          approve, hide, restore, pin,
                                                                  unpin, merge, dismiss_flags
  GET, POST /events/<id>/manage/proposals/<pid>/edit              edit_proposal   staff (track)
  POST      /events/<id>/manage/comments/<cid>/<action>           approve, hide, restore,
                                                                  dismiss_flags (comment_*)
  POST      /events/<id>/manage/users/<uid>/mute|unmute           mute, unmute    staff
  GET       /events/<id>/manage/audit[.csv]                       audit, audit_csv organiser
  POST      /events/<id>/proposals/<pid>/flag                     flag_proposal   signed in
  POST      /events/<id>/comments/<cid>/flag                      flag_comment    signed in

Every action button (approve … unmute) is one row of the table in actions.py; the JSON API
(api/moderation.py) offers the same actions from the same table.
"""
import csv
import io
import json

from flask import (
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from strategy.core.errors import OperationError, wants_json
from strategy.core.forms import EmptyForm
from strategy.core.loading import load_comment, load_event, load_proposal, load_track
from strategy.core.redirects import safe_next
from strategy.core.permissions import (
    ensure_can_moderate,
    organiser_required,
    staff_required,
)
from strategy.core.spreadsheet import neutralise
from strategy.core.templating import register_nav, to_event_time
from strategy.discussion.queries import queued_section_comments
from strategy.events import operations as event_ops
from strategy.events.models import Track
from strategy.extensions import db
from strategy.moderation import bp
from strategy.moderation import operations as ops
from strategy.moderation.actions import (
    ACTIONS,
    COMMENT,
    PROPOSAL,
    REASON,
    TARGET,
    USER,
    Action,
    ensure_allowed,
    load_target,
    proposal_of,
)
from strategy.moderation.forms import (
    EventSettingsForm,
    FlagForm,
    MergeForm,
    PhaseForm,
    ReasonForm,
    SupportRulesForm,
    to_local_input,
)
from strategy.moderation.queries import (
    ACTION_LABELS,
    AUDIT_PER_PAGE,
    FIELD_LABELS,
    NEW_LIMIT,
    TARGET_LABELS,
    AuditFilters,
    audit_actors,
    audit_query,
    audit_value,
    flag_reasons,
    flagged_proposals,
    moderated_tracks,
    proposals_with_status,
    queued_comments,
    suggestions_for,
)
from strategy.proposals.forms import ProposalForm
from strategy.proposals.models import ProposalStatus



# --- helpers -------------------------------------------------------------------------------

def done(message: str, default: str):
    """Flash and go back to where the button was (a local ``next``), else to ``default``."""
    flash(message, "success")
    return redirect(safe_next(default))


def require_form(form_class=None, **kwargs):
    """Validate a POST-only form (CSRF, fields); the first error becomes a 400 message."""
    form = (form_class or EmptyForm)(**kwargs)
    if not form.validate_on_submit():
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        raise OperationError(str(errors[0]) if errors else _("Запрос не удалось обработать."),
                             400)
    return form


def nav_items(event, user):
    """Staff menu entries (register_nav provider)."""
    if event is None or not getattr(user, "is_staff", False):
        return []
    items = [{"url": url_for("moderation.queue", event_id=event.id), "label": _("Модерация")},
             {"url": url_for("moderation.overview", event_id=event.id),
              "label": _("Этапы и правила треков")},
             {"url": url_for("live.event_screen", event_id=event.id), "label": _("Экран зала")}]
    if user.is_organiser:
        items.append({"url": url_for("moderation.audit", event_id=event.id),
                      "label": _("Журнал действий")})
    return items


bp.record_once(lambda state: register_nav(state.app, nav_items))

# --- overview, settings, track phases -----------------------------------------------------

@bp.route("/events/<int:event_id>/manage")
@staff_required
def overview(event_id: int):
    """All tracks with their phases and links; event settings for organisers."""
    event = load_event(event_id)
    form = EventSettingsForm(data={"moderation_mode": event.moderation_mode.value,
                                   "flag_threshold": event.flag_threshold})
    return render_template("moderation/overview.html", event=event, settings_form=form,
                           tracks=moderated_tracks(event, current_user))


@bp.route("/events/<int:event_id>/manage/settings", methods=["POST"])
@organiser_required
def settings(event_id: int):
    event = load_event(event_id)
    form = EventSettingsForm()
    if not form.validate_on_submit():
        return render_template("moderation/overview.html", event=event, settings_form=form,
                               tracks=moderated_tracks(event, current_user)), 400
    changed = event_ops.set_event_settings(event, current_user,
                                     moderation_mode=form.moderation_mode.data,
                                     flag_threshold=form.flag_threshold.data)
    message = _("Настройки сохранены.") if changed else _("Изменений нет.")
    return done(message, url_for("moderation.overview", event_id=event.id))


def moderated_track(event, slug: str) -> Track:
    track = load_track(event, slug)
    ensure_can_moderate(current_user, track)
    return track


def render_track(event, track, phase_forms=None, rules_form=None, status=200):
    phase_forms = phase_forms or {}
    for phase in event_ops.PHASES:
        if phase not in phase_forms:
            value = to_local_input(getattr(track, f"{phase}_ends_at"), event.timezone)
            phase_forms[phase] = PhaseForm(tz_name=event.timezone, prefix=phase,
                                           data={"ends_at": value})
    rules_form = rules_form or SupportRulesForm(data={
        "budget": track.support_budget, "hide_counts": track.hide_counts,
        "projector_shows_counts": track.projector_shows_counts})
    return render_template("moderation/track.html", event=event, track=track,
                           phase_forms=phase_forms, rules_form=rules_form), status


@bp.route("/events/<int:event_id>/manage/tracks/<slug>")
@staff_required
def track(event_id: int, slug: str):
    """Phases (submission, support) with end times, and the support rules of one track."""
    event = load_event(event_id)
    return render_track(event, moderated_track(event, slug))


@bp.route("/events/<int:event_id>/manage/tracks/<slug>/<phase>/open", methods=["POST"])
@staff_required
def open_phase(event_id: int, slug: str, phase: str):
    event = load_event(event_id)
    track = moderated_track(event, slug)
    event_ops.check_phase_name(phase)
    form = PhaseForm(tz_name=event.timezone, prefix=phase)
    if not form.validate_on_submit():
        return render_track(event, track, phase_forms={phase: form}, status=400)
    try:
        event_ops.open_phase(track, current_user, phase, form.ends_at_utc)
    except OperationError as error:
        db.session.rollback()
        if error.status != 400 or wants_json():
            raise
        form.ends_at.errors = [error.message]
        return render_track(event, track, phase_forms={phase: form}, status=400)
    message = _("Приём предложений открыт.") if phase == "submission" else _("Поддержка открыта.")
    return done(message, url_for("moderation.track", event_id=event.id, slug=slug))


@bp.route("/events/<int:event_id>/manage/tracks/<slug>/<phase>/close", methods=["POST"])
@staff_required
def close_phase(event_id: int, slug: str, phase: str):
    event = load_event(event_id)
    track = moderated_track(event, slug)
    require_form()
    event_ops.close_phase(track, current_user, phase)
    message = _("Приём предложений закрыт.") if phase == "submission" else _("Поддержка закрыта.")
    return done(message, url_for("moderation.track", event_id=event.id, slug=slug))


@bp.route("/events/<int:event_id>/manage/tracks/<slug>/rules", methods=["POST"])
@staff_required
def support_rules(event_id: int, slug: str):
    event = load_event(event_id)
    track = moderated_track(event, slug)
    form = SupportRulesForm()
    if not form.validate_on_submit():
        return render_track(event, track, rules_form=form, status=400)
    changed = event_ops.set_support_rules(track, current_user, budget=form.budget.data,
                                    hide_counts=form.hide_counts.data,
                                    projector_shows_counts=form.projector_shows_counts.data)
    message = _("Правила поддержки сохранены.") if changed else _("Изменений нет.")
    return done(message, url_for("moderation.track", event_id=event.id, slug=slug))


# --- the queue -----------------------------------------------------------------------------

def queue_context(event):
    """Everything the queue shows for the tracks this person moderates (or one track)."""
    tracks = moderated_tracks(event, current_user)
    slug = request.args.get("track", "")
    if slug:
        tracks = [moderated_track(event, slug)]
    ids = [t.id for t in tracks]
    pending = proposals_with_status(ids, ProposalStatus.pending)
    new = proposals_with_status(ids, ProposalStatus.published, limit=NEW_LIMIT)
    flagged = flagged_proposals(ids)
    comments = queued_comments(ids)
    section_comments = queued_section_comments(ids)
    keys = ([f"p{p.id}" for p in pending + flagged] + [f"c{c.id}" for c in comments]
            + [f"s{c.id}" for c in section_comments])
    return {"event": event, "tracks": tracks, "track_filter": slug, "pending": pending,
            "new": new, "flagged": flagged, "comments": comments,
            "section_comments": section_comments,
            "hidden": proposals_with_status(ids, ProposalStatus.hidden, limit=20),
            "suggestions": suggestions_for(pending + new), "reasons": flag_reasons(keys),
            "all_tracks": moderated_tracks(event, current_user)}


@bp.route("/events/<int:event_id>/manage/queue")
@staff_required
def queue(event_id: int):
    """New proposals with similar ones, flags, pending comments; refreshed live by live.js."""
    event = load_event(event_id)
    context = queue_context(event)
    if request.args.get("fragment"):
        return render_template("moderation/_queue.html", **context)
    return render_template("moderation/queue.html", **context)


# --- moderation actions (the table in actions.py) --------------------------------------------

def back_to(proposal) -> str:
    return url_for("proposals.detail", event_id=proposal.event_id, proposal_id=proposal.id)


ACTION_URLS = {PROPOSAL: "/events/<int:event_id>/manage/proposals/<int:proposal_id>",
               COMMENT: "/events/<int:event_id>/manage/comments/<int:comment_id>",
               USER: "/events/<int:event_id>/manage/users/<int:user_id>"}
ACTION_FORMS = {(): EmptyForm, (REASON,): ReasonForm, (TARGET,): MergeForm}


def action_view(action: Action):
    """A button's handler: load, check the right, validate the form, run, go back."""

    @staff_required
    def view(event_id: int, **object_id: int):
        event = load_event(event_id)
        obj = load_target(action, event, *object_id.values())
        ensure_allowed(action, current_user, obj)
        form = require_form(ACTION_FORMS[action.inputs])
        result = action.perform(obj, current_user, event,
                                **{name: getattr(form, name).data for name in action.inputs})
        proposal = proposal_of(result)
        default = (back_to(proposal) if action.back_to_proposal and proposal
                   else url_for("moderation.queue", event_id=event.id))
        return done(action.done(result), default)

    view.__name__ = action.endpoint
    view.__doc__ = action.summary
    return view


for _action in ACTIONS:
    bp.add_url_rule(f"{ACTION_URLS[_action.target]}/{_action.name}", endpoint=_action.endpoint,
                    view_func=action_view(_action), methods=["POST"])


@bp.route("/events/<int:event_id>/manage/proposals/<int:proposal_id>/edit",
          methods=["GET", "POST"])
@staff_required
def edit_proposal(event_id: int, proposal_id: int):
    """A facilitator fixes a proposal; the previous text stays in its history."""
    event = load_event(event_id)
    proposal = load_proposal(event, proposal_id)
    ensure_can_moderate(current_user, proposal.track)
    if proposal.status is ProposalStatus.merged:
        raise OperationError(_("Предложение объединено с другим; редактируйте итоговое."), 409)
    form = ProposalForm(event=event, tracks=[proposal.track],
                        obj=proposal if request.method == "GET" else None)
    if request.method == "GET":
        form.track.data = proposal.track.slug
        form.kind.data = proposal.kind.value
    if form.validate_on_submit():
        try:
            ops.edit_proposal(proposal, current_user, form.data)
        except OperationError as error:
            db.session.rollback()
            form.title.errors = [error.message]
            return render_edit(event, form, proposal), error.status
        flash(_("Исправление сохранено; прежний текст есть в истории."), "success")
        return redirect(back_to(proposal))
    form.pre_validate_messages()
    return render_edit(event, form, proposal), 400 if request.method == "POST" else 200


def render_edit(event, form, proposal):
    return render_template("proposals/form.html", event=event, form=form,
                           open_tracks=[proposal.track], proposal=proposal, similar_url="")


# --- flags (participants) ------------------------------------------------------------------

@bp.route("/events/<int:event_id>/proposals/<int:proposal_id>/flag", methods=["POST"])
@login_required
def flag_proposal(event_id: int, proposal_id: int):
    """Complain about a proposal (жалоба); one per person."""
    event = load_event(event_id)
    proposal = load_proposal(event, proposal_id)
    form = require_form(FlagForm)
    ops.flag(current_user, proposal, reason=form.reason.data or "")
    return done(_("Спасибо, жалоба передана модератору."), back_to(proposal))


@bp.route("/events/<int:event_id>/comments/<int:comment_id>/flag", methods=["POST"])
@login_required
def flag_comment(event_id: int, comment_id: int):
    event = load_event(event_id)
    comment = load_comment(event, comment_id)
    form = require_form(FlagForm)
    ops.flag(current_user, comment.proposal, comment, reason=form.reason.data or "")
    return done(_("Спасибо, жалоба передана модератору."), back_to(comment.proposal))


# --- audit log -----------------------------------------------------------------------------

@bp.route("/events/<int:event_id>/manage/audit")
@organiser_required
def audit(event_id: int):
    """Every moderation action: who, when, what, before and after; filterable."""
    event = load_event(event_id)
    filters = AuditFilters.from_args(request.args)
    page = db.paginate(audit_query(event, filters), page=filters.page, per_page=AUDIT_PER_PAGE,
                       error_out=False)
    return render_template("moderation/audit.html", event=event, page=page, filters=filters,
                           actors=audit_actors(event), action_labels=ACTION_LABELS,
                           target_labels=TARGET_LABELS, field_labels=FIELD_LABELS,
                           audit_value=audit_value, tracks={t.id: t for t in event.tracks})


@bp.route("/events/<int:event_id>/manage/audit.csv")
@organiser_required
def audit_csv(event_id: int):
    """The filtered audit log as CSV (UTF-8 with BOM, so Excel reads Cyrillic)."""
    event = load_event(event_id)
    filters = AuditFilters.from_args(request.args)
    tracks = {t.id: t.title for t in event.tracks}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Время"), _("Трек"), _("Кто"), _("Действие"), _("Объект"), _("Номер"),
                     _("Причина"), _("Было"), _("Стало")])
    for entry in db.session.scalars(audit_query(event, filters)):
        writer.writerow([neutralise("" if cell is None else str(cell)) for cell in (
            to_event_time(entry.created_at, event.timezone).strftime("%Y-%m-%d %H:%M:%S"),
            tracks.get(entry.track_id, ""),
            entry.actor.display_name if entry.actor else _("система"),
            str(ACTION_LABELS.get(entry.action, entry.action)),
            str(TARGET_LABELS.get(entry.target_type, entry.target_type)), entry.target_id,
            entry.reason, dump(entry.before), dump(entry.after))])
    body = "\ufeff" + out.getvalue()
    filename = f"audit-{event.slug}.csv"
    return Response(body.encode("utf-8"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def dump(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""


@bp.app_template_global()
def flag_form():
    return FlagForm()


@bp.app_template_global()
def reason_form():
    return ReasonForm()


@bp.app_template_global()
def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))

