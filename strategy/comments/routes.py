"""Posting comments and replies."""
from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from strategy.comments import bp
from strategy.comments.forms import CommentForm
from strategy.comments.models import Comment, CommentStatus
from strategy.comments.operations import add_comment
from strategy.core.loading import load_event, load_proposal
from strategy.extensions import db
from strategy.proposals.views import render_detail


@bp.route("/events/<int:event_id>/proposals/<int:proposal_id>/comments", methods=["POST"])
@login_required
def create(event_id: int, proposal_id: int):
    event = load_event(event_id)
    proposal = load_proposal(event, proposal_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return render_detail(event, proposal, comment_form=form, status=400)
    parent = None
    if form.parent_id.data:
        try:
            parent = db.session.get(Comment, int(form.parent_id.data))
        except ValueError:
            abort(400)
        if parent is None:
            abort(404)
    comment = add_comment(proposal, current_user, form.body.data, stance=form.stance.data or None,
                          parent=parent)
    if comment.status is CommentStatus.pending:
        flash(_("Комментарий появится после проверки модератором."), "info")
    else:
        flash(_("Комментарий опубликован."), "success")
    return redirect(url_for("proposals.detail", event_id=event.id, proposal_id=proposal.id,
                            _anchor=f"comment-{comment.id}"))
