"""Moderation actions and flags (phases, support rules and event settings are in events/).

Every action checks the actor's right to the track, writes an AuditEntry (who, what, before,
after) and a Change for live screens in the same transaction, then commits. Nothing here
deletes a proposal or a comment: hidden and merged items stay recoverable.
"""
from typing import Any, Optional

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from strategy.auth.models import User
from strategy.comments.models import Comment, CommentStatus
from strategy.core.audit import audit, lock
from strategy.core.errors import OperationError, operation
from strategy.core.permissions import (ensure_can_moderate, ensure_event_allows, ensure_member,
                                        ensure_staff_edits)
from strategy.events.models import Event, Track
from strategy.extensions import db
from strategy.live.models import ChangeKind
from strategy.live.operations import record_change
from strategy.moderation.models import Flag
from strategy.notifications.models import NotificationKind
from strategy.notifications.operations import notify_comment, notify_proposal
from strategy.proposals.models import LibraryJoin, Proposal, ProposalStatus
from strategy.proposals.operations import EDITABLE_FIELDS, bump, snapshot, update_proposal
from strategy.supports.models import Support

REASON_MAX = 500


# --- helpers -------------------------------------------------------------------------------

def ensure_moderates(actor: User, track: Track) -> None:
    """The track's facilitators and the organisers, while the event is not archived."""
    ensure_can_moderate(actor, track)
    ensure_staff_edits(track.event)


def clean_reason(reason: Optional[str], *, required: bool) -> str:
    reason = " ".join((reason or "").split())
    if required and not reason:
        raise OperationError(_("Укажите причину: её увидит автор."), 400)
    if len(reason) > REASON_MAX:
        raise OperationError(_("Причина слишком длинная: не больше %(n)d символов.",
                               n=REASON_MAX), 400)
    return reason


def proposal_state(proposal: Proposal) -> dict[str, Any]:
    return {"status": proposal.status.value, "hidden_reason": proposal.hidden_reason,
            "is_pinned": proposal.is_pinned, "merged_into_id": proposal.merged_into_id,
            "support_count": proposal.support_count, "comment_count": proposal.comment_count,
            "join_count": proposal.join_count, "flag_count": proposal.flag_count,
            "title": proposal.title}


def comment_state(comment: Comment) -> dict[str, Any]:
    return {"status": comment.status.value, "hidden_reason": comment.hidden_reason,
            "flag_count": comment.flag_count, "body": comment.body[:300]}


@operation
def finish_proposal(proposal: Proposal, actor: Optional[User], action: str,
                    before: dict[str, Any], reason: str = "", **extra: Any) -> Proposal:
    """Audit, publish a change for live screens and commit."""
    db.session.flush()
    audit(actor, action, event_id=proposal.event_id, track_id=proposal.track_id,
          target_type="proposal", target_id=proposal.id, reason=reason, before=before,
          after=proposal_state(proposal))
    record_change(proposal.event_id, ChangeKind.moderated, track_id=proposal.track_id,
                  proposal_id=proposal.id, action=action, status=proposal.status.value, **extra)
    db.session.commit()
    return proposal


def resolve_flags(target_key: str) -> None:
    """Mark open flags as looked at; the rows stay, so the same person cannot flag again."""
    db.session.execute(sa.update(Flag).where(Flag.target_key == target_key,
                                             Flag.resolved.is_(False)).values(resolved=True))


def published_comments(proposal_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count(Comment.id)).where(
        Comment.proposal_id == proposal_id, Comment.status == CommentStatus.published)) or 0


# --- proposals -----------------------------------------------------------------------------

@operation
def approve_proposal(proposal: Proposal, actor: User) -> Proposal:
    """A pending proposal (new under pre-moderation, or sent back by flags) is published."""
    ensure_moderates(actor, proposal.track)
    lock(proposal)
    if proposal.status is not ProposalStatus.pending:
        raise OperationError(_("Это предложение не ждёт проверки."), 409)
    before = proposal_state(proposal)
    proposal.status = ProposalStatus.published
    proposal.flag_count = 0
    resolve_flags(f"p{proposal.id}")
    return finish_proposal(proposal, actor, "approve", before)


