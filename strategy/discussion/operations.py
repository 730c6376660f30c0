"""Writes of the draft review: publishing the draft (which opens «Обсуждение проекта»),
closing it, supporting a published section and commenting on it, and moderating those
comments like proposal comments (flags, approve, hide, restore, dismiss the flags).

Each write checks its rule itself, writes its audit entry (staff) and one change row of kind
``draft`` for the open pages in the same transaction, then commits.
"""
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from strategy.auth.models import User
from strategy.core.audit import audit, lock
from strategy.core.db import utcnow
from strategy.core.errors import OperationError, operation
from strategy.core.permissions import (ensure_can_manage, ensure_event_allows, ensure_member,
                                        ensure_staff_edits)
from strategy.events.models import Event, ModerationMode
from strategy.extensions import db
from strategy.live.models import ChangeKind
from strategy.live.operations import record_change
from strategy.moderation.models import Flag
from strategy.moderation.operations import clean_reason, resolve_flags
from strategy.proposals.models import Proposal, ProposalStatus
from strategy.discussion.models import (SECTION_COMMENT_MAX, SECTION_COMMENT_MIN, DraftReview,
                                    PublishedSection, ReviewScope, SectionComment,
                                    SectionCommentStatus, SectionStance, SectionSupport)
from strategy.discussion.queries import review_of
from strategy.workspace.models import DraftSection, SectionAssignment, SectionState
from strategy.workspace.queries import section_summary, sections_of_tracks



def ranked_members(section: DraftSection) -> list[Proposal]:
    """The section's published proposals, representative first, in the grouping's order."""
    return list(db.session.scalars(
        sa.select(Proposal).join(SectionAssignment, SectionAssignment.proposal_id == Proposal.id)
        .where(SectionAssignment.section_id == section.id,
               Proposal.status == ProposalStatus.published)
        .order_by(SectionAssignment.representative.desc(), SectionAssignment.rank,
                  Proposal.id)))


def sections_to_publish(event: Event, scope: ReviewScope) -> list[DraftSection]:
    tracks = [t.id for t in event.active_tracks]
    sections = sections_of_tracks(tracks) if tracks else []
    if scope is ReviewScope.agreed:
        sections = [s for s in sections if s.state is SectionState.agreed]
    return sections


@operation
def publish_draft(event: Event, actor: User, *, scope: str = "all",
                  ends_at: Optional[datetime] = None) -> DraftReview:
    """Publish the draft (all sections, or only the agreed ones) and open the review phase.

    Publishing again refreshes the snapshot: sections still there keep their supports and
    comments, sections left out are withdrawn (kept for the record, not shown)."""
    ensure_can_manage(actor, event)
    if event.is_archived:
        raise OperationError(_("Мероприятие в архиве: публиковать проект нельзя."), 409)
    try:
        chosen = ReviewScope(scope)
    except ValueError:
        raise OperationError(_("Выберите, что публиковать: все разделы или согласованные."), 400)
    now = utcnow()
    if ends_at is not None and ends_at <= now:
        raise OperationError(_("Время окончания уже прошло. Укажите время в будущем."), 400)
    sections = sections_to_publish(event, chosen)
    if not sections:
        raise OperationError(
            _("Нет согласованных разделов: согласуйте разделы в рабочей области или "
              "опубликуйте все.") if chosen is ReviewScope.agreed else
            _("В проекте ещё нет разделов: сначала сгруппируйте предложения."), 409)
    review = review_of(event)
    if review is None:
        review = DraftReview(event_id=event.id)
        db.session.add(review)
        db.session.flush()
    else:
        lock(review)
    before = review_state(review)
    review.scope, review.opened_at, review.ends_at = chosen, now, ends_at
    review.closed_at, review.published_by_id = None, actor.id
    existing = {s.section_id: s for s in review.sections if s.section_id is not None}
    kept = set()
    for position, section in enumerate(sections):
        members = ranked_members(section)
        snapshot = existing.get(section.id)
        if snapshot is None:
            snapshot = PublishedSection(review=review, event_id=event.id, section_id=section.id)
            db.session.add(snapshot)
        snapshot.track_id = section.track_id
        snapshot.title = section.title
        snapshot.summary = section_summary(section, members)
        snapshot.key_terms = list(section.key_terms or [])
        snapshot.proposal_ids = [p.id for p in members]
        snapshot.position = position
        snapshot.withdrawn = False
        snapshot.published_at = now
        kept.add(section.id)
    for snapshot in review.sections:
        if snapshot.section_id not in kept:
            snapshot.withdrawn = True
    db.session.flush()
    audit(actor, "draft_publish", event_id=event.id, track_id=None, target_type="draft_review",
          target_id=review.id, before=before, after=review_state(review))
    record_change(event.id, ChangeKind.draft, action="publish")
    db.session.commit()
    return review


