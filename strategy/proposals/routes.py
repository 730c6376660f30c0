"""Submit, read, edit proposals; my proposals and supports; libraries joining projects."""
import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from strategy.core.errors import OperationError
from strategy.events.queries import supported_ids
from strategy.core.loading import load_event, load_proposal
from strategy.core.permissions import ensure_event_allows
from strategy.extensions import db
from strategy.proposals import bp
from strategy.proposals.forms import EmptyForm, JoinProjectForm, ProposalForm
from strategy.proposals.models import Proposal, ProposalStatus
from strategy.proposals.queries import answer_condition
from strategy.proposals.views import render_detail
from strategy.proposals.operations import (create_proposal, join_project, leave_project,
                                           update_proposal)
from strategy.review.models import ANSWER_FILTERS
from strategy.review.queries import answer_filter_choices, answers_for
from strategy.supports.models import Support


def form_status() -> int:
    return 400 if request.method == "POST" else 200


@bp.route("/events/<int:event_id>/proposals/new", methods=["GET", "POST"])
@login_required
def create(event_id: int):
    """Submit a proposal to a track that accepts proposals."""
    event = load_event(event_id)
    open_tracks = [t for t in event.tracks if t.accepts_proposals()]
    form = ProposalForm(event=event, tracks=event.tracks)
    if request.method == "GET" and request.args.get("track") in {t.slug for t in open_tracks}:
        form.track.data = request.args["track"]
    if form.validate_on_submit():
        track = next(t for t in event.tracks if t.slug == form.track.data)
        try:
            proposal = create_proposal(track, current_user, form.data)
        except OperationError as error:
            db.session.rollback()
            form.track.errors = [error.message]
            return render_form(event, form, open_tracks), error.status
        if proposal.status is ProposalStatus.pending:
            flash(_("Предложение отправлено и появится после проверки модератором."), "info")
        else:
            flash(_("Предложение опубликовано. Спасибо!"), "success")
        return redirect(url_for("proposals.detail", event_id=event.id, proposal_id=proposal.id))
    form.pre_validate_messages()
    return render_form(event, form, open_tracks), form_status()


def render_form(event, form, open_tracks, proposal=None):
    if proposal is None:  # a new proposal is offered only the tracks that accept proposals
        form.track.choices = [(t.slug, t.title) for t in open_tracks]
    return render_template("proposals/form.html", event=event, form=form, open_tracks=open_tracks,
                           proposal=proposal)


@bp.route("/events/<int:event_id>/proposals/<int:proposal_id>")
def detail(event_id: int, proposal_id: int):
    """The proposal with its supporters count, comments and libraries that joined."""
    event = load_event(event_id)
    proposal = load_proposal(event, proposal_id)
    if proposal.status is ProposalStatus.merged and proposal.merged_into_id:
        flash(_("Это предложение объединено с другим — вы на странице итогового."), "info")
        return redirect(url_for("proposals.detail", event_id=event.id,
                                proposal_id=proposal.merged_into_id))
    if not proposal.can_view(current_user):
        abort(404)
    return render_detail(event, proposal)


@bp.route("/events/<int:event_id>/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id: int, proposal_id: int):
    """The author edits their proposal while its track accepts proposals."""
    event = load_event(event_id)
    proposal = load_proposal(event, proposal_id)
    if proposal.author_id == current_user.id:
        ensure_event_allows(event, "edit")  # the reason, not a bare 403, for its author
    if not proposal.can_edit(current_user):
        abort(403)
    form = ProposalForm(event=event, tracks=[proposal.track], obj=proposal if request.method ==
                        "GET" else None)
    if request.method == "GET":
        form.track.data = proposal.track.slug
        form.kind.data = proposal.kind.value
    if form.validate_on_submit():
        update_proposal(proposal, current_user, form.data)
        flash(_("Изменения сохранены."), "success")
        return redirect(url_for("proposals.detail", event_id=event.id, proposal_id=proposal.id))
    form.pre_validate_messages()
    return render_form(event, form, [proposal.track], proposal), form_status()


@bp.route("/events/<int:event_id>/my/proposals")
@login_required
def mine(event_id: int):
    """The person's own proposals with their official answers, filterable by the answer."""
    event = load_event(event_id)
    answer = request.args.get("answer", "")
    answer = answer if answer in ANSWER_FILTERS else ""
    stmt = sa.select(Proposal).where(Proposal.event_id == event.id,
                                     Proposal.author_id == current_user.id)
    if answer:
        stmt = stmt.where(answer_condition(answer))
    proposals = list(db.session.scalars(stmt.order_by(Proposal.id.desc())))
    return render_template("proposals/mine.html", event=event, proposals=proposals,
                           heading=_("Мои предложения"), mode="mine", answer_filter=answer,
                           answer_choices=answer_filter_choices(),
                           answers=answers_for(p.id for p in proposals),
                           supported=supported_ids(current_user, [p.id for p in proposals]),
                           button_form=EmptyForm())


@bp.route("/events/<int:event_id>/my/supports")
@login_required
def my_supports(event_id: int):
    event = load_event(event_id)
    proposals = list(db.session.scalars(
        sa.select(Proposal).join(Support, Support.proposal_id == Proposal.id)
        .where(Proposal.event_id == event.id, Support.user_id == current_user.id,
               Proposal.status == ProposalStatus.published)  # what moderation hid stays hidden
        .order_by(Support.id.desc())))
    return render_template("proposals/mine.html", event=event, proposals=proposals,
                           heading=_("Я поддерживаю"), mode="supports",
                           supported={p.id for p in proposals}, button_form=EmptyForm())


@bp.route("/events/<int:event_id>/proposals/<int:proposal_id>/join", methods=["POST"])
@login_required
def join(event_id: int, proposal_id: int):
    """Declare that my library joins this project."""
    event = load_event(event_id)
    proposal = load_proposal(event, proposal_id)
    form = JoinProjectForm()
    if not form.validate_on_submit():
        return render_detail(event, proposal, join_form=form, status=400)
    join_project(proposal, current_user, library=form.library.data,
                 municipality=form.municipality.data or "", note=form.note.data or "")
    flash(_("Ваша библиотека присоединилась к проекту."), "success")
    return redirect(url_for("proposals.detail", event_id=event.id, proposal_id=proposal.id,
                            _anchor="joins"))


@bp.route("/events/<int:event_id>/proposals/<int:proposal_id>/leave", methods=["POST"])
@login_required
def leave(event_id: int, proposal_id: int):
    event = load_event(event_id)
    proposal = load_proposal(event, proposal_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    leave_project(proposal, current_user)
    flash(_("Библиотека больше не указана среди участников проекта."), "info")
    return redirect(url_for("proposals.detail", event_id=event.id, proposal_id=proposal.id,
                            _anchor="joins"))