@operation
def hide_proposal(proposal: Proposal, actor: User, reason: str) -> Proposal:
    """Hide with a reason the author will see; reversible with restore."""
    ensure_moderates(actor, proposal.track)
    reason = clean_reason(reason, required=True)
    lock(proposal)
    if proposal.status is ProposalStatus.merged:
        raise OperationError(_("Предложение уже объединено с другим."), 409)
    if proposal.status is ProposalStatus.hidden:
        raise OperationError(_("Предложение уже скрыто."), 409)
    before = proposal_state(proposal)
    proposal.status = ProposalStatus.hidden
    proposal.hidden_reason = reason
    proposal.is_pinned = False
    notify_proposal(proposal, NotificationKind.hidden, actor)
    return finish_proposal(proposal, actor, "hide", before, reason)


@operation
def restore_proposal(proposal: Proposal, actor: User) -> Proposal:
    """A hidden proposal is published again, with its supports and comments."""
    ensure_moderates(actor, proposal.track)
    lock(proposal)
    if proposal.status is not ProposalStatus.hidden:
        raise OperationError(_("Восстановить можно только скрытое предложение."), 409)
    before = proposal_state(proposal)
    proposal.status = ProposalStatus.published
    proposal.hidden_reason = ""
    proposal.flag_count = 0
    resolve_flags(f"p{proposal.id}")
    notify_proposal(proposal, NotificationKind.restored, actor)
    return finish_proposal(proposal, actor, "restore", before)


@operation
def set_pinned(proposal: Proposal, actor: User, pinned: bool) -> Proposal:
    """Pinned proposals stay on top of the track's list."""
    ensure_moderates(actor, proposal.track)
    lock(proposal)
    if pinned and proposal.status is not ProposalStatus.published:
        raise OperationError(_("Закрепить можно только опубликованное предложение."), 409)
    if proposal.is_pinned == pinned:
        raise OperationError(_("Предложение уже закреплено.") if pinned else
                             _("Предложение не закреплено."), 409)
    before = proposal_state(proposal)
    proposal.is_pinned = pinned
    return finish_proposal(proposal, actor, "pin" if pinned else "unpin", before)


@operation
def edit_proposal(proposal: Proposal, actor: User, data: dict[str, Any],
                  reason: str = "") -> Proposal:
    """Fix a proposal; the previous text is kept as a revision and in the audit log."""
    ensure_moderates(actor, proposal.track)
    reason = clean_reason(reason, required=False)
    if proposal.status is ProposalStatus.merged:
        raise OperationError(_("Предложение объединено с другим; редактируйте итоговое."), 409)
    before = snapshot(proposal)
    after = dict(before)
    for field in EDITABLE_FIELDS:
        if isinstance(data.get(field), str):
            after[field] = data[field].strip()
    if after == before:
        raise OperationError(_("Изменений нет: текст остался прежним."), 400)
    audit(actor, "edit", event_id=proposal.event_id, track_id=proposal.track_id,
          target_type="proposal", target_id=proposal.id, reason=reason,
          before={k: v for k, v in before.items() if after[k] != v},
          after={k: v for k, v in after.items() if before[k] != v})
    record_change(proposal.event_id, ChangeKind.moderated, track_id=proposal.track_id,
                  proposal_id=proposal.id, action="edit", status=proposal.status.value)
    return update_proposal(proposal, actor, after, as_moderator=True)  # commits all of it


