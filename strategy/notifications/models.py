"""Notifications: one row per person told about one thing, in one event."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy import orm

from strategy.core.db import TimestampMixin
from strategy.extensions import db

if TYPE_CHECKING:
    from strategy.auth.models import User
    from strategy.comments.models import Comment
    from strategy.events.models import ScheduleItem
    from strategy.proposals.models import Proposal


class NotificationKind(str, enum.Enum):
    """What happened; the list page words each kind (templates/notifications/_item.html)."""

    comment = "comment"        # someone commented on my proposal
    reply = "reply"            # someone replied to my comment
    answer = "answer"          # my proposal got an official answer (notify_answer)
    hidden = "hidden"          # moderation hid my proposal
    restored = "restored"      # moderation published it again
    merged = "merged"          # my proposal was merged into another
    registered = "registered"  # my place on a waiting list became a registration


class Notification(TimestampMixin, db.Model):
    """Private to its recipient: only ``user_id`` may see it or mark it read."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_event_read", "user_id", "event_id",
                               "read_at"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    event_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"))
    actor_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    kind: orm.Mapped[NotificationKind] = orm.mapped_column(
        sa.Enum(NotificationKind, native_enum=False, length=20))
    proposal_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"))
    comment_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("comments.id", ondelete="CASCADE"))
    item_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("schedule_items.id", ondelete="CASCADE"))
    read_at: orm.Mapped[Optional[datetime]] = orm.mapped_column()

    user: orm.Mapped["User"] = orm.relationship(foreign_keys=[user_id])
    proposal: orm.Mapped[Optional["Proposal"]] = orm.relationship()
    comment: orm.Mapped[Optional["Comment"]] = orm.relationship()
    item: orm.Mapped[Optional["ScheduleItem"]] = orm.relationship()

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind.value} for {self.user_id}>"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def can_view(self, user) -> bool:
        """Only the recipient, and only through the event it belongs to."""
        return bool(user is not None and getattr(user, "is_authenticated", False)
                    and user.id == self.user_id)

    can_mark_read = can_view
