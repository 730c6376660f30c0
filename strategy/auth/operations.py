"""Joining an event, returning with a personal code, signing in staff; who may take part."""
import hashlib
import secrets
from datetime import timedelta
from typing import Iterable, Optional

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from strategy.auth.models import (STAFF_INVITATION_DAYS, Invitation, Role, StaffInvitation,
                                  User, facilitator_tracks, hash_code, normalise_code)
from strategy.core.audit import audit, lock
from strategy.core.db import utcnow
from strategy.core.errors import OperationError, operation
from strategy.core.permissions import ensure_can_manage, ensure_staff_edits, staff_of
from strategy.events.models import Event, ParticipationMode
from strategy.extensions import db
from strategy.live.models import ChangeKind
from strategy.live.operations import record_change
from strategy.comments.models import Comment
from strategy.moderation.models import Flag
from strategy.proposals.models import LibraryJoin, Proposal
from strategy.supports.models import Support

# Identities from one browser within this many minutes count as a burst for the staff's list.
BURST_MINUTES = 30
BURST_SIZE = 3


INVITATION_USED = _l("Это приглашение уже использовано. Если это были вы, вернитесь по "
                     "персональному коду, который вы получили, когда присоединились.")
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


def browser_hash(browser: Optional[str]) -> Optional[str]:
    return hashlib.sha256(browser.encode()).hexdigest()[:32] if browser else None


def join_event(event: Event, *, display_name: str, library: str, municipality: str,
               consent_public_affiliation: bool = True,
               invitation: Optional[Invitation] = None,
               browser: Optional[str] = None) -> tuple[User, str]:
    """Create a participant of the event; returns the user and their personal return code.
    The event's participation mode decides whether the code alone is enough."""
    ensure_event_accepts_participants(event)
    mode = event.participation_mode or ParticipationMode.open
    if mode is ParticipationMode.invited and invitation is None:
        raise OperationError(_l("В это мероприятие входят только по персональному приглашению "
                                "организаторов. Если вы уже участвовали, вернитесь по своему "
                                "коду."), 403)
    user = User(event_id=event.id, display_name=display_name.strip(), library=library.strip(),
                municipality=municipality.strip(), role=Role.participant,
                consent_public_affiliation=consent_public_affiliation, last_seen_at=utcnow(),
                is_approved=mode is not ParticipationMode.approval or invitation is not None,
                joined_browser=browser_hash(browser))
    code = user.set_return_code()
    user.reveal_code(code)
    db.session.add(user)
    db.session.flush()
    if invitation is not None:
        claim_invitation(invitation, user)
        register_by_invitation(invitation, user)
    db.session.commit()
    return user, code


