"""The workshop event, its tracks (with phases) and its programme."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy import orm

from strategy.core.db import TimestampMixin, utcnow
from strategy.extensions import db

if TYPE_CHECKING:
    from strategy.auth.models import User


class ModerationMode(enum.Enum):
    """Post-moderation publishes at once; pre-moderation waits for a facilitator."""

    post = "post"
    pre = "pre"


class ParticipationMode(enum.Enum):
    """Who may take part: anyone with the (public) code, the same after a moderator approves
    each new participant, or only people invited by link or imported by the organisers."""

    open = "open"
    approval = "approval"
    invited = "invited"


class Event(TimestampMixin, db.Model):
    """A workshop (мероприятие) with a join code."""

    __tablename__ = "events"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    slug: orm.Mapped[str] = orm.mapped_column(sa.String(80), unique=True)
    title: orm.Mapped[str] = orm.mapped_column(sa.String(300))
    description: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    place: orm.Mapped[str] = orm.mapped_column(sa.String(300), default="")
    code: orm.Mapped[str] = orm.mapped_column(sa.String(20), unique=True)
    timezone: orm.Mapped[str] = orm.mapped_column(sa.String(64), default="Asia/Irkutsk")
    starts_on: orm.Mapped[Optional[date]] = orm.mapped_column()
    ends_on: orm.Mapped[Optional[date]] = orm.mapped_column()
    moderation_mode: orm.Mapped[ModerationMode] = orm.mapped_column(
        sa.Enum(ModerationMode, native_enum=False, length=10), default=ModerationMode.post)
    allow_self_support: orm.Mapped[bool] = orm.mapped_column(default=False)
    flag_threshold: orm.Mapped[int] = orm.mapped_column(default=3)
    participation_mode: orm.Mapped[ParticipationMode] = orm.mapped_column(
        sa.Enum(ParticipationMode, native_enum=False, length=10), default=ParticipationMode.open,
        server_default="open")

    tracks: orm.Mapped[list["Track"]] = orm.relationship(
        back_populates="event", order_by="Track.position", cascade="all, delete-orphan")
    schedule: orm.Mapped[list["ScheduleItem"]] = orm.relationship(
        back_populates="event", order_by="ScheduleItem.starts_at", cascade="all, delete-orphan")
    participants: orm.Mapped[list["User"]] = orm.relationship(back_populates="event")

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.slug}>"


class Track(TimestampMixin, db.Model):
    """A priority track (трек) with its own submission and support phases."""

    __tablename__ = "tracks"
    __table_args__ = (sa.UniqueConstraint("event_id", "slug"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    event_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    slug: orm.Mapped[str] = orm.mapped_column(sa.String(80))
    title: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    description: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    position: orm.Mapped[int] = orm.mapped_column(default=0)
    submission_open: orm.Mapped[bool] = orm.mapped_column(default=True)
    submission_ends_at: orm.Mapped[Optional[datetime]] = orm.mapped_column()
    support_open: orm.Mapped[bool] = orm.mapped_column(default=True)
    support_ends_at: orm.Mapped[Optional[datetime]] = orm.mapped_column()
    # None = unlimited supports; N = dot voting with N supports per person in this track.
    support_budget: orm.Mapped[Optional[int]] = orm.mapped_column()
    # Against herding: participants see counts only after support closes.
    hide_counts: orm.Mapped[bool] = orm.mapped_column(default=False)
    projector_shows_counts: orm.Mapped[bool] = orm.mapped_column(default=True)

    event: orm.Mapped[Event] = orm.relationship(back_populates="tracks")

    def __repr__(self) -> str:
        return f"<Track {self.id} {self.slug}>"

    def accepts_proposals(self, now: Optional[datetime] = None) -> bool:
        """Submission is open and its end time (UTC) has not passed."""
        now = now or utcnow()
        return self.submission_open and (
            self.submission_ends_at is None or now < self.submission_ends_at)

    def accepts_supports(self, now: Optional[datetime] = None) -> bool:
        """Support is open and its end time (UTC) has not passed."""
        now = now or utcnow()
        return self.support_open and (self.support_ends_at is None or now < self.support_ends_at)

    def counts_visible_to(self, user: Optional["User"]) -> bool:
        """Whether support counts may be shown to this viewer now."""
        if not self.hide_counts or not self.accepts_supports():
            return True
        return bool(user is not None and getattr(user, "is_staff", False))


class ScheduleItem(db.Model):
    """One entry of the programme (программа): day, time, place or online link, track."""

    __tablename__ = "schedule_items"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    event_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    track_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("tracks.id", ondelete="SET NULL"))
    starts_at: orm.Mapped[datetime] = orm.mapped_column()  # UTC
    ends_at: orm.Mapped[Optional[datetime]] = orm.mapped_column()
    title: orm.Mapped[str] = orm.mapped_column(sa.String(300))
    description: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    place: orm.Mapped[str] = orm.mapped_column(sa.String(200), default="")
    online_url: orm.Mapped[str] = orm.mapped_column(sa.String(500), default="")

    event: orm.Mapped[Event] = orm.relationship(back_populates="schedule")
    track: orm.Mapped[Optional[Track]] = orm.relationship()
