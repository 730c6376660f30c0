"""The workshop event, its tracks (with phases) and its programme."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy import orm

from flask_babel import gettext as _

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


class EventStatus(enum.Enum):
    """Draft (staff only) → open → finished → archived (read-only)."""

    draft = "draft"
    open = "open"
    finished = "finished"
    archived = "archived"

    @property
    def label(self) -> str:
        return {"draft": _("черновик"), "open": _("открыто"), "finished": _("завершено"),
                "archived": _("в архиве")}[self.value]


class ItemFormat(enum.Enum):
    """Where a programme item happens: in the hall, online, or both at once."""

    hall = "hall"
    online = "online"
    hybrid = "hybrid"

    @property
    def label(self) -> str:
        return {"hall": _("в зале"), "online": _("онлайн"), "hybrid": _("гибридно")}[self.value]

    @property
    def seats(self) -> tuple[str, ...]:
        """The ways one can take part: a hall seat, an online place, or either."""
        return {"hall": ("hall",), "online": ("online",), "hybrid": ("hall", "online")}[self.value]


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
    # Events made on the organisers' screens start as drafts; the model's default keeps
    # events made by older code paths (seed, fixtures) usable at once.
    status: orm.Mapped[EventStatus] = orm.mapped_column(
        sa.Enum(EventStatus, native_enum=False, length=10), default=EventStatus.open,
        server_default="open")

    tracks: orm.Mapped[list["Track"]] = orm.relationship(
        back_populates="event", order_by="Track.position", cascade="all, delete-orphan")
    schedule: orm.Mapped[list["ScheduleItem"]] = orm.relationship(
        back_populates="event", order_by="ScheduleItem.starts_at", cascade="all, delete-orphan")
    participants: orm.Mapped[list["User"]] = orm.relationship(back_populates="event")

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.slug}>"

    @property
    def is_draft(self) -> bool:
        return self.status is EventStatus.draft

    @property
    def is_archived(self) -> bool:
        return self.status is EventStatus.archived

    @property
    def active_tracks(self) -> list["Track"]:
        return [track for track in self.tracks if not track.archived]

    def can_view(self, user: Optional["User"]) -> bool:
        """A draft is visible to staff only; everything else to everyone."""
        if not self.is_draft:
            return True
        return bool(user is not None and getattr(user, "is_authenticated", False)
                    and getattr(user, "is_staff", False) and user.acts_in(self))

    def can_manage(self, user: Optional["User"]) -> bool:
        """The event's organisers (the methodical group) set it up."""
        return bool(user is not None and getattr(user, "is_authenticated", False)
                    and user.can_manage(self))

    def can_edit(self, user: Optional["User"]) -> bool:
        """An archived event is read-only for everyone."""
        return self.can_manage(user) and not self.is_archived

    def accepts_participants(self) -> bool:
        return self.status in (EventStatus.open, EventStatus.finished)

    # What participants do in an event, and in which of its states (as Decidim does with a
    # finished process: a finished event takes no new proposals, edits, supports, library
    # joins, registrations or poll answers, and stays readable; its discussion — comments and
    # the published draft's review — goes on; an archived event is read-only; a draft is
    # staff-only and takes nothing from participants).
    AFTER_FINISH = frozenset({"comment", "discuss"})

    def can_take_part(self, action: str) -> bool:
        """Whether the event's state lets participants do ``action`` (propose, edit, support,
        join, register, answer, comment, discuss); the person's own rights are checked apart."""
        if self.status is EventStatus.open:
            return True
        return self.status is EventStatus.finished and action in self.AFTER_FINISH

    def closed_notice(self, action: str = "propose") -> str:
        """Why ``action`` is refused in this state: what the page shows instead of the form,
        and the operations' refusal."""
        if self.status is EventStatus.draft:
            return _("Мероприятие ещё не открыто: участвовать в нём пока нельзя.")
        if self.status is EventStatus.archived:
            return _("Мероприятие в архиве: только чтение.")
        return {
            "support": _("Мероприятие завершено — поддержка закрыта."),
            "join": _("Мероприятие завершено — присоединиться к проекту уже нельзя."),
            "register": _("Мероприятие завершено — регистрация закрыта."),
            "answer": _("Мероприятие завершено — опросы закрыты."),
        }.get(action, _("Мероприятие завершено — приём предложений закрыт."))

    def takes_staff_edits(self) -> bool:
        """Staff change the event, its tracks, programme and polls until it is archived."""
        return not self.is_archived


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
    archived: orm.Mapped[bool] = orm.mapped_column(default=False, server_default=sa.false())

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
    """One entry of the programme (программа): day, time, place or online link, track;
    with registration (capacity per format, waiting list) and, afterwards, its outcome."""

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
    format: orm.Mapped[ItemFormat] = orm.mapped_column(
        sa.Enum(ItemFormat, native_enum=False, length=10), default=ItemFormat.hall,
        server_default="hall")
    speakers: orm.Mapped[str] = orm.mapped_column(sa.Text, default="", server_default="")
    registration_required: orm.Mapped[bool] = orm.mapped_column(
        default=False, server_default=sa.false())
    # None = no limit for that way of taking part.
    capacity_hall: orm.Mapped[Optional[int]] = orm.mapped_column()
    capacity_online: orm.Mapped[Optional[int]] = orm.mapped_column()
    waitlist: orm.Mapped[bool] = orm.mapped_column(default=True, server_default=sa.true())
    # The outcome (итоги), recorded by the track's facilitator after the session.
    attended_hall: orm.Mapped[Optional[int]] = orm.mapped_column()
    attended_online: orm.Mapped[Optional[int]] = orm.mapped_column()
    outcome: orm.Mapped[str] = orm.mapped_column(sa.Text, default="", server_default="")
    outcome_at: orm.Mapped[Optional[datetime]] = orm.mapped_column()

    event: orm.Mapped[Event] = orm.relationship(back_populates="schedule")
    track: orm.Mapped[Optional[Track]] = orm.relationship()

    def __repr__(self) -> str:
        return f"<ScheduleItem {self.id} {self.title[:30]!r}>"

    def capacity(self, seat: str) -> Optional[int]:
        return self.capacity_hall if seat == "hall" else self.capacity_online

    def can_manage(self, user: Optional["User"]) -> bool:
        """Organisers manage every item; a facilitator the items of the tracks they moderate."""
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        if user.can_manage(self.event):
            return True
        return self.track is not None and user.can_moderate(self.track)

    @property
    def has_outcome(self) -> bool:
        return bool(self.outcome or self.attended_hall is not None
                    or self.attended_online is not None)
