"""Joining an event, returning with a personal code, signing in staff."""
import secrets
from datetime import timedelta
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _

from strategy.auth.models import (STAFF_INVITATION_DAYS, Invitation, Role, StaffInvitation,
                                  User, facilitator_tracks, hash_code, normalise_code)
from strategy.core.audit import audit, lock
from strategy.core.db import utcnow
from strategy.core.errors import OperationError
from strategy.events.models import Event
from strategy.extensions import db
from strategy.programme.operations import register_by_invitation


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
        register_by_invitation(invitation, user)
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
                      municipality: str = "", email: Optional[str] = None,
                      target: str = "") -> tuple[Invitation, str]:
    """A personal invitation link token; only its hash is stored. target "item:<id>" or
    "track:<id>" aims it at a session or a track: using it also registers for it."""
    token = secrets.token_urlsafe(16)
    invitation = Invitation(event_id=event.id, token_hash=hash_code(token), display_name=display_name,
                            library=library, municipality=municipality, email=email)
    kind, _sep, target_id = (target or "").partition(":")
    if kind == "item" and target_id.isdigit() and any(
            i.id == int(target_id) for i in event.schedule):
        invitation.schedule_item_id = int(target_id)
    elif kind == "track" and target_id.isdigit() and any(
            t.id == int(target_id) for t in event.tracks):
        invitation.track_id = int(target_id)
    elif target:
        raise OperationError(_("Выберите сессию или трек из списка."), 400)
    db.session.add(invitation)
    db.session.commit()
    return invitation, token


def find_invitation(token: str) -> Optional[Invitation]:
    return db.session.scalar(sa.select(Invitation).where(Invitation.token_hash == hash_code(token)))


def invitations_of(event: Event) -> list[Invitation]:
    return list(db.session.scalars(sa.select(Invitation).where(Invitation.event_id == event.id)
                                   .order_by(Invitation.id.desc())))


# --- staff: one-time invitation links, roles, track assignment ---------------------------------
# Kept together: organisers invite facilitators, experts and organisers by a link that lets the
# person set their own password once; roles and tracks change here, and access is revoked here.

STAFF_ROLES = (Role.organiser, Role.facilitator, Role.expert)
PASSWORD_MIN = 10


def ensure_organiser(actor: Optional[User], event: Event) -> None:
    if actor is None or not actor.can_manage(event):
        raise OperationError(_("Команду мероприятия собирает методическая группа."), 403)
    if event.is_archived:
        raise OperationError(_("Мероприятие в архиве: его можно только читать."), 409)


def staff_role(value) -> Role:
    try:
        role = Role(value)
    except ValueError:
        role = None
    if role not in STAFF_ROLES:
        raise OperationError(_("Выберите роль: методическая группа, модератор или эксперт."), 400)
    return role


def event_tracks(event: Event, track_ids, role: Role) -> list:
    """The chosen tracks, all of this event; a facilitator needs at least one."""
    wanted = {int(t) for t in (track_ids or [])}
    tracks = [t for t in event.tracks if t.id in wanted]
    if len(tracks) != len(wanted):
        raise OperationError(_("Выбранного трека нет в этом мероприятии."), 400)
    if role is Role.facilitator and not tracks:
        raise OperationError(_("Выберите треки, которые будет вести модератор."), 400)
    return tracks if role is not Role.organiser else []


def create_staff_invitation(event: Event, actor: User, *, display_name: str, email: str,
                            role, track_ids=()) -> tuple[StaffInvitation, str]:
    """A one-time link (valid STAFF_INVITATION_DAYS days) to join the event's team."""
    ensure_organiser(actor, event)
    role = staff_role(role)
    email = (email or "").strip().lower()
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise OperationError(_("Пользователь с адресом %(email)s уже есть — измените его роль в "
                               "списке команды.", email=email), 409)
    tracks = event_tracks(event, track_ids, role)
    token = secrets.token_urlsafe(24)
    invitation = StaffInvitation(
        event_id=event.id, token_hash=hash_code(token), display_name=display_name.strip(),
        email=email, role=role, track_ids=[t.id for t in tracks],
        expires_at=utcnow() + timedelta(days=STAFF_INVITATION_DAYS), created_by_id=actor.id)
    db.session.add(invitation)
    db.session.flush()
    audit(actor, "staff_invite", event_id=event.id, track_id=None, target_type="staff_invitation",
          target_id=invitation.id, after={"email": email, "role": role.value,
                                          "tracks": invitation.track_ids})
    db.session.commit()
    return invitation, token


def find_staff_invitation(token: str) -> Optional[StaffInvitation]:
    if not token or len(token) > 100:
        return None
    return db.session.scalar(sa.select(StaffInvitation).where(
        StaffInvitation.token_hash == hash_code(token)))