def review_state(review: DraftReview) -> dict:
    def iso(value):
        return value.isoformat() if value else None

    return {"scope": review.scope.value if review.scope else None,
            "opened_at": iso(review.opened_at), "ends_at": iso(review.ends_at),
            "closed_at": iso(review.closed_at),
            "sections": len([s for s in review.sections if not s.withdrawn])}


@operation
def close_review(event: Event, actor: User) -> DraftReview:
    """Close the review phase now: supports and comments are frozen."""
    ensure_can_manage(actor, event)
    ensure_staff_edits(event)
    review = review_of(event)
    if review is None:
        raise OperationError(_("Проект ещё не опубликован для обсуждения."), 409)
    lock(review)
    if not review.is_open():
        raise OperationError(_("Обсуждение проекта уже закрыто."), 409)
    before = review_state(review)
    review.closed_at = utcnow()
    audit(actor, "draft_close", event_id=event.id, track_id=None, target_type="draft_review",
          target_id=review.id, before=before, after=review_state(review))
    record_change(event.id, ChangeKind.draft, action="close")
    db.session.commit()
    return review


def ensure_can_take_part(section: PublishedSection, user: User) -> None:
    """A member of the event, while the review is open, on a section of the publication."""
    review = section.review
    ensure_member(user, review.event)
    ensure_event_allows(review.event, "discuss")
    if section.withdrawn:
        raise OperationError(_("Этот раздел не входит в опубликованный проект."), 409)
    if not review.is_open():
        raise OperationError(_("Обсуждение проекта закрыто: поддержка и комментарии больше "
                               "не принимаются."), 409)


def section_counts(section: PublishedSection) -> dict:
    return {"section_id": section.id, "support_count": section.support_count,
            "comment_count": section.comment_count}


def bump_section(section_id: int, column, delta: int) -> None:
    db.session.execute(sa.update(PublishedSection).where(PublishedSection.id == section_id)
                       .values({column: column + delta})
                       .execution_options(synchronize_session=False))


@operation
def support_section(section: PublishedSection, user: User) -> PublishedSection:
    """One support per person per section: the unique constraint decides under concurrency."""
    ensure_can_take_part(section, user)
    db.session.add(SectionSupport(published_section_id=section.id, user_id=user.id))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise OperationError(_("Вы уже поддержали этот раздел."), 409)
    return finish_support(section, +1)


@operation
def withdraw_section_support(section: PublishedSection, user: User) -> PublishedSection:
    """Take one's support back while the review is open."""
    ensure_can_take_part(section, user)
    deleted = db.session.execute(sa.delete(SectionSupport).where(
        SectionSupport.published_section_id == section.id, SectionSupport.user_id == user.id))
    if deleted.rowcount == 0:
        db.session.rollback()
        raise OperationError(_("Вы не поддерживали этот раздел."), 409)
    return finish_support(section, -1)


def finish_support(section: PublishedSection, delta: int) -> PublishedSection:
    bump_section(section.id, PublishedSection.support_count, delta)
    db.session.flush()
    db.session.refresh(section)
    record_change(section.event_id, ChangeKind.draft, track_id=section.track_id,
                  action="support", **section_counts(section))
    db.session.commit()
    return section


