"""Review pages: «Экспертиза» for experts (their tracks' projects and ideas, one assessment
each) and for the methodical group (figures per proposal, sortable, as a file); the official
answer a facilitator or the methodical group gives a proposal.

URL rules:
  GET       /events/<id>/review                          index       expert, organiser
  GET, POST /events/<id>/review/proposals/<pid>          assess      expert (own tracks), organiser reads
  GET       /events/<id>/manage/review.<csv|xlsx>        summary_file organiser
  GET, POST /events/<id>/manage/review/criteria          criteria    organiser
  POST      /events/<id>/proposals/<pid>/answer          answer      track's facilitator, organiser
"""
import csv
import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from openpyxl import Workbook

from strategy.auth.models import Role
from strategy.core.errors import OperationError
from strategy.core.forms import form_error
from strategy.core.loading import load_event, load_proposal, load_track
from strategy.core.permissions import organiser_required, role_required
from strategy.core.spreadsheet import neutralise
from strategy.core.templating import register_nav
from strategy.extensions import db
from strategy.proposals.views import render_detail
from strategy.review import bp
from strategy.review import operations as ops
from strategy.review.forms import SCORES, AnswerForm, AssessmentForm
from strategy.review.models import ANSWER_FILTERS, Assessment, expert_tracks, is_expert_for
from strategy.review.queries import (SUMMARY_SORTS, answer_filter_choices, expert_worklist,
                                     summary_rows, summary_table, visible_assessments)

expert_required = role_required(Role.expert)


def nav_items(event, user):
    """«Экспертиза» for the event's experts and its methodical group."""
    if event is None or not getattr(user, "is_authenticated", False):
        return []
    if user.can_manage(event) or (user.role is Role.expert and user.acts_in(event)):
        return [{"url": url_for("review.index", event_id=event.id), "label": _("Экспертиза")}]
    return []


bp.record_once(lambda state: register_nav(state.app, nav_items))



@bp.route("/events/<int:event_id>/review")
@expert_required
def index(event_id: int):
    event = load_event(event_id)
    criteria = ops.criteria_of(event)
    if current_user.can_manage(event):
        sort = request.args.get("sort", "mean")
        sort = sort if sort in SUMMARY_SORTS else "mean"
        slug = request.args.get("track", "")
        track = load_track(event, slug) if slug else None
        answer = request.args.get("answer", "")
        answer = answer if answer in ANSWER_FILTERS else ""
        return render_template("review/summary.html", event=event, criteria=criteria,
                               rows=summary_rows(event, sort, track, answer), sort=sort,
                               track=track, sorts=SUMMARY_SORTS, answer_filter=answer,
                               answer_choices=answer_filter_choices())
    proposals, own = expert_worklist(event, current_user)
    return render_template("review/index.html", event=event, proposals=proposals, own=own,
                           tracks=expert_tracks(current_user, event), criteria=criteria)


def assessment_data(own, criteria) -> dict:
    if own is None:
        return {}
    return {"recommendation": own.recommendation}


@bp.route("/events/<int:event_id>/review/proposals/<int:proposal_id>", methods=["GET", "POST"])
@expert_required
def assess(event_id: int, proposal_id: int):
    """One proposal with the expert's form; the others' assessments once the own is given."""
    event = load_event(event_id)
    proposal = load_proposal(event, proposal_id)
    if not proposal.can_view(current_user):
        abort(404)
    manager = current_user.can_manage(event)
    if not manager and not is_expert_for(current_user, proposal.track):
        raise OperationError(_("Оценивать предложения трека «%(track)s» могут только его "
                               "эксперты.", track=proposal.track.title), 403)
    criteria = ops.criteria_of(event)
    own, visible = visible_assessments(proposal, current_user)
    form = AssessmentForm(data=assessment_data(own, criteria) if request.method == "GET"
                          else None)
    typed = dict(own.scores) if own and request.method == "GET" else {
        c["key"]: request.form.get(f"score_{c['key']}", "") for c in criteria}
    score_errors, status = {}, 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                ops.save_assessment(proposal, current_user, typed, form.recommendation.data,
                                    revise=request.form.get("revise") == "1")
            except OperationError as error:
                db.session.rollback()
                if error.status in (401, 403):
                    raise
                field = getattr(error, "field", "")
                if field.startswith("score_"):
                    score_errors[field[len("score_"):]] = error.message
                else:
                    form_error(form, error)
                status = error.status
            else:
                flash(_("Оценка сохранена."), "success")
                return redirect(url_for("review.assess", event_id=event.id,
                                        proposal_id=proposal.id))
    return render_template("review/assess.html", event=event, proposal=proposal,
                           track=proposal.track, criteria=criteria, form=form, typed=typed,
                           score_errors=score_errors, own=own, visible=visible,
                           others=[a for a in visible if own is None or a.id != own.id],
                           can_assess=Assessment.can_make(current_user, proposal),
                           scores=SCORES, manager=manager), status


@bp.route("/events/<int:event_id>/manage/review.<any(csv, xlsx):fmt>")
@organiser_required
def summary_file(event_id: int, fmt: str):
    """The figures per proposal as a sheet (the XLSX export has them too, sheet «Экспертиза»)."""
    event = load_event(event_id)
    header, rows = summary_table(event)
    name = f"review-{event.id}"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows([[neutralise(cell) for cell in row] for row in rows])
        return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Экспертиза"
    sheet.append(header)
    for row in rows:
        sheet.append([neutralise(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Response(buffer.getvalue(), headers={
        "Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/events/<int:event_id>/manage/review/criteria", methods=["GET", "POST"])
@organiser_required
def criteria(event_id: int):
    """The event's criteria: rename, drop (leave empty) or add one."""
    event = load_event(event_id)
    current = ops.criteria_of(event)
    error, status = None, 200
    typed = {c["key"]: c["title"] for c in current}
    new = ""
    if request.method == "POST":
        typed = {c["key"]: request.form.get(f"title_{c['key']}", "") for c in current}
        new = request.form.get("new", "")
        items = [(key, title) for key, title in typed.items()] + [(None, new)]
        try:
            ops.set_criteria(event, current_user, items)
        except OperationError as refusal:
            db.session.rollback()
            if refusal.status in (401, 403):
                raise
            error, status = refusal.message, refusal.status
        else:
            flash(_("Критерии сохранены."), "success")
            return redirect(url_for("review.criteria", event_id=event.id))
    return render_template("review/criteria.html", event=event, criteria=current, typed=typed,
                           new=new, error=error), status


@bp.route("/events/<int:event_id>/proposals/<int:proposal_id>/answer", methods=["POST"])
@login_required
def answer(event_id: int, proposal_id: int):
    event = load_event(event_id)
    proposal = load_proposal(event, proposal_id)
    form = AnswerForm()  # the site-wide CSRF check ran; the operation checks the rest
    try:
        ops.give_answer(proposal, current_user, form.state.data, form.body.data)
    except OperationError as error:
        db.session.rollback()
        if error.status in (401, 403) or not proposal.is_visible:
            raise  # no form to show it beside: the error page says it
        form_error(form, error)
        return render_detail(event, proposal, answer_form=form, status=error.status)
    flash(_("Официальный ответ сохранён."), "success")
    return redirect(url_for("proposals.detail", event_id=event.id, proposal_id=proposal.id,
                            _anchor="answer"))
