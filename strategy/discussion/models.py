"""The draft review: the phase, the published sections (a snapshot), supports and comments.

A publication is a snapshot, not a flag on the workspace's sections: participants comment on
the text they read, while the methodical group goes on editing, regrouping and merging in the
workspace. Each published section remembers its workspace section (``section_id``), so the
comments appear beside it there; re-publishing refreshes the snapshot and keeps the comments.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy import orm

from strategy.core.db import TimestampMixin, utcnow
from strategy.extensions import db

if TYPE_CHECKING:
    from strategy.auth.models import User
    from strategy.events.models import Event, Track

SECTION_COMMENT_MIN = 2
SECTION_COMMENT_MAX = 2000


class ReviewScope(enum.Enum):
    """What is published: every section, or only the agreed (согласовано) ones."""

    all = "all"
    agreed = "agreed"

    @property
    def label(self) -> str:
        from flask_babel import gettext as _

        return {"all": _("все разделы"), "agreed": _("только согласованные разделы")}[self.value]


class SectionStance(enum.Enum):
    """A reader's position on a section: за / против / дополнение."""

    for_ = "for"
    against = "against"
    addition = "addition"

    @property
    def label(self) -> str:
        from flask_babel import gettext as _

        return {"for": _("За"), "against": _("Против"), "addition": _("Дополнение")}[self.value]


class SectionCommentStatus(enum.Enum):
    pending = "pending"  # under pre-moderation, or sent back by flags: waits for approval
    published = "published"
    hidden = "hidden"


class DraftReview(TimestampMixin, db.Model):
    """The event's review phase «Обсуждение проекта»: open from opened_at until closed_at
    (or until ends_at, when it was given). One per event; publishing again reopens it."""

    __tablename__ = "draft_reviews"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    event_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), unique=True)
    scope: orm.Mapped[ReviewScope] = orm.mapped_column(
        sa.Enum(ReviewScope, native_enum=False, length=10), default=ReviewScope.all)
    opened_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)
    ends_at: orm.Mapped[Optional[datetime]] = orm.mapped_column()  # UTC
    closed_at: orm.Mapped[Optional[datetime]] = orm.mapped_column()
    published_by_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))

    event: orm.Mapped["Event"] = orm.relationship()
    published_by: orm.Mapped[Optional["User"]] = orm.relationship()
    sections: orm.Mapped[list["PublishedSection"]] = orm.relationship(
        back_populates="review", order_by="PublishedSection.position",
        cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<DraftReview {self.id} event {self.event_id}>"

    def is_open(self, now: Optional[datetime] = None) -> bool:
        """Supports and comments are accepted: not closed, and the end time has not passed."""
        now = now or utcnow()
        return self.closed_at is None and (self.ends_at is None or now < self.ends_at)

    @property
    def visible_sections(self) -> list["PublishedSection"]:
        """The sections of the latest publication (those left out of it stay for the record)."""
        return [s for s in self.sections if not s.withdrawn]

    def can_manage(self, user: Optional["User"]) -> bool:
        """Publishing and closing: the event's methodical group."""
        return bool(user is not None and getattr(user, "is_authenticated", False)
                    and user.can_manage(self.event))


class PublishedSection(db.Model):
    """A section as it was published: its title, summary, key terms and proposals."""

    __tablename__ = "published_sections"
    __table_args__ = (sa.UniqueConstraint("review_id", "section_id"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    review_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("draft_reviews.id", ondelete="CASCADE"), index=True)
    event_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    track_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    # The workspace's section; NULL once it was merged away or removed by a re-run.
    section_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("draft_sections.id", ondelete="SET NULL"), index=True)
    title: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    summary: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    key_terms: orm.Mapped[Optional[list[str]]] = orm.mapped_column(sa.JSON)
    proposal_ids: orm.Mapped[Optional[list[int]]] = orm.mapped_column(sa.JSON)
    position: orm.Mapped[int] = orm.mapped_column(default=0)
    # Not in the latest publication (kept with its comments for the record).
    withdrawn: orm.Mapped[bool] = orm.mapped_column(default=False)
    support_count: orm.Mapped[int] = orm.mapped_column(default=0)
    comment_count: orm.Mapped[int] = orm.mapped_column(default=0)
    published_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)

    review: orm.Mapped[DraftReview] = orm.relationship(back_populates="sections")
    track: orm.Mapped["Track"] = orm.relationship()
    comments: orm.Mapped[list["SectionComment"]] = orm.relationship(
        back_populates="section", order_by="SectionComment.id", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<PublishedSection {self.id} {self.title[:30]!r}>"

    def comments_visible_to(self, user) -> list["SectionComment"]:
        return [c for c in self.comments if c.can_view(user)]

    def stance_counts(self) -> dict[str, int]:
        """Published comments per stance (за, против, дополнение)."""
        counts = {s.value: 0 for s in SectionStance}
        for comment in self.comments:
            if comment.status is SectionCommentStatus.published:
                counts[comment.stance.value] += 1
        return counts


class SectionSupport(db.Model):
    """One person supports one published section once."""

    __tablename__ = "section_supports"
    __table_args__ = (sa.UniqueConstraint("published_section_id", "user_id"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    published_section_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("published_sections.id", ondelete="CASCADE"), index=True)
    user_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)


class SectionComment(TimestampMixin, db.Model):
    """A reader's comment on a published section, with a stance; moderated like a proposal's
    comment: flagged by participants, approved, hidden and restored by the track's staff."""

    __tablename__ = "section_comments"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    published_section_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("published_sections.id", ondelete="CASCADE"), index=True)
    author_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    body: orm.Mapped[str] = orm.mapped_column(sa.Text)
    stance: orm.Mapped[SectionStance] = orm.mapped_column(
        sa.Enum(SectionStance, native_enum=False, length=10,
                values_callable=lambda e: [m.value for m in e]))
    status: orm.Mapped[SectionCommentStatus] = orm.mapped_column(
        sa.Enum(SectionCommentStatus, native_enum=False, length=10),
        default=SectionCommentStatus.published)
    hidden_reason: orm.Mapped[str] = orm.mapped_column(sa.String(500), default="")
    flag_count: orm.Mapped[int] = orm.mapped_column(default=0, server_default="0")

    section: orm.Mapped[PublishedSection] = orm.relationship(back_populates="comments")
    author: orm.Mapped[Optional["User"]] = orm.relationship()

    def __repr__(self) -> str:
        return f"<SectionComment {self.id} on {self.published_section_id}>"

    @property
    def hidden(self) -> bool:
        return self.status is SectionCommentStatus.hidden

    @property
    def published(self) -> bool:
        return self.status is SectionCommentStatus.published

    @property
    def track(self) -> "Track":
        """The track whose staff moderate it (as ``comment.proposal.track`` for proposals)."""
        return self.section.track

    def can_view(self, user) -> bool:
        if self.status is SectionCommentStatus.published:
            return True
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        return user.id == self.author_id or self.can_moderate(user)

    def can_moderate(self, user) -> bool:
        """The section's track facilitators and the organisers, as for proposal comments."""
        return bool(user is not None and getattr(user, "is_authenticated", False)
                    and user.can_moderate(self.section.track))
