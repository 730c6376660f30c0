"""Writing notifications and marking them read.

``notify`` only adds to the session: the operation that causes a notification (a comment, a
moderation action, a merge, a waiting-list promotion, an official answer) calls it inside its
own transaction and commits it with everything else, so a refused or failed action leaves no
notification behind, and no notification exists for an action that did not happen.

The bell learns about new notifications through the live broker without anything private in
the public feed: the transaction adds one ``notification`` change for the event that carries no
payload, no user and no proposal (every action that notifies already writes its own public
change). On that wake-up each open page asks /api/v1/events/<id>/notifications/unread, which
answers only the signed-in person's own count.
"""
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from strategy.auth.models import User
from strategy.comments.models import Comment
from strategy.core.db import utcnow
from strategy.core.errors import OperationError, operation
from strategy.events.models import Event
from strategy.extensions import db
from strategy.live.models import ChangeKind
from strategy.live.operations import record_change
from strategy.notifications.models import Notification, NotificationKind
from strategy.proposals.models import Proposal

WOKEN = "notifications_woken_events"  # session.info: events whose wake-up change is added


def notify(recipient_id: Optional[int], kind: NotificationKind | str, *, event_id: int,
           actor: Optional[User] = None, proposal_id: Optional[int] = None,
           comment_id: Optional[int] = None, item_id: Optional[int] = None
           ) -> Optional[Notification]:
    """Add a notification for ``recipient_id`` to the current transaction (no commit).

    Nothing is added (None is returned) when there is nobody to tell, when the recipient is the
    actor (no notification to yourself), or when the recipient does not act in the event.
    """
    kind = NotificationKind(kind)  # a misspelt kind fails here
    if recipient_id is None or (actor is not None and actor.id == recipient_id):
        return None
    recipient = db.session.get(User, recipient_id)
    if recipient is None or not recipient.acts_in_event_id(event_id):
        return None
    notification = Notification(event_id=event_id, user_id=recipient_id,
                                actor_id=actor.id if actor is not None else None, kind=kind,
                                proposal_id=proposal_id, comment_id=comment_id, item_id=item_id)
    db.session.add(notification)
    woken = db.session.info.setdefault(WOKEN, set())
    if event_id not in woken:
        woken.add(event_id)
        record_change(event_id, ChangeKind.notification)
    return notification


def notify_comment(comment: Comment, actor: Optional[User],
                   replied_to: Optional[Comment] = None) -> list[Notification]:
    """A published comment tells the author of the comment it answers (``reply``) and the
    proposal's author (``comment``); one notification per person, never to the writer."""
    proposal = comment.proposal
    made = []
    replied_to = replied_to or comment.parent
    if replied_to is not None:
        made.append(notify(replied_to.author_id, NotificationKind.reply,
                           event_id=proposal.event_id, actor=actor, proposal_id=proposal.id,
                           comment_id=comment.id))
    if replied_to is None or replied_to.author_id != proposal.author_id:
        made.append(notify(proposal.author_id, NotificationKind.comment,
                           event_id=proposal.event_id, actor=actor, proposal_id=proposal.id,
                           comment_id=comment.id))
    return [n for n in made if n is not None]


def notify_proposal(proposal: Proposal, kind: NotificationKind | str,
                    actor: Optional[User]) -> Optional[Notification]:
    """Tell a proposal's author what happened to it (hidden, restored, merged, answered)."""
    return notify(proposal.author_id, kind, event_id=proposal.event_id, actor=actor,
                  proposal_id=proposal.id)


def notify_answer(proposal: Proposal, actor: Optional[User]) -> Optional[Notification]:
    """For the official-answer operation: call it before that operation commits."""
    return notify_proposal(proposal, NotificationKind.answer, actor)


# --- reading them --------------------------------------------------------------------------

@operation
def mark_read(notification: Notification, user: Optional[User]) -> Notification:
    """Mark one of my notifications read (again is fine); someone else's is not found."""
    if not notification.can_mark_read(user):
        raise OperationError(_("Уведомление не найдено."), 404)
    if notification.read_at is None:
        notification.read_at = utcnow()
    db.session.commit()
    return notification


@operation
def mark_all_read(event: Event, user: Optional[User]) -> int:
    """Mark all my unread notifications of the event read; returns how many there were."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise OperationError(_("Войдите, чтобы продолжить."), 401)
    count = db.session.execute(
        sa.update(Notification).where(Notification.user_id == user.id,
                                      Notification.event_id == event.id,
                                      Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    db.session.expire_all()
    return count


# --- the session hooks: one wake-up change per event and transaction ------------------------

def _forget_woken(session: Session, *_args) -> None:
    session.info.pop(WOKEN, None)


def init_app(_app) -> None:
    if getattr(init_app, "installed", False):
        return
    sa_event.listen(Session, "after_commit", _forget_woken)
    sa_event.listen(Session, "after_rollback", _forget_woken)
    init_app.installed = True
