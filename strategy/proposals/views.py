"""Pages of this domain that other domains render too (the proposal page is shown again when a
comment or a moderation form fails, with the typed text kept)."""
import sqlalchemy as sa
from flask import render_template
from flask_login import current_user

from strategy.comments.forms import CommentForm
from strategy.comments.models import Comment, CommentStatus
from strategy.core.forms import EmptyForm
from strategy.events.queries import supported_ids
from strategy.extensions import db
from strategy.moderation.queries import staff_context
from strategy.proposals.forms import JoinProjectForm
from strategy.proposals.models import LibraryJoin
from strategy.review.forms import AnswerForm
from strategy.review.models import Assessment, OfficialAnswer
from strategy.review.queries import answer_of
from strategy.supports.operations import votes_left


def render_detail(event, proposal, comment_form=None, join_form=None, status=200,
                  answer_form=None):
    comments = [c for c in db.session.scalars(
        sa.select(Comment).where(Comment.proposal_id == proposal.id, Comment.parent_id.is_(None))
        .order_by(Comment.id)) if c.can_view(current_user)]
    user = current_user if current_user.is_authenticated else None
    if join_form is None:
        join_form = JoinProjectForm(data={"library": getattr(user, "library", ""),
                                          "municipality": getattr(user, "municipality", "")})
    my_join = user and db.session.scalar(sa.select(LibraryJoin).where(
        LibraryJoin.proposal_id == proposal.id, LibraryJoin.user_id == user.id))
    answer = answer_of(proposal)
    can_answer = OfficialAnswer.can_give(user, proposal) and proposal.is_visible
    if answer_form is None and can_answer:
        answer_form = AnswerForm(data={"state": answer.state.value if answer else "",
                                       "body": answer.body if answer else ""})
    return render_template(
        "proposals/detail.html", event=event, proposal=proposal, track=proposal.track,
        comments=comments, comment_form=comment_form or CommentForm(), join_form=join_form,
        my_join=my_join, button_form=EmptyForm(),
        supported=supported_ids(current_user, [proposal.id]),
        show_counts=proposal.track.counts_visible_to(user),
        budget_left=votes_left(current_user, proposal.track), visible_status=CommentStatus.published,
        staff=staff_context(proposal, current_user),
        answer=answer, answer_form=answer_form if can_answer else None,
        can_assess=Assessment.can_make(user, proposal),
    ), status