def claim_invitation(invitation: Invitation, user: User) -> None:
    """Mark the invitation used by this user, unless another device used it a moment ago: the
    conditional update decides, so one link never makes two identities."""
    claimed = db.session.execute(
        sa.update(Invitation).where(Invitation.id == invitation.id,
                                    Invitation.used_by_id.is_(None))
        .values(used_by_id=user.id, used_at=utcnow())
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        db.session.rollback()
        raise OperationError(INVITATION_USED, 409)
    db.session.refresh(invitation)


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
    """Issue a new code (the old one stops working), e.g. when someone saw it; every other
    device signed in with the old one is signed out (the caller signs this one in again)."""
    code = user.set_return_code()
    user.reveal_code(code)
    user.end_sessions()
    db.session.commit()
    return code


def end_sessions(user: User) -> None:
    """Sign the person out everywhere: every session and remember cookie stops working."""
    user.end_sessions()
    db.session.commit()


# Published in the README for the demo accounts; never accepted for a real one.
DEMO_PASSWORD = "demo-strategy-2026"  # nosec B105
DEMO_EMAIL_DOMAIN = "@strategy.demo"
DEMO_PASSWORD_REFUSED = _l("Пароль из демо действует только для демо-учётных записей и только "
                           "пока не задан PUBLIC_URL. Для настоящего мероприятия задайте свой "
                           "пароль (flask create-user или приглашение модератора).")


def demo_password_refused(user: User, password: str) -> bool:
    """The published demo password signs in only the demo's own accounts, and only on an
    installation not yet set up for a real hall (no PUBLIC_URL)."""
    if password != DEMO_PASSWORD:
        return False
    is_demo_account = (user.email or "").endswith(DEMO_EMAIL_DOMAIN)
    return not is_demo_account or bool(current_app.config.get("PUBLIC_URL"))


def authenticate(email: str, password: str) -> Optional[User]:
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None or user.deleted_at is not None or not user.check_password(password):
        return None
    if demo_password_refused(user, password):
        raise OperationError(DEMO_PASSWORD_REFUSED, 403)
    return user


def create_user(*, display_name: str, role: Role, email: Optional[str] = None,
                password: Optional[str] = None, event: Optional[Event] = None,
                library: str = "", municipality: str = "") -> tuple[User, Optional[str]]:
    """Create an account from the CLI or the seed; participants get a return code."""
    if password == DEMO_PASSWORD and not (email or "").lower().endswith(DEMO_EMAIL_DOMAIN):
        raise OperationError(str(DEMO_PASSWORD_REFUSED), 400)
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


# --- who takes part: mode, approval, suspension ---------------------------------------------

@operation
def set_participation_mode(event: Event, actor: User, mode: ParticipationMode) -> bool:
    ensure_can_manage(actor, event)
    ensure_staff_edits(event)
    if event.participation_mode is mode:
        return False
    before = {"participation_mode": event.participation_mode.value}
    event.participation_mode = mode
    audit(actor, "event_settings", event_id=event.id, track_id=None, target_type="event",
          target_id=event.id, before=before, after={"participation_mode": mode.value})
    db.session.commit()
    return True


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


def participants_of(event: Event, ids: Iterable[int]) -> list[User]:
    wanted = {int(i) for i in ids if str(i).isdigit() and int(i) < 2**31}
    if not wanted:
        return []
    return list(db.session.scalars(sa.select(User).where(
        User.id.in_(wanted), User.event_id == event.id, User.role == Role.participant)))


@operation
def approve_participants(event: Event, actor: User, users: list[User]) -> int:
    ensure_staff_of(actor, event)
    pending = [u for u in users if not u.is_approved]
    for user in pending:
        user.is_approved = True
        audit(actor, "participant_approved", event_id=event.id, track_id=None,
              target_type="user", target_id=user.id, after={"display_name": user.display_name})
    db.session.commit()
    return len(pending)


def count_supports_of(user: User, delta: int) -> None:
    """Add (+1) or take away (-1) the person's supports from the proposals' counters."""
    for (proposal_id,) in db.session.execute(sa.select(Support.proposal_id).where(
            Support.user_id == user.id)):
        db.session.execute(sa.update(Proposal).where(Proposal.id == proposal_id)
                           .values(support_count=Proposal.support_count + delta)
                           .execution_options(synchronize_session=False))


@operation
def suspend_participants(event: Event, actor: User, users: list[User], *,
                         suspended: bool = True, reason: str = "") -> int:
    """Suspend (or reinstate) participants together: they cannot act, and their supports stop
    counting until they are reinstated; nothing is deleted."""
    ensure_staff_of(actor, event)
    changed = [u for u in users if u.is_suspended != suspended]
    for user in changed:
        user.suspended_at = utcnow() if suspended else None
        count_supports_of(user, -1 if suspended else +1)
        # the counts changed: live screens and the stored track lists (strategy.proposals.cards)
        record_change(event.id, ChangeKind.user_moderated, user_id=user.id,
                      suspended=suspended)
        audit(actor, "participant_suspended" if suspended else "participant_reinstated",
              event_id=event.id, track_id=None, target_type="user", target_id=user.id,
              reason=reason, after={"display_name": user.display_name})
    db.session.commit()
    return len(changed)


def ensure_staff_of(actor: User, event: Event) -> None:
    if actor is None or not staff_of(actor, event):
        raise OperationError(_l("Это могут только модераторы и методическая группа "
                                "мероприятия."), 403)


def pending_participants(event: Event) -> list[User]:
    return list(db.session.scalars(sa.select(User).where(
        User.event_id == event.id, User.role == Role.participant,
        User.is_approved.is_(False)).order_by(User.id)))


def suspended_participants(event: Event) -> list[User]:
    return list(db.session.scalars(sa.select(User).where(
        User.event_id == event.id, User.suspended_at.is_not(None)).order_by(User.id)))


def bursts(event: Event, minutes: int = BURST_MINUTES, size: int = BURST_SIZE) -> list[list[User]]:
    """Groups of identities made from one browser within `minutes` of each other, biggest
    first: a hall's phones make one each, a script many."""
    people = db.session.scalars(sa.select(User).where(
        User.event_id == event.id, User.role == Role.participant,
        User.joined_browser.is_not(None)).order_by(User.joined_browser, User.created_at))
    by_browser: dict[str, list[User]] = {}
    for user in people:
        by_browser.setdefault(user.joined_browser, []).append(user)
    groups = []
    window = timedelta(minutes=minutes)
    for users in by_browser.values():
        run = [users[0]]
        for user in users[1:]:
            if user.created_at - run[-1].created_at <= window:
                run.append(user)
                continue
            if len(run) >= size:
                groups.append(run)
            run = [user]
        if len(run) >= size:
            groups.append(run)
    return sorted(groups, key=len, reverse=True)


# --- «Мои данные»: download and deletion ----------------------------------------------------

DELETED_NAME = "Участник удалил профиль"


def ensure_can_handle_data_of(actor: User, user: User) -> None:
    """The person themself, or an organiser of their event (on the person's request)."""
    if actor is not None and actor.id == user.id:
        return
    if actor is not None and user.event is not None and actor.can_manage(user.event):
        return
    raise OperationError(_l("Данные участника может получить или удалить только он сам или "
                            "методическая группа его мероприятия."), 403)


def iso(value) -> Optional[str]:
    return value.isoformat() + "Z" if value else None


def personal_data(actor: User, user: User) -> dict:
    """Everything stored about the person, as plain data (JSON and the readable page)."""
    ensure_can_handle_data_of(actor, user)
    proposals = db.session.scalars(sa.select(Proposal).where(Proposal.author_id == user.id)
                                   .order_by(Proposal.id))
    comments = db.session.scalars(sa.select(Comment).where(Comment.author_id == user.id)
                                  .order_by(Comment.id))
    supports = db.session.execute(sa.select(Support.created_at, Proposal.id, Proposal.title)
                                  .join(Proposal, Proposal.id == Support.proposal_id)
                                  .where(Support.user_id == user.id).order_by(Support.id))
    joins = db.session.scalars(sa.select(LibraryJoin).where(LibraryJoin.user_id == user.id))
    flags = db.session.scalars(sa.select(Flag).where(Flag.user_id == user.id))
    return {
        "profile": {"id": user.id, "display_name": user.display_name, "library": user.library,
                    "municipality": user.municipality, "email": user.email,
                    "role": user.role.value, "event": user.event.title if user.event else None,
                    "consent_public_affiliation": user.consent_public_affiliation,
                    "joined_at": iso(user.created_at), "last_seen_at": iso(user.last_seen_at),
                    "muted": user.is_muted, "suspended_at": iso(user.suspended_at),
                    "approved": user.is_approved},
        "proposals": [{"id": p.id, "title": p.title, "body": p.body, "kind": p.kind.value,
                       "expected_result": p.expected_result, "partners": p.partners,
                       "status": p.status.value, "created_at": iso(p.created_at)}
                      for p in proposals],
        "comments": [{"id": c.id, "proposal_id": c.proposal_id, "body": c.body,
                      "status": c.status.value, "created_at": iso(c.created_at)}
                     for c in comments],
        "supports": [{"proposal_id": pid, "title": title, "created_at": iso(at)}
                     for at, pid, title in supports],
        "library_joins": [{"proposal_id": j.proposal_id, "library": j.library,
                           "municipality": j.municipality, "note": j.note,
                           "created_at": iso(j.created_at)} for j in joins],
        "flags": [{"proposal_id": f.proposal_id, "comment_id": f.comment_id,
                   "reason": getattr(f, "reason", ""), "created_at": iso(f.created_at)}
                  for f in flags],
    }


@operation
def delete_account(actor: User, user: User) -> None:
    """Remove the person's personal data; their proposals, comments and supports stay, shown as
    «Участник удалил профиль». Library joins (they name the library) go; flags stay as
    moderation records without a name; every
    session ends; the return code and the invitation's details stop existing."""
    ensure_can_handle_data_of(actor, user)
    if user.is_staff and actor.id != user.id:
        raise OperationError(_l("Учётные записи модераторов удаляются через командную "
                                "строку."), 403)
    # The events whose pages show this person (author lines, join counts) learn of it as a
    # change: live screens and the stored track lists (strategy.proposals.cards).
    shown_in = set(db.session.scalars(sa.select(Proposal.event_id).where(
        sa.or_(Proposal.author_id == user.id, Proposal.id.in_(
            sa.select(LibraryJoin.proposal_id).where(LibraryJoin.user_id == user.id))))))
    if user.event_id is not None:
        shown_in.add(user.event_id)
    for event_id in sorted(shown_in):
        record_change(event_id, ChangeKind.user_moderated, user_id=user.id)
    for join in db.session.scalars(sa.select(LibraryJoin).where(LibraryJoin.user_id == user.id)):
        db.session.execute(sa.update(Proposal).where(Proposal.id == join.proposal_id)
                           .values(join_count=Proposal.join_count - 1)
                           .execution_options(synchronize_session=False))
        db.session.delete(join)
    db.session.execute(sa.update(Invitation).where(Invitation.used_by_id == user.id).values(
        display_name="", library="", municipality="", email=None))
    user.display_name = DELETED_NAME
    user.library = user.municipality = ""
    user.email = None
    user.password_hash = user.return_code_hash = None
    user.code_reveal = user.code_reveal_until = None
    user.joined_browser = None
    user.consent_public_affiliation = False
    user.deleted_at = utcnow()
    user.end_sessions()
    if user.event_id is not None:
        audit(actor, "profile_deleted", event_id=user.event_id, track_id=None,
              target_type="user", target_id=user.id)
    db.session.commit()


def find_participants(event: Event, query: str, limit: int = 20) -> list[User]:
    """Participants of the event whose name contains the query (for organisers' requests)."""
    text = (query or "").strip()
    if not text:
        return []
    return list(db.session.scalars(sa.select(User).where(
        User.event_id == event.id, User.role == Role.participant, User.deleted_at.is_(None),
        User.display_name.ilike(f"%{text[:80]}%")).order_by(User.display_name).limit(limit)))


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


def team_of(event: Event) -> list[User]:
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