@operation
def comment_section(section: PublishedSection, author: User, body: str,
                    stance: Optional[str]) -> SectionComment:
    """Comment on a published section with a stance: за, против or дополнение. Under
    pre-moderation the comment waits in the moderation queue until it is approved."""
    ensure_can_take_part(section, author)
    if author.is_muted:
        raise OperationError(_("Модератор ограничил вам возможность публиковать."), 403)
    text = (body or "").strip()
    if not SECTION_COMMENT_MIN <= len(text) <= SECTION_COMMENT_MAX:
        raise OperationError(_("Комментарий: от %(min)d до %(max)d символов.",
                               min=SECTION_COMMENT_MIN, max=SECTION_COMMENT_MAX), 400)
    try:
        chosen = SectionStance(stance or "")
    except ValueError:
        raise OperationError(_("Выберите позицию: за, против или дополнение."), 400)
    pending = section.review.event.moderation_mode is ModerationMode.pre
    comment = SectionComment(published_section_id=section.id, author_id=author.id, body=text,
                             stance=chosen, status=SectionCommentStatus.pending if pending
                             else SectionCommentStatus.published)
    db.session.add(comment)
    if not pending:
        bump_section(section.id, PublishedSection.comment_count, +1)
    db.session.flush()
    db.session.refresh(section)
    record_change(section.event_id, ChangeKind.draft, track_id=section.track_id,
                  action="comment", comment_id=comment.id, **section_counts(section))
    db.session.commit()
    return comment


def comment_message(comment: SectionComment) -> str:
    """What the author reads once the comment is sent (the page and the API alike)."""
    if comment.status is SectionCommentStatus.pending:
        return _("Комментарий отправлен на проверку: другие участники увидят его после "
                 "одобрения модератором.")
    return _("Комментарий к разделу опубликован.")


def ensure_can_moderate_comment(comment: SectionComment, actor: User) -> None:
    if not comment.can_moderate(actor):
        raise OperationError(_("Вы не модерируете трек «%(track)s».",
                               track=comment.section.track.title), 403)
    ensure_staff_edits(comment.section.track.event)


def comment_state(comment: SectionComment) -> dict:
    return {"status": comment.status.value, "hidden_reason": comment.hidden_reason,
            "flag_count": comment.flag_count, "body": comment.body[:300]}


@operation
def approve_section_comment(comment: SectionComment, actor: User) -> SectionComment:
    """A waiting comment (pre-moderation, or sent back by flags) is published."""
    ensure_can_moderate_comment(comment, actor)
    lock(comment)
    if comment.status is not SectionCommentStatus.pending:
        raise OperationError(_("Этот комментарий не ждёт проверки."), 409)
    return moderate_comment(comment, actor, "approve", SectionCommentStatus.published, "")


@operation
def hide_section_comment(comment: SectionComment, actor: User, reason: str) -> SectionComment:
    """Hide a section comment (published or waiting), with a reason the author sees."""
    ensure_can_moderate_comment(comment, actor)
    reason = clean_reason(reason, required=True)
    lock(comment)
    if comment.hidden:
        raise OperationError(_("Комментарий уже скрыт."), 409)
    return moderate_comment(comment, actor, "hide", SectionCommentStatus.hidden, reason)


@operation
def restore_section_comment(comment: SectionComment, actor: User) -> SectionComment:
    ensure_can_moderate_comment(comment, actor)
    lock(comment)
    if not comment.hidden:
        raise OperationError(_("Комментарий не скрыт."), 409)
    return moderate_comment(comment, actor, "restore", SectionCommentStatus.published, "")


@operation
def dismiss_section_comment_flags(comment: SectionComment, actor: User) -> SectionComment:
    """The facilitator looked at the flags and leaves the comment published."""
    ensure_can_moderate_comment(comment, actor)
    lock(comment)
    if not comment.flag_count:
        raise OperationError(_("Открытых жалоб нет."), 409)
    return moderate_comment(comment, actor, "flags_dismiss", comment.status, "")