def ensure_staff_invitation_usable(invitation: Optional[StaffInvitation]) -> StaffInvitation:
    if invitation is None:
        raise OperationError(_("Ссылка-приглашение не найдена. Проверьте её или попросите "
                               "методическую группу прислать новую."), 404)
    messages = {"used": _("Эта ссылка уже использована. Войдите с почтой и паролем."),
                "revoked": _("Приглашение отозвано. Попросите методическую группу прислать "
                             "новое."),
                "expired": _("Срок ссылки истёк. Попросите методическую группу прислать новую.")}
    if invitation.state in messages:
        raise OperationError(messages[invitation.state], 410)
    return invitation


def accept_staff_invitation(token: str, password: str) -> User:
    """Create the staff account with the password the person chose; the link then stops."""
    invitation = ensure_staff_invitation_usable(find_staff_invitation(token))
    lock(invitation)  # two clicks at once: the second sees the link used
    ensure_staff_invitation_usable(invitation)
    if len(password or "") < PASSWORD_MIN:
        raise OperationError(_("Пароль — не короче %(n)d символов.", n=PASSWORD_MIN), 400)
    if db.session.scalar(sa.select(User.id).where(User.email == invitation.email)):
        raise OperationError(_("Пользователь с этой почтой уже есть. Войдите с паролем."), 409)
    user = User(display_name=invitation.display_name, email=invitation.email,
                role=invitation.role, event_id=invitation.event_id)
    user.set_password(password)
    user.facilitated_tracks = [t for t in invitation.event.tracks
                               if t.id in (invitation.track_ids or [])]
    db.session.add(user)
    db.session.flush()
    invitation.used_at, invitation.used_by_id = utcnow(), user.id
    audit(user, "staff_accept", event_id=invitation.event_id, track_id=None,
          target_type="user", target_id=user.id, after={"role": user.role.value})
    db.session.commit()
    return user


def revoke_staff_invitation(invitation: StaffInvitation, actor: User) -> None:
    ensure_organiser(actor, invitation.event)
    if invitation.state != "pending":
        raise OperationError(_("Это приглашение уже не действует."), 409)
    invitation.revoked_at = utcnow()
    audit(actor, "staff_invite_revoke", event_id=invitation.event_id, track_id=None,
          target_type="staff_invitation", target_id=invitation.id)
    db.session.commit()


def staff_state(user: User, event: Event) -> dict:
    return {"role": user.role.value,
            "tracks": sorted(t.id for t in user.facilitated_tracks if t.event_id == event.id)}


def change_staff_role(event: Event, actor: User, user: User, role, track_ids=()) -> bool:
    """Another role or other tracks of this event (tracks of other events stay)."""
    ensure_organiser(actor, event)
    if user.id == actor.id:
        raise OperationError(_("Свою роль поменять нельзя — попросите коллегу."), 409)
    if not user.is_staff and user.role is not Role.expert:
        raise OperationError(_("Это не член команды."), 404)
    role = staff_role(role)
    tracks = event_tracks(event, track_ids, role)
    before = staff_state(user, event)
    user.role = role
    user.facilitated_tracks = [t for t in user.facilitated_tracks
                               if t.event_id != event.id] + tracks
    after = staff_state(user, event)
    if after == before:
        db.session.rollback()
        return False
    audit(actor, "staff_role", event_id=event.id, track_id=None, target_type="user",
          target_id=user.id, before=before, after=after)
    db.session.commit()
    return True


def revoke_staff(event: Event, actor: User, user: User) -> None:
    """Take a team member's access away: no password sign-in, no tracks, no staff role."""
    ensure_organiser(actor, event)
    if user.id == actor.id:
        raise OperationError(_("Себя из команды убрать нельзя."), 409)
    if not user.is_staff and user.role is not Role.expert:
        raise OperationError(_("Это не член команды."), 404)
    before = staff_state(user, event)
    user.role = Role.participant
    user.password_hash = None
    user.facilitated_tracks = []
    audit(actor, "staff_revoke", event_id=event.id, track_id=None, target_type="user",
          target_id=user.id, before=before, after=staff_state(user, event))
    db.session.commit()


def staff_of(event: Event) -> list[User]:
    """Organisers, and the facilitators and experts of this event or its tracks."""
    track_ids = [t.id for t in event.tracks]
    assigned = sa.select(facilitator_tracks.c.user_id).where(
        facilitator_tracks.c.track_id.in_(track_ids))
    return list(db.session.scalars(sa.select(User).where(
        User.role.in_(STAFF_ROLES),
        sa.or_(User.event_id == event.id, User.id.in_(assigned),
               sa.and_(User.role == Role.organiser, User.event_id.is_(None))))
        .order_by(User.role, User.display_name)))


def staff_invitations_of(event: Event) -> list[StaffInvitation]:
    return list(db.session.scalars(sa.select(StaffInvitation).where(
        StaffInvitation.event_id == event.id).order_by(StaffInvitation.id.desc())))
