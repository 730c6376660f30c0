"""Live polls: the question, its options, and one answer per participant.

A poll goes draft → open → closed. While open, each member of the event answers once (the
unique constraint on (poll, user) decides under concurrency); a change of mind is refused, so
every person counts exactly once. Closing freezes the results: no answer is taken after it.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import orm

from strategy.core.db import TimestampMixin, utcnow
from strategy.events.models import Event, Track
from strategy.extensions import db

if TYPE_CHECKING:
    from strategy.auth.models import User


class PollKind(enum.Enum):
    single = "single"
    multiple = "multiple"
    scale = "scale"
    words = "words"

    @property
    def label(self) -> str:
        return {"single": _("один вариант"), "multiple": _("несколько вариантов"),
                "scale": _("шкала"), "words": _("облако слов")}[self.value]

    @property
    def has_options(self) -> bool:
        return self in (PollKind.single, PollKind.multiple)


class PollState(enum.Enum):
    draft = "draft"
    open = "open"
    closed = "closed"

    @property
    def label(self) -> str:
        return {"draft": _("черновик"), "open": _("идёт голосование"),
                "closed": _("завершён")}[self.value]


class Poll(TimestampMixin, db.Model):
    """One question put to the hall, for the whole event or one track."""

    __tablename__ = "polls"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    event_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    track_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("tracks.id", ondelete="SET NULL"), index=True)
    question: orm.Mapped[str] = orm.mapped_column(sa.String(300))
    kind: orm.Mapped[PollKind] = orm.mapped_column(sa.Enum(PollKind, native_enum=False,
                                                           length=12))
    state: orm.Mapped[PollState] = orm.mapped_column(
        sa.Enum(PollState, native_enum=False, length=10), default=PollState.draft)
    scale_min: orm.Mapped[Optional[int]] = orm.mapped_column()
    scale_max: orm.Mapped[Optional[int]] = orm.mapped_column()
    created_by_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: orm.Mapped[Optional[datetime]] = orm.mapped_column()
    closed_at: orm.Mapped[Optional[datetime]] = orm.mapped_column()

    event: orm.Mapped[Event] = orm.relationship()
    track: orm.Mapped[Optional[Track]] = orm.relationship()
    options: orm.Mapped[list["PollOption"]] = orm.relationship(
        back_populates="poll", order_by="PollOption.position", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Poll {self.id} {self.kind.value} {self.state.value}>"

    @property
    def is_open(self) -> bool:
        return self.state is PollState.open

    @property
    def is_closed(self) -> bool:
        return self.state is PollState.closed

    def can_run(self, user: Optional["User"]) -> bool:
        """A track's poll: its facilitators and the organisers; an event-wide one: organisers."""
        return can_run_poll(user, self.event, self.track)

    def can_view(self, user: Optional["User"]) -> bool:
        """Drafts are seen by the staff who may run them; open and closed polls by everyone."""
        return self.state is not PollState.draft or self.can_run(user)

    def results_visible_to(self, user: Optional["User"], answered: bool) -> bool:
        """Results: always for staff and the projector's hall once closed; a participant sees
        them after answering (so the first answers do not steer the rest)."""
        return self.is_closed or answered or self.can_run(user)


def can_run_poll(user: Optional["User"], event: Event, track: Optional[Track]) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_staff:
        return False
    if track is not None:
        return user.can_moderate(track)
    return user.can_manage(event)


class PollOption(db.Model):
    __tablename__ = "poll_options"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    poll_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    position: orm.Mapped[int] = orm.mapped_column(default=0)
    text: orm.Mapped[str] = orm.mapped_column(sa.String(120))

    poll: orm.Mapped[Poll] = orm.relationship(back_populates="options")


class PollAnswer(db.Model):
    """One person's answer: options (choices), a number (scale) or a short text (words)."""

    __tablename__ = "poll_answers"
    __table_args__ = (sa.UniqueConstraint("poll_id", "user_id"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    poll_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    user_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    value: orm.Mapped[Optional[int]] = orm.mapped_column()
    word: orm.Mapped[Optional[str]] = orm.mapped_column(sa.String(40))
    created_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)


class PollChoice(db.Model):
    """An option ticked in an answer (one for single choice, one or more for multiple)."""

    __tablename__ = "poll_choices"

    answer_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("poll_answers.id", ondelete="CASCADE"), primary_key=True)
    option_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("poll_options.id", ondelete="CASCADE"), primary_key=True)
    poll_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("polls.id", ondelete="CASCADE"), index=True)