# What the moderation buttons of a section comment do: the operation, the inputs it takes
# (form fields or the API's JSON) and what it says afterwards. The pages and the API share it.
COMMENT_ACTIONS = {
    "approve": (approve_section_comment, (), _l("Комментарий опубликован.")),
    "hide": (hide_section_comment, ("reason",), _l("Комментарий скрыт.")),
    "restore": (restore_section_comment, (), _l("Комментарий восстановлен.")),
    "dismiss-flags": (dismiss_section_comment_flags, (),
                      _l("Жалобы отклонены, комментарий остаётся опубликованным.")),
}


def moderate_comment(comment: SectionComment, actor: Optional[User], action: str,
                     status: SectionCommentStatus, reason: str) -> SectionComment:
    """Set the status (the section's published-comment count follows), settle the flags
    unless the comment is hidden, audit, one change row, commit."""
    section = comment.section
    before = comment_state(comment)
    delta = int(status is SectionCommentStatus.published) - int(comment.published)
    comment.status, comment.hidden_reason = status, reason
    if status is not SectionCommentStatus.hidden:
        comment.flag_count = 0
        resolve_flags(f"s{comment.id}")
    if delta:
        bump_section(section.id, PublishedSection.comment_count, delta)
    db.session.flush()
    db.session.refresh(section)
    audit(actor, "section_comment_" + action, event_id=section.event_id,
          track_id=section.track_id, target_type="section_comment", target_id=comment.id,
          reason=reason, before=before, after=comment_state(comment))
    record_change(section.event_id, ChangeKind.draft, track_id=section.track_id,
                  action="moderate", comment_id=comment.id, **section_counts(section))
    db.session.commit()
    return comment


@operation
def flag_section_comment(user: User, comment: SectionComment, reason: str = "") -> Flag:
    """A complaint about a section comment; one per person. Enough of them send the comment
    back to the moderation queue (it waits, unseen, until a facilitator decides)."""
    section = comment.section
    ensure_member(user, section.review.event)
    reason = clean_reason(reason, required=False)
    if not comment.published:
        raise OperationError(_("Жалобу можно подать только на опубликованное; это уже "
                               "у модератора."), 409)
    key = f"s{comment.id}"
    db.session.add(Flag(user_id=user.id, proposal_id=None, section_comment_id=comment.id,
                        target_key=key, reason=reason))
    try:
        db.session.flush()
    except IntegrityError:  # a flood from one person counts once: the constraint decides
        db.session.rollback()
        raise OperationError(_("Вы уже пожаловались на это. Модератор посмотрит."), 409)
    db.session.execute(sa.update(SectionComment).where(SectionComment.id == comment.id)
                       .values(flag_count=SectionComment.flag_count + 1)
                       .execution_options(synchronize_session=False))
    count = db.session.scalar(sa.select(SectionComment.flag_count)
                              .where(SectionComment.id == comment.id))
    if count >= section.review.event.flag_threshold:
        send_back_to_queue(comment, count)
    record_change(section.event_id, ChangeKind.draft, track_id=section.track_id,
                  action="flag", comment_id=comment.id, **section_counts(section))
    db.session.commit()
    return db.session.scalar(sa.select(Flag).where(Flag.user_id == user.id,
                                                   Flag.target_key == key))


def send_back_to_queue(comment: SectionComment, count: int) -> None:
    """Too many flags: the comment waits for a facilitator again (conditional update, once)."""
    section = comment.section
    changed = db.session.execute(
        sa.update(SectionComment).where(SectionComment.id == comment.id,
                                        SectionComment.status == SectionCommentStatus.published)
        .values(status=SectionCommentStatus.pending)
        .execution_options(synchronize_session=False)).rowcount
    if not changed:
        return
    bump_section(section.id, PublishedSection.comment_count, -1)
    db.session.expire(comment)
    db.session.expire(section)
    audit(None, "auto_queue", event_id=section.event_id, track_id=section.track_id,
          target_type="section_comment", target_id=comment.id,
          reason=_("Жалоб: %(n)d", n=count), before={"status": "published"},
          after={"status": "pending", "flag_count": count})
