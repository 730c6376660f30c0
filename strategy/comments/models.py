"""Comments (комментарии): one level of replies, an optional stance, hideable."""
from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy import orm

from strategy.core.db import TimestampMixin
from strategy.extensions import db

if TYPE_CHECKING:
    from strategy.auth.models import User
    from strategy.proposals.models import Proposal

COMMENT_MAX = 2000


class Stance(enum.Enum):
    for_ = "for"
    against = "against"
    neutral = "neutral"

    @property
    def label(self) -> str:
        from flask_babel import gettext as _

        return {"for": _("За"), "against": _("Против"), "neutral": _("Нейтрально")}[self.value]


class CommentStatus(enum.Enum):
    pending = "pending"
    published = "published"
    hidden = "hidden"


class Comment(TimestampMixin, db.Model):
    """A comment on a proposal, or a reply to a top-level comment."""

    __tablename__ = "comments"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    proposal_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    author_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    parent_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    body: orm.Mapped[str] = orm.mapped_column(sa.Text)
    stance: orm.Mapped[Optional[Stance]] = orm.mapped_column(
        sa.Enum(Stance, native_enum=False, length=10, values_callable=lambda e: [m.value for m in e]))
    status: orm.Mapped[CommentStatus] = orm.mapped_column(
        sa.Enum(CommentStatus, native_enum=False, length=10), default=CommentStatus.published)
    hidden_reason: orm.Mapped[str] = orm.mapped_column(sa.String(500), default="")
    flag_count: orm.Mapped[int] = orm.mapped_column(default=0)

    proposal: orm.Mapped["Proposal"] = orm.relationship()
    author: orm.Mapped[Optional["User"]] = orm.relationship()
    parent: orm.Mapped[Optional["Comment"]] = orm.relationship(
        remote_side="Comment.id", back_populates="replies")
    replies: orm.Mapped[list["Comment"]] = orm.relationship(
        back_populates="parent", order_by="Comment.id")

    def __repr__(self) -> str:
        return f"<Comment {self.id} on {self.proposal_id}>"

    def replies_visible_to(self, user) -> list["Comment"]:
        """The replies this viewer may read: published ones, plus their own and, for the
        track's moderators, hidden and pending ones."""
        return [reply for reply in self.replies if reply.can_view(user)]

    def can_view(self, user) -> bool:
        if self.status is CommentStatus.published:
            return True
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        return user.id == self.author_id or user.can_moderate(self.proposal.track)
