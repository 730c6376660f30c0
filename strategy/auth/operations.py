"""Joining an event, returning with a personal code, signing in staff."""
import secrets
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _

from strategy.auth.models import Invitation, Role, User, hash_code, normalise_code
from strategy.core.db import utcnow
from strategy.core.errors import OperationError
from strategy.events.models import Event
from strategy.extensions import db


def find_event_by_code(code: str) -> Optional[Event]:
    """Event codes are short and public (printed, shown as QR); compare normalised."""
    wanted = normalise_code(code)
    if not wanted:
        return None
    for event in db.session.scalars(sa.select(Event)):
        if normalise_code(event.code) == wanted:
            return event
    return None


def join_event(event: Event, *, display_name: str, library: str, municipality: str,
               consent_public_affiliation: bool = True,
               invitation: Optional[Invitation] = None) -> tuple[User, str]:
    """Create a participant of the event; returns the user and their personal return code."""
    ensure_event_accepts_participants(event)
    user = User(event_id=event.id, display_name=display_name.strip(), library=library.strip(),
                municipality=municipality.strip(), role=Role.participant,
                consent_public_affiliation=consent_public_affiliation, last_seen_at=utcnow())
    code = user.set_return_code()
    db.session.add(user)
    db.session.flush()
    if invitation is not None:
        invitation.mark_used(user)
    db.session.commit()
    return user, code


def ensure_event_accepts_participants(event: Event) -> None:
    """A draft is not there yet for participants; an archived event takes no one new."""
    if event.is_draft:
        raise OperationError(_("Мероприятие с таким кодом не найдено. Проверьте код на экране "
                               "зала или в приглашении."), 404)
    if not event.accepts_participants():
        raise OperationError(_("Мероприятие в архиве: войти в него уже нельзя."), 409)


def find_user_by_return_code(code: str) -> Optional[User]:
    if len(normalise_code(code)) < 8:
        return None
    return db.session.scalar(sa.select(User).where(User.return_code_hash == hash_code(code)))


def renew_return_code(user: User) -> str:
    """Issue a new code (the old one stops working), e.g. when someone saw it."""
    code = user.set_return_code()
    db.session.commit()
    return code


def authenticate(email: str, password: str) -> Optional[User]:
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None or not user.check_password(password):
        return None
    return user


def create_user(*, display_name: str, role: Role, email: Optional[str] = None,
                password: Optional[str] = None, event: Optional[Event] = None,
                library: str = "", municipality: str = "") -> tuple[User, Optional[str]]:
    """Create an account from the CLI or the seed; participants get a return code."""
    if email and db.session.scalar(sa.select(User).where(User.email == email.strip().lower())):
        raise OperationError(f"Пользователь с адресом {email} уже есть.", 409)
    user = User(display_name=display_name, role=role, library=library, municipality=municipality,
                email=email.strip().lower() if email else None,
                event_id=event.id if event else None)
    if password:
        user.set_password(password)
    code = user.set_return_code() if role is Role.participant else None
    db.session.add(user)
    db.session.commit()
    return user, code


def create_invitation(event: Event, *, display_name: str = "", library: str = "",
                      municipality: str = "", email: Optional[str] = None) -> tuple[Invitation, str]:
    """A personal invitation link token; only its hash is stored."""
    token = secrets.token_urlsafe(16)
    invitation = Invitation(event_id=event.id, token_hash=hash_code(token), display_name=display_name,
                            library=library, municipality=municipality, email=email)
    db.session.add(invitation)
    db.session.commit()
    return invitation, token


def find_invitation(token: str) -> Optional[Invitation]:
    return db.session.scalar(sa.select(Invitation).where(Invitation.token_hash == hash_code(token)))


def invitations_of(event: Event) -> list[Invitation]:
    return list(db.session.scalars(sa.select(Invitation).where(Invitation.event_id == event.id)
                                   .order_by(Invitation.id.desc())))