@operation
def merge_proposals(source: Proposal, target: Proposal, actor: User) -> Proposal:
    """Merge source into target: supports count once per person, comments and joins move over.

    Supports of people who already support the target are removed (they would count twice);
    the target's counters are recomputed from rows in the same transaction.
    """
    if source.id == target.id:
        raise OperationError(_("Нельзя объединить предложение с самим собой."), 400)
    if source.event_id != target.event_id:
        raise OperationError(_("Объединять можно только предложения одного мероприятия."), 400)
    ensure_moderates(actor, source.track)
    ensure_moderates(actor, target.track)
    lock(source)
    lock(target)
    if source.status is ProposalStatus.merged:
        raise OperationError(_("Это предложение уже объединено с другим."), 409)
    if target.status is not ProposalStatus.published:
        raise OperationError(_("Объединять можно только в опубликованное предложение; "
                               "«%(title)s» сейчас: %(status)s.", title=target.title,
                               status=target.status.label.lower()), 409)
    before_source, before_target = proposal_state(source), proposal_state(target)
    moved = move_supports(source, target)
    move_comments(source, target)
    move_joins(source, target)
    # Earlier merges into the source now lead straight to the target: one redirect, not a chain.
    db.session.execute(sa.update(Proposal).where(Proposal.merged_into_id == source.id)
                       .values(merged_into_id=target.id))
    source.status = ProposalStatus.merged
    source.merged_into_id = target.id
    source.is_pinned = False
    recount(source)
    recount(target)
    notify_proposal(source, NotificationKind.merged, actor)
    db.session.flush()
    after_target = proposal_state(target)
    audit(actor, "merge", event_id=source.event_id, track_id=source.track_id,
          target_type="proposal", target_id=source.id,
          before={"source": before_source, "target": before_target},
          after={"source": proposal_state(source), "target": after_target,
                 "supports_moved": moved["moved"], "supports_dropped": moved["dropped"]})
    # One action, one change row: the feed sends the target's new counts with it ("into").
    record_change(source.event_id, ChangeKind.moderated, track_id=source.track_id,
                  proposal_id=source.id, action="merge", status="merged", into=target.id)
    db.session.commit()
    return target


def move_supports(source: Proposal, target: Proposal) -> dict[str, int]:
    """Move supports to the target unless the person already supports it; drop the rest."""
    already = sa.select(Support.user_id).where(Support.proposal_id == target.id)
    dropped = db.session.execute(sa.delete(Support).where(
        Support.proposal_id == source.id, Support.user_id.in_(already))
        .execution_options(synchronize_session=False)).rowcount
    moved = db.session.execute(sa.update(Support).where(Support.proposal_id == source.id)
                               .values(proposal_id=target.id, track_id=target.track_id)
                               .execution_options(synchronize_session=False)).rowcount
    return {"moved": moved, "dropped": dropped}


def move_comments(source: Proposal, target: Proposal) -> None:
    db.session.execute(sa.update(Comment).where(Comment.proposal_id == source.id)
                       .values(proposal_id=target.id)
                       .execution_options(synchronize_session=False))


def move_joins(source: Proposal, target: Proposal) -> None:
    """A library joins once per proposal: joins of people already in the target are dropped."""
    already = sa.select(LibraryJoin.user_id).where(LibraryJoin.proposal_id == target.id)
    db.session.execute(sa.delete(LibraryJoin).where(
        LibraryJoin.proposal_id == source.id, LibraryJoin.user_id.in_(already))
        .execution_options(synchronize_session=False))
    db.session.execute(sa.update(LibraryJoin).where(LibraryJoin.proposal_id == source.id)
                       .values(proposal_id=target.id)
                       .execution_options(synchronize_session=False))


def recount(proposal: Proposal) -> None:
    """Counters from the rows themselves, inside the merge's transaction."""
    # Suspended participants' supports do not count (see auth.operations.suspend_participants).
    suspended = sa.select(User.id).where(User.suspended_at.is_not(None))
    supports = sa.select(sa.func.count(Support.id)).where(Support.proposal_id == proposal.id,
                                                         Support.user_id.not_in(suspended))
    comments = sa.select(sa.func.count(Comment.id)).where(
        Comment.proposal_id == proposal.id, Comment.status == CommentStatus.published)
    joins = sa.select(sa.func.count(LibraryJoin.id)).where(LibraryJoin.proposal_id == proposal.id)
    db.session.execute(sa.update(Proposal).where(Proposal.id == proposal.id).values(
        support_count=supports.scalar_subquery(), comment_count=comments.scalar_subquery(),
        join_count=joins.scalar_subquery()).execution_options(synchronize_session=False))
    db.session.expire(proposal, ["support_count", "comment_count", "join_count", "joins"])


# --- comments ------------------------------------------------------------------------------

