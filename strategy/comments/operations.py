"""Adding comments and replies."""
from typing import Optional

from flask_babel import gettext as _

from strategy.auth.models import User
from strategy.comments.models import Comment, CommentStatus, Stance
from strategy.core.errors import OperationError, operation
from strategy.core.permissions import ensure_event_allows, ensure_member
from strategy.events.models import ModerationMode
from strategy.extensions import db
from strategy.live.models import ChangeKind
from strategy.live.operations import record_change
from strategy.notifications.operations import notify_comment
from strategy.proposals.models import Proposal, ProposalStatus
from strategy.proposals.operations import bump


@operation
def add_comment(proposal: Proposal, author: User, body: str, *, stance: Optional[str] = None,
                parent: Optional[Comment] = None) -> Comment:
    """Comment on a proposal; a reply to a reply attaches to the top comment (one level)."""
    ensure_member(author, proposal.event)
    ensure_event_allows(proposal.event, "comment")
    if proposal.status is not ProposalStatus.published:
        raise OperationError(_("Комментировать можно только опубликованное предложение."), 409)
    if author.is_muted:
        raise OperationError(_("Модератор ограничил вам возможность публиковать."), 403)
    replied_to = parent  # the comment actually answered (a reply's thread is its top comment)
    if parent is not None:
        if parent.proposal_id != proposal.id:
            raise OperationError(_("Ответ должен относиться к тому же предложению."), 400)
        parent = parent.parent or parent
    pre = proposal.event.moderation_mode is ModerationMode.pre
    comment = Comment(proposal_id=proposal.id, author_id=author.id, body=body.strip(),
                      stance=Stance(stance) if stance else None,
                      parent_id=parent.id if parent else None,
                      status=CommentStatus.pending if pre else CommentStatus.published)
    db.session.add(comment)
    db.session.flush()
    if comment.status is CommentStatus.published:
        bump(proposal.id, Proposal.comment_count, +1)
        # Under pre-moderation the people are told when the comment is approved.
        notify_comment(comment, author, replied_to=replied_to)
    record_change(proposal.event_id, ChangeKind.comment_created, track_id=proposal.track_id,
                  proposal_id=proposal.id, comment_id=comment.id, status=comment.status.value)
    db.session.commit()
    return comment
