"""Users, roles, personal return codes and invitations."""
from __future__ import annotations

import enum
import functools
import hashlib
import secrets
import unicodedata
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy import orm
from werkzeug.security import check_password_hash, generate_password_hash

from strategy.core.db import TimestampMixin, utcnow
from strategy.core.places import place_line
from strategy.extensions import db, login_manager

if TYPE_CHECKING:
    from strategy.events.models import Event, ScheduleItem, Track

# Crockford-like alphabet without look-alike characters: easy to read aloud in a hall.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RETURN_CODE_GROUPS = 3
RETURN_CODE_GROUP_LEN = 4  # 31^12 ≈ 7.9e17 codes: about 59 bits, far beyond guessing at 20/min.
CODE_REVEAL_MINUTES = 15


class Role(enum.Enum):
    """What a user may do; organisers can do everything facilitators can."""

    participant = "participant"
    facilitator = "facilitator"
    organiser = "organiser"
    expert = "expert"  # assesses projects of chosen tracks; does not moderate

    @property
    def label(self) -> str:
        from flask_babel import gettext as _

        return {
            "participant": _("Участник"),
            "facilitator": _("Модератор"),
            "organiser": _("Методическая группа"),
            "expert": _("Эксперт"),
        }[self.value]


facilitator_tracks = sa.Table(
    "facilitator_tracks",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("track_id", sa.ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True),
)


def generate_return_code() -> str:
    """A personal code like 'K7QM-2XPA-9RTN', shown once at join."""
    groups = [
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(RETURN_CODE_GROUP_LEN))
        for _ in range(RETURN_CODE_GROUPS)
    ]
    return "-".join(groups)


# Cyrillic (and a few other) capitals that look like Latin ones: «ВАIKAL26» typed on a Russian
# layout is BAIKAL26. Letters without a Latin twin (Б, Д, Ж, ...) stay and do not match.
LOOKALIKES = str.maketrans({
    "А": "A", "В": "B", "Е": "E", "Ё": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "У": "Y", "Х": "X", "З": "3", "І": "I", "Ј": "J", "Ѕ": "S", "Ү": "Y",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
})


def normalise_code(code: str) -> str:
    """Fold width and case, map look-alike letters, drop spaces and dashes, so typed codes
    still match; O/0 and I/L/1 count as one (return codes use none of them)."""
    text = unicodedata.normalize("NFKC", code or "").upper().translate(LOOKALIKES)
    cleaned = "".join(ch for ch in text if ch.isalnum())
    return cleaned.replace("O", "0").replace("I", "1").replace("L", "1")


def hash_code(code: str) -> str:
    """Codes are random and long, so a plain SHA-256 is enough and allows lookup."""
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