@operation
def finish_comment(comment: Comment, actor: Optional[User], action: str,
                   before: dict[str, Any], reason: str = "") -> Comment:
    proposal = comment.proposal
    db.session.flush()
    audit(actor, action, event_id=proposal.event_id, track_id=proposal.track_id,
          target_type="comment", target_id=comment.id, reason=reason, before=before,
          after=comment_state(comment))
    record_change(proposal.event_id, ChangeKind.comment_moderated, track_id=proposal.track_id,
                  proposal_id=proposal.id, comment_id=comment.id, action=action,
                  status=comment.status.value)
    db.session.commit()
    return comment


def set_comment_status(comment: Comment, status: CommentStatus) -> None:
    """Change the status and keep the proposal's published-comment counter exact."""
    was_published = comment.status is CommentStatus.published
    comment.status = status
    delta = int(status is CommentStatus.published) - int(was_published)
    if delta:
        bump(comment.proposal_id, Proposal.comment_count, delta)


@operation
def approve_comment(comment: Comment, actor: User) -> Comment:
    ensure_moderates(actor, comment.proposal.track)
    lock(comment)
    if comment.status is not CommentStatus.pending:
        raise OperationError(_("Этот комментарий не ждёт проверки."), 409)
    before = comment_state(comment)
    set_comment_status(comment, CommentStatus.published)
    comment.flag_count = 0
    resolve_flags(f"c{comment.id}")
    notify_comment(comment, comment.author)  # now the proposal's author and the replied-to see it
    return finish_comment(comment, actor, "comment_approve", before)


@operation
def hide_comment(comment: Comment, actor: User, reason: str) -> Comment:
    ensure_moderates(actor, comment.proposal.track)
    reason = clean_reason(reason, required=True)
    lock(comment)
    if comment.status is CommentStatus.hidden:
        raise OperationError(_("Комментарий уже скрыт."), 409)
    before = comment_state(comment)
    set_comment_status(comment, CommentStatus.hidden)
    comment.hidden_reason = reason
    return finish_comment(comment, actor, "comment_hide", before, reason)


@operation
def restore_comment(comment: Comment, actor: User) -> Comment:
    ensure_moderates(actor, comment.proposal.track)
    lock(comment)
    if comment.status is not CommentStatus.hidden:
        raise OperationError(_("Восстановить можно только скрытый комментарий."), 409)
    before = comment_state(comment)
    set_comment_status(comment, CommentStatus.published)
    comment.hidden_reason = ""
    comment.flag_count = 0
    resolve_flags(f"c{comment.id}")
    return finish_comment(comment, actor, "comment_restore", before)


# --- participants --------------------------------------------------------------------------

def authored_track_ids(user: User) -> set[int]:
    """Tracks where the person wrote a proposal or a comment."""
    proposals = sa.select(Proposal.track_id).where(Proposal.author_id == user.id)
    comments = (sa.select(Proposal.track_id).join(Comment, Comment.proposal_id == Proposal.id)
                .where(Comment.author_id == user.id))
    return set(db.session.scalars(proposals.union(comments)))


@operation
def set_muted(user: User, actor: User, event: Event, muted: bool) -> User:
    """A muted participant can read and support but not post proposals or comments."""
    if user.is_staff:
        raise OperationError(_("Модератора или организатора ограничить нельзя."), 400)
    if user.event_id != event.id:
        raise OperationError(_("Этот участник не из этого мероприятия."), 404)
    if actor is None or not actor.can_mute(user, authored_track_ids(user)):
        raise OperationError(_("Ограничить можно только участника, который писал в ваших "
                               "треках."), 403)
    if user.is_muted == muted:
        raise OperationError(_("Участник уже ограничен.") if muted else
                             _("Участник и так может публиковать."), 409)
    before = {"is_muted": user.is_muted, "display_name": user.display_name}
    user.is_muted = muted
    audit(actor, "mute" if muted else "unmute", event_id=event.id, track_id=None,
          target_type="user", target_id=user.id, before=before,
          after={"is_muted": muted, "display_name": user.display_name})
    record_change(event.id, ChangeKind.user_moderated, user_id=user.id, muted=muted)
    db.session.commit()
    return user


