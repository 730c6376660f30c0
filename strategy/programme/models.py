"""Registrations for programme items (with the waiting list) and the proposals a session
produced."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import orm

from strategy.core.db import TimestampMixin
from strategy.events.models import ScheduleItem
from strategy.extensions import db

if TYPE_CHECKING:
    from strategy.auth.models import User


class Seat(enum.Enum):
    """How a person takes part in a session."""

    hall = "hall"
    online = "online"

    @property
    def label(self) -> str:
        return _("в зале") if self is Seat.hall else _("онлайн")


class RegistrationStatus(enum.Enum):
    registered = "registered"
    waiting = "waiting"
    cancelled = "cancelled"

    @property
    def label(self) -> str:
        return {"registered": _("зарегистрирован(а)"), "waiting": _("в листе ожидания"),
                "cancelled": _("отменено")}[self.value]


class Registration(TimestampMixin, db.Model):
    """One person's place (or place in the queue) for one programme item.

    One row per person and item: cancelling keeps the row (status cancelled), registering
    again reuses it, so the unique constraint also stops double registration under races.
    The waiting list is ordered by ``queued_at``, then id.
    """

    __tablename__ = "registrations"
    __table_args__ = (sa.UniqueConstraint("item_id", "user_id"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    item_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("schedule_items.id", ondelete="CASCADE"), index=True)
    user_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    seat: orm.Mapped[Seat] = orm.mapped_column(sa.Enum(Seat, native_enum=False, length=10))
    status: orm.Mapped[RegistrationStatus] = orm.mapped_column(
        sa.Enum(RegistrationStatus, native_enum=False, length=12))
    queued_at: orm.Mapped[datetime] = orm.mapped_column()
    attended: orm.Mapped[Optional[bool]] = orm.mapped_column()
    # "self" when the person registered, "invitation" when a personal link did it.
    source: orm.Mapped[str] = orm.mapped_column(sa.String(20), default="self")

    item: orm.Mapped[ScheduleItem] = orm.relationship()
    user: orm.Mapped["User"] = orm.relationship()

    def __repr__(self) -> str:
        return f"<Registration {self.id} item={self.item_id} {self.status.value}>"

    @property
    def is_active(self) -> bool:
        return self.status is not RegistrationStatus.cancelled

    def can_cancel(self, user: Optional["User"]) -> bool:
        return bool(user is not None and user.id == self.user_id and self.is_active)


item_proposals = sa.Table(
    "schedule_item_proposals",
    db.metadata,
    sa.Column("item_id", sa.ForeignKey("schedule_items.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("proposal_id", sa.ForeignKey("proposals.id", ondelete="CASCADE"),
              primary_key=True),
)