class User(UserMixin, TimestampMixin, db.Model):
    """A participant, facilitator or organiser."""

    __tablename__ = "users"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    event_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    display_name: orm.Mapped[str] = orm.mapped_column(sa.String(80))
    email: orm.Mapped[Optional[str]] = orm.mapped_column(sa.String(254), unique=True)
    password_hash: orm.Mapped[Optional[str]] = orm.mapped_column(sa.String(256))
    role: orm.Mapped[Role] = orm.mapped_column(sa.Enum(Role, native_enum=False, length=20),
                                               default=Role.participant)
    library: orm.Mapped[str] = orm.mapped_column(sa.String(200), default="")
    municipality: orm.Mapped[str] = orm.mapped_column(sa.String(120), default="")
    # Consent given at join: display name is always public; library and municipality only if agreed.
    consent_public_affiliation: orm.Mapped[bool] = orm.mapped_column(default=True)
    return_code_hash: orm.Mapped[Optional[str]] = orm.mapped_column(sa.String(64), unique=True)
    is_muted: orm.Mapped[bool] = orm.mapped_column(default=False)
    last_seen_at: orm.Mapped[Optional[datetime]] = orm.mapped_column()
    # Part of every session and remember cookie: raising it ends all of them (logout, a new
    # return code, "sign out other devices"). Cookies hold only the id and this number.
    session_version: orm.Mapped[int] = orm.mapped_column(default=1, server_default="1")
    # The clear return code, kept on the server only for the minutes after it is issued so the
    # welcome page can show it again; never put in a cookie.
    code_reveal: orm.Mapped[Optional[str]] = orm.mapped_column(sa.String(20))
    code_reveal_until: orm.Mapped[Optional[datetime]] = orm.mapped_column()
    # Against stuffing: in an event with approval, new participants wait for a moderator;
    # suspended ones cannot act and their supports do not count (until reinstated).
    is_approved: orm.Mapped[bool] = orm.mapped_column(default=True, server_default=sa.true())
    suspended_at: orm.Mapped[Optional[datetime]] = orm.mapped_column()
    # A hash of the browser id the person joined from: identities made in a burst show up.
    joined_browser: orm.Mapped[Optional[str]] = orm.mapped_column(sa.String(32), index=True)
    # «Мои данные»: a deleted profile keeps its contributions under DELETED_NAME.
    deleted_at: orm.Mapped[Optional[datetime]] = orm.mapped_column()

    event: orm.Mapped[Optional["Event"]] = orm.relationship(back_populates="participants")
    facilitated_tracks: orm.Mapped[list["Track"]] = orm.relationship(
        secondary=facilitator_tracks, lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.display_name!r} {self.role.value}>"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def set_return_code(self) -> str:
        """Create a new personal return code; returns it in clear text, stores only its hash."""
        code = generate_return_code()
        self.return_code_hash = hash_code(code)
        return code

    def reveal_code(self, code: str, minutes: int = CODE_REVEAL_MINUTES) -> None:
        """Let the welcome page show the new code again for a few minutes."""
        self.code_reveal = code
        self.code_reveal_until = utcnow() + timedelta(minutes=minutes)

    def revealed_code(self) -> Optional[str]:
        if self.code_reveal and self.code_reveal_until and utcnow() < self.code_reveal_until:
            return self.code_reveal
        return None

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and remember cookies: id and session version."""
        return f"{self.id}.{self.session_version}"

    def end_sessions(self) -> None:
        """Every session and remember cookie issued so far stops working."""
        self.session_version = (self.session_version or 1) + 1

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def is_organiser(self) -> bool:
        return self.role is Role.organiser

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.facilitator, Role.organiser)

    def acts_in(self, event: "Event") -> bool:
        """Participants act in the event they joined; staff in the event they belong to, or in
        every event of the installation when they belong to none (the demo's and the CLI's)."""
        return self.acts_in_event_id(event.id)

    def acts_in_event_id(self, event_id: int) -> bool:
        if self.is_staff and self.event_id is None:
            return True
        return self.event_id == event_id

    def can_moderate(self, track: "Track") -> bool:
        """Organisers moderate their events; facilitators their tracks, or all if none chosen."""
        if not self.is_staff or not self.acts_in(track.event):
            return False
        if self.role is Role.organiser:
            return True
        return not self.facilitated_tracks or track in self.facilitated_tracks

    def can_manage(self, event: "Event") -> bool:
        """The methodical group (organisers) sets up the event, its workspace and downloads."""
        return self.role is Role.organiser and self.acts_in(event)

    @property
    def can_create_events(self) -> bool:
        """New events come from organisers of the whole installation (of no single event)."""
        return self.role is Role.organiser and self.event_id is None

    def can_mute(self, participant: "User", authored_track_ids: set[int]) -> bool:
        """Organisers mute anyone of their event; a facilitator of chosen tracks only people
        who wrote in one of those tracks (``authored_track_ids``); of all tracks, anyone."""
        if participant.event_id is None or participant.is_staff:
            return False
        if self.role is Role.organiser:
            return self.acts_in(participant.event)
        if self.role is not Role.facilitator or not self.acts_in(participant.event):
            return False
        if not self.facilitated_tracks:
            return True
        return bool(authored_track_ids & {t.id for t in self.facilitated_tracks})

    @property
    def public_affiliation(self) -> str:
        """Library and municipality as others may see them, respecting consent."""
        if not self.consent_public_affiliation:
            return ""
        return place_line(self.library or "", self.municipality or "")


class Invitation(TimestampMixin, db.Model):
    """A personal invitation link to one event, optionally pre-filled and limited to a track."""

    __tablename__ = "invitations"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    event_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    token_hash: orm.Mapped[str] = orm.mapped_column(sa.String(64), unique=True)
    display_name: orm.Mapped[str] = orm.mapped_column(sa.String(80), default="")
    library: orm.Mapped[str] = orm.mapped_column(sa.String(200), default="")
    municipality: orm.Mapped[str] = orm.mapped_column(sa.String(120), default="")
    email: orm.Mapped[Optional[str]] = orm.mapped_column(sa.String(254))
    track_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("tracks.id", ondelete="SET NULL"))
    used_by_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    used_at: orm.Mapped[Optional[datetime]] = orm.mapped_column()
    # A targeted invitation: the link also registers its holder for this programme item.
    schedule_item_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("schedule_items.id", ondelete="SET NULL"))

    event: orm.Mapped["Event"] = orm.relationship()
    track: orm.Mapped[Optional["Track"]] = orm.relationship()
    schedule_item: orm.Mapped[Optional["ScheduleItem"]] = orm.relationship()

    def mark_used(self, user: User) -> None:
        self.used_by_id = user.id
        self.used_at = utcnow()


# --- staff invitations (organisers invite facilitators, experts and organisers) -------------

STAFF_INVITATION_DAYS = 7


class StaffInvitation(TimestampMixin, db.Model):
    """A one-time link that lets a new staff member set their own password.

    Only the token's hash is stored; the link works once and until ``expires_at``.
    """

    __tablename__ = "staff_invitations"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    event_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    token_hash: orm.Mapped[str] = orm.mapped_column(sa.String(64), unique=True)
    display_name: orm.Mapped[str] = orm.mapped_column(sa.String(80))
    email: orm.Mapped[str] = orm.mapped_column(sa.String(254))
    role: orm.Mapped[Role] = orm.mapped_column(sa.Enum(Role, native_enum=False, length=20))
    track_ids: orm.Mapped[Optional[list[int]]] = orm.mapped_column(sa.JSON)
    expires_at: orm.Mapped[datetime] = orm.mapped_column()
    created_by_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    used_by_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    used_at: orm.Mapped[Optional[datetime]] = orm.mapped_column()
    revoked_at: orm.Mapped[Optional[datetime]] = orm.mapped_column()

    event: orm.Mapped["Event"] = orm.relationship()

    def __repr__(self) -> str:
        return f"<StaffInvitation {self.id} {self.email} {self.role.value}>"

    @property
    def state(self) -> str:
        if self.used_at:
            return "used"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= utcnow():
            return "expired"
        return "pending"


@login_manager.user_loader
def load_user(session_id: str) -> Optional[User]:
    """Accept a session only while its version is the user's current one."""
    user_id, _, version = (session_id or "").partition(".")
    if not (user_id.isdigit() and version.isdigit()) or len(user_id) > 18:
        return None
    # Every signed-in request loads the person: the facilitated tracks only when asked for
    # (staff), not with a second query for every participant's click.
    user = db.session.scalar(user_by_id(), {"user_id": int(user_id)})
    if user is None or user.session_version != int(version):
        return None
    return user


@functools.cache
def user_by_id() -> sa.Select:
    """Built once (after the mappers are configured): SQLAlchemy computes a statement's cache
    key per object, and a new statement for every request (session.get with options) cost
    that each time."""
    return sa.select(User).where(User.id == sa.bindparam("user_id")) \
        .options(orm.lazyload(User.facilitated_tracks))