# --- flags ---------------------------------------------------------------------------------

@operation
def flag(user: User, proposal: Proposal, comment: Optional[Comment] = None,
         reason: str = "") -> Flag:
    """A complaint; one per person per target. Enough of them send the target back to the queue."""
    ensure_member(user, proposal.event)
    ensure_event_allows(proposal.event, "comment")  # with the discussion: not in the archive
    reason = clean_reason(reason, required=False)
    target = comment or proposal
    published = (comment.status is CommentStatus.published if comment
                 else proposal.status is ProposalStatus.published)
    if not published:
        raise OperationError(_("Жалобу можно подать только на опубликованное; это уже "
                               "у модератора."), 409)
    key = f"c{comment.id}" if comment else f"p{proposal.id}"
    db.session.add(Flag(user_id=user.id, proposal_id=proposal.id,
                        comment_id=comment.id if comment else None, target_key=key,
                        reason=reason))
    try:
        db.session.flush()
    except IntegrityError:
        # A flood from one person counts once: the unique constraint decides.
        db.session.rollback()
        raise OperationError(_("Вы уже пожаловались на это. Модератор посмотрит."), 409)
    model = Comment if comment else Proposal
    db.session.execute(sa.update(model).where(model.id == target.id)
                       .values(flag_count=model.flag_count + 1)
                       .execution_options(synchronize_session=False))
    count = db.session.scalar(sa.select(model.flag_count).where(model.id == target.id))
    if count >= proposal.event.flag_threshold:
        send_back_to_queue(proposal, comment, count)
    # Changes are recorded last: on PostgreSQL their insert takes the event's ordering lock,
    # which must not be held while waiting for row locks.
    record_change(proposal.event_id, ChangeKind.flag, track_id=proposal.track_id, proposal_id=proposal.id,
                  comment_id=comment.id if comment else None)
    db.session.commit()
    return db.session.scalar(sa.select(Flag).where(Flag.user_id == user.id,
                                                   Flag.target_key == key))


def send_back_to_queue(proposal: Proposal, comment: Optional[Comment], count: int) -> None:
    """Too many flags: the item waits for a facilitator again (conditional update, once)."""
    model = Comment if comment else Proposal
    target = comment or proposal
    published = CommentStatus.published if comment else ProposalStatus.published
    pending = CommentStatus.pending if comment else ProposalStatus.pending
    changed = db.session.execute(sa.update(model).where(model.id == target.id,
                                                        model.status == published)
                                 .values(status=pending)
                                 .execution_options(synchronize_session=False)).rowcount
    if not changed:
        return
    if comment:
        bump(proposal.id, Proposal.comment_count, -1)
    db.session.expire(target)
    audit(None, "auto_queue", event_id=proposal.event_id, track_id=proposal.track_id,
          target_type="comment" if comment else "proposal", target_id=target.id,
          reason=_("Жалоб: %(n)d", n=count), before={"status": "published"},
          after={"status": "pending", "flag_count": count})
    kind = ChangeKind.comment_moderated if comment else ChangeKind.moderated
    record_change(proposal.event_id, kind, track_id=proposal.track_id, proposal_id=proposal.id,
                  comment_id=comment.id if comment else None, action="auto_queue",
                  status="pending")


@operation
def dismiss_flags(proposal: Proposal, actor: User, comment: Optional[Comment] = None) -> None:
    """The facilitator looked at the flags and leaves the item as it is."""
    ensure_moderates(actor, proposal.track)
    target = comment or proposal
    if not target.flag_count:
        raise OperationError(_("Открытых жалоб нет."), 409)
    key = f"c{comment.id}" if comment else f"p{proposal.id}"
    before = {"flag_count": target.flag_count}
    target.flag_count = 0
    resolve_flags(key)
    audit(actor, "flags_dismiss", event_id=proposal.event_id, track_id=proposal.track_id,
          target_type="comment" if comment else "proposal", target_id=target.id,
          before=before, after={"flag_count": 0})
    record_change(proposal.event_id, ChangeKind.flag, track_id=proposal.track_id, proposal_id=proposal.id)
    db.session.commit()
