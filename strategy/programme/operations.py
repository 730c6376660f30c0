"""Writes of the programme domain: programme items, registration with an exact waiting list,
attendance, outcomes, and copying an event as the template of the next one.

Registration is exact under concurrency: the registration transaction first takes the item's
lock (PostgreSQL: SELECT … FOR UPDATE on the item row; SQLite: BEGIN IMMEDIATE, the database's
single writer lock), then counts and writes, so 30 people racing for 10 places end with exactly
10 registered and 20 waiting. Cancelling promotes the first person waiting in the same
transaction.
"""
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from strategy.auth.models import User
from strategy.core.audit import audit
from strategy.core.db import utcnow
from strategy.core.errors import OperationError
from strategy.core.permissions import ensure_event_allows
from strategy.events.models import Event, ItemFormat, ScheduleItem, Track
from strategy.events.operations import (EventData, FieldError, TrackData, add_event, add_track,
                                        parse_day)
from strategy.extensions import db
from strategy.live.models import ChangeKind
from strategy.live.operations import record_change
from strategy.notifications.models import NotificationKind
from strategy.notifications.operations import notify
from strategy.programme.models import Registration, RegistrationStatus, Seat, item_proposals
from strategy.proposals.models import Proposal

TITLE_MAX = 300
PLACE_MAX = 200
URL_MAX = 500
CAPACITY_MAX = 100_000
OUTCOME_MAX = 5000
TIME_PATTERN = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")


# --- time helpers ----------------------------------------------------------------------------

def local_to_utc(day: date, at: time, tz_name: str) -> datetime:
    """A wall-clock time of the event's zone as the naive UTC the database keeps."""
    local = datetime.combine(day, at).replace(tzinfo=ZoneInfo(tz_name))
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def utc_to_local(value: datetime, tz_name: str) -> datetime:
    return value.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(tz_name))


def parse_clock(value, field_name: str) -> Optional[time]:
    if isinstance(value, time):
        return value
    text = (value or "").strip()
    if not text:
        return None
    match = TIME_PATTERN.match(text)
    if not match:
        raise FieldError(field_name, _("Время «%(value)s» не читается. Формат: ЧЧ:ММ, например "
                                       "10:30.", value=text[:20]))
    return time(int(match.group(1)), int(match.group(2)))


def parse_capacity(value, field_name: str) -> Optional[int]:
    """Empty = no limit; otherwise a whole number from 0."""
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise FieldError(field_name, _("Число мест — целое число или пусто (без ограничения)."))
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not text:
            return None
        if not text.isdigit():
            raise FieldError(field_name, _("Число мест — целое число или пусто (без "
                                           "ограничения)."))
        number = int(text)
    if not 0 <= number <= CAPACITY_MAX:
        raise FieldError(field_name, _("Число мест — от 0 до %(n)d.", n=CAPACITY_MAX))
    return number


# --- programme items -------------------------------------------------------------------------

@dataclass
class ItemData:
    """What is typed about a programme item (form, event file and CLI alike)."""

    day: Any
    start: Any
    end: Any
    title: str
    description: str = ""
    speakers: str = ""
    place: str = ""
    format: str = "hall"
    online_url: str = ""
    track: str = ""  # a track slug of the event, or empty
    registration_required: bool = False
    capacity_hall: Any = None
    capacity_online: Any = None
    waitlist: bool = True


@dataclass
class CheckedItem:
    title: str
    description: str
    speakers: str
    place: str
    format: ItemFormat
    online_url: str
    track: Optional[Track]
    registration_required: bool
    capacity_hall: Optional[int]
    capacity_online: Optional[int]
    waitlist: bool
    starts_at: datetime
    ends_at: datetime
    extra: dict = field(default_factory=dict)


def check_item_data(event: Event, data: ItemData,
                    item: Optional[ScheduleItem] = None) -> CheckedItem:
    """Every rule of a programme item; raises FieldError naming the first wrong field."""
    title = (data.title or "").strip()
    if len(title) < 2 or len(title) > TITLE_MAX:
        raise FieldError("title", _("Название — от 2 до %(n)d символов.", n=TITLE_MAX))
    day = parse_day(data.day, "day")
    if day is None:
        raise FieldError("day", _("Укажите день."))
    if event.starts_on and event.ends_on and not event.starts_on <= day <= event.ends_on:
        raise FieldError("day", _("День %(day)s вне дат мероприятия (%(start)s — %(end)s).",
                                  day=day.isoformat(), start=event.starts_on.isoformat(),
                                  end=event.ends_on.isoformat()))
    start, end = parse_clock(data.start, "start"), parse_clock(data.end, "end")
    if start is None:
        raise FieldError("start", _("Укажите время начала."))
    if end is None:
        raise FieldError("end", _("Укажите время окончания."))
    if end <= start:
        raise FieldError("end", _("Окончание должно быть позже начала."))
    try:
        item_format = ItemFormat(data.format)
    except ValueError:
        raise FieldError("format", _("Формат — в зале, онлайн или гибридно."))
    online_url = (data.online_url or "").strip()
    if online_url and (len(online_url) > URL_MAX
                       or not re.match(r"^https?://[^\s/]+\.[^\s]+$", online_url)):
        raise FieldError("online_url", _("Ссылка на трансляцию должна начинаться с https:// "
                                         "(не длиннее %(n)d символов).", n=URL_MAX))
    place = (data.place or "").strip()
    if len(place) > PLACE_MAX:
        raise FieldError("place", _("Место — не больше %(n)d символов.", n=PLACE_MAX))
    track = None
    if data.track:
        track = next((t for t in event.tracks if t.slug == data.track), None)
        if track is None:
            raise FieldError("track", _("В мероприятии нет трека «%(slug)s».", slug=data.track))
        if track.archived and (item is None or item.track_id != track.id):
            raise FieldError("track", _("Трек «%(title)s» в архиве.", title=track.title))
    checked = CheckedItem(
        title=title, description=(data.description or "").strip(),
        speakers=(data.speakers or "").strip(), place=place, format=item_format,
        online_url=online_url, track=track,
        registration_required=bool(data.registration_required),
        capacity_hall=parse_capacity(data.capacity_hall, "capacity_hall")
        if "hall" in item_format.seats else None,
        capacity_online=parse_capacity(data.capacity_online, "capacity_online")
        if "online" in item_format.seats else None,
        waitlist=bool(data.waitlist),
        starts_at=local_to_utc(day, start, event.timezone),
        ends_at=local_to_utc(day, end, event.timezone))
    check_no_overlap(event, checked, item)
    return checked


def check_no_overlap(event: Event, checked: CheckedItem, item: Optional[ScheduleItem]) -> None:
    """One room holds one session at a time, and a session is not entered twice."""
    for other in event.schedule:
        if other is item or other.ends_at is None:
            continue
        if not (other.starts_at < checked.ends_at and checked.starts_at < other.ends_at):
            continue
        same_room = checked.place and other.place.strip().lower() == checked.place.lower()
        if same_room and checked.format is not ItemFormat.online \
                and other.format is not ItemFormat.online:
            raise FieldError("start", _("В «%(place)s» в это время уже идёт «%(title)s».",
                                        place=checked.place, title=other.title), 409)
        if other.title.strip().lower() == checked.title.lower():
            raise FieldError("start", _("«%(title)s» в это время уже есть в программе.",
                                        title=checked.title), 409)


def ensure_can_manage_item(actor: Optional[User], event: Event,
                           track: Optional[Track]) -> None:
    """Organisers change the whole programme; a facilitator only their tracks' items."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_staff:
        raise OperationError(_("Программу меняют организаторы и модераторы треков."), 403)
    if event.is_archived:
        raise OperationError(_("Мероприятие в архиве: его можно только читать."), 409)
    if actor.can_manage(event):
        return
    if track is None or not actor.can_moderate(track):
        raise OperationError(_("Вы можете менять программу только своих треков."), 403)


def named_track(event: Event, slug: str) -> Optional[Track]:
    return next((t for t in event.tracks if slug and t.slug == slug), None)


def item_state(item: ScheduleItem) -> dict[str, Any]:
    return {"title": item.title, "starts_at": item.starts_at.isoformat(),
            "ends_at": item.ends_at.isoformat() if item.ends_at else None,
            "place": item.place, "format": item.format.value, "online_url": item.online_url,
            "track_id": item.track_id, "speakers": item.speakers,
            "description": item.description,
            "registration_required": item.registration_required,
            "capacity_hall": item.capacity_hall, "capacity_online": item.capacity_online,
            "waitlist": item.waitlist}


def apply_item(item: ScheduleItem, checked: CheckedItem) -> None:
    for name in ("title", "description", "speakers", "place", "format", "online_url",
                 "registration_required", "capacity_hall", "capacity_online", "waitlist",
                 "starts_at", "ends_at"):
        setattr(item, name, getattr(checked, name))
    item.track_id = checked.track.id if checked.track else None
    item.track = checked.track


def add_item(event: Event, actor: User, data: ItemData) -> ScheduleItem:
    """Add a programme item to the session (no commit)."""
    ensure_can_manage_item(actor, event, named_track(event, data.track))
    checked = check_item_data(event, data)
    item = ScheduleItem(event_id=event.id)
    apply_item(item, checked)
    event.schedule.append(item)
    db.session.flush()
    audit(actor, "programme_create", event_id=event.id, track_id=item.track_id,
          target_type="schedule_item", target_id=item.id, after=item_state(item))
    return item


def create_item(event: Event, actor: User, data: ItemData) -> ScheduleItem:
    item = add_item(event, actor, data)
    record_change(event.id, ChangeKind.programme, track_id=item.track_id, item_id=item.id,
                  action="create")
    db.session.commit()
    return item


def update_item(item: ScheduleItem, actor: User, data: ItemData) -> bool:
    """Change an item; a capacity below the people already registered is refused, a higher
    one lets people move up from the waiting list at once."""
    event = item.event
    ensure_can_manage_item(actor, event, item.track)
    ensure_can_manage_item(actor, event, named_track(event, data.track))
    checked = check_item_data(event, data, item)
    lock_item(item)
    counts = seat_counts(item)
    for seat in Seat:
        capacity = getattr(checked, f"capacity_{seat.value}")
        taken = counts[seat]["registered"]
        if taken and seat.value not in checked.format.seats:
            raise FieldError("format", _("На формат «%(seat)s» уже зарегистрированы %(n)d чел.: "
                                         "сначала отмените их регистрации.",
                                         seat=seat.label, n=taken), 409)
        if capacity is not None and capacity < taken:
            raise FieldError(f"capacity_{seat.value}", _(
                "Мест не может быть меньше, чем уже зарегистрировано (%(n)d).", n=taken), 409)
    before = item_state(item)
    apply_item(item, checked)
    after = item_state(item)
    if after == before:
        db.session.rollback()
        return False
    promoted = [r for seat in Seat for r in promote_waiting(item, seat)]
    audit(actor, "programme_update", event_id=event.id, track_id=item.track_id,
          target_type="schedule_item", target_id=item.id, before=before, after=after)
    record_change(event.id, ChangeKind.programme, track_id=item.track_id, item_id=item.id,
                  action="update", promoted=len(promoted))
    db.session.commit()
    return True


def delete_item(item: ScheduleItem, actor: User) -> None:
    """Remove an item nobody has registered for (otherwise they would lose their place)."""
    event = item.event
    ensure_can_manage_item(actor, event, item.track)
    lock_item(item)
    active = sum(counts["registered"] + counts["waiting"] for counts in seat_counts(item).values())
    if active:
        raise OperationError(_("На это мероприятие уже записались (%(n)d чел.). Удалить его "
                               "нельзя — измените время или отмените регистрации.", n=active),
                             409)
    before = item_state(item)
    audit(actor, "programme_delete", event_id=event.id, track_id=item.track_id,
          target_type="schedule_item", target_id=item.id, before=before)
    record_change(event.id, ChangeKind.programme, track_id=item.track_id, item_id=item.id,
                  action="delete")
    db.session.delete(item)
    db.session.commit()


# --- registration ----------------------------------------------------------------------------

def lock_item(item: ScheduleItem) -> None:
    """Serialise the writers of one item's registrations for the rest of the transaction."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        # pysqlite starts transactions lazily and DEFERRED; take the write lock now, before
        # counting, so no other registration can commit between our count and our insert.
        if not connection.connection.dbapi_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        db.session.refresh(item)
    else:
        db.session.refresh(item, with_for_update=True)


def seat_counts(item: ScheduleItem) -> dict[Seat, dict[str, int]]:
    rows = db.session.execute(
        sa.select(Registration.seat, Registration.status, sa.func.count(Registration.id))
        .where(Registration.item_id == item.id)
        .group_by(Registration.seat, Registration.status))
    counts = {seat: {"registered": 0, "waiting": 0} for seat in Seat}
    for seat, status, n in rows:
        if status is not RegistrationStatus.cancelled:
            counts[seat][status.value] = n
    return counts


def ensure_can_register(item: ScheduleItem, user: Optional[User]) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise OperationError(_("Войдите в мероприятие, чтобы зарегистрироваться."), 401)
    if not user.acts_in(item.event):
        raise OperationError(_("Вы участник другого мероприятия. Войдите в это мероприятие по "
                               "его коду."), 403)
    ensure_event_allows(item.event, "register")
    if not item.registration_required:
        raise OperationError(_("На эту часть программы регистрироваться не нужно — просто "
                               "приходите или подключайтесь."), 409)


def register(item: ScheduleItem, user: User, seat: str, *, source: str = "self",
             commit: bool = True) -> Registration:
    """A place in the hall or online, or a place on the waiting list when it is full."""
    ensure_can_register(item, user)
    try:
        wanted = Seat(seat)
    except ValueError:
        raise OperationError(_("Выберите: в зале или онлайн."), 400)
    if wanted.value not in item.format.seats:
        raise OperationError(_("Эта часть программы проходит %(format)s.",
                               format=item.format.label), 400)
    lock_item(item)
    registration = db.session.scalar(sa.select(Registration).where(
        Registration.item_id == item.id, Registration.user_id == user.id))
    if registration is not None and registration.is_active:
        message = (_("Вы уже в листе ожидания.") if registration.status is
                   RegistrationStatus.waiting else _("Вы уже зарегистрированы."))
        raise OperationError(message, 409)
    capacity = item.capacity(wanted.value)
    taken = seat_counts(item)[wanted]["registered"]
    if capacity is None or taken < capacity:
        status = RegistrationStatus.registered
    elif item.waitlist:
        status = RegistrationStatus.waiting
    else:
        raise OperationError(_("Мест %(seat)s больше нет, а лист ожидания не ведётся.",
                               seat=wanted.label), 409)
    if registration is None:
        registration = Registration(item_id=item.id, user_id=user.id)
        db.session.add(registration)
    registration.seat, registration.status, registration.source = wanted, status, source
    registration.queued_at = utcnow()
    registration.attended = None
    record_change(item.event_id, ChangeKind.registration, track_id=item.track_id, item_id=item.id,
                  status=status.value)
    if commit:
        commit_registration()
    return registration


def commit_registration() -> None:
    try:
        db.session.commit()
    except IntegrityError:  # the same person twice at once: the unique constraint decides
        db.session.rollback()
        raise OperationError(_("Вы уже зарегистрированы."), 409)


def promote_waiting(item: ScheduleItem, seat: Seat) -> list[Registration]:
    """Move people up from the waiting list into free places (the caller holds the lock)."""
    capacity = item.capacity(seat.value)
    free = None if capacity is None else capacity - seat_counts(item)[seat]["registered"]
    if free is not None and free <= 0:
        return []
    query = (sa.select(Registration).where(
        Registration.item_id == item.id, Registration.seat == seat,
        Registration.status == RegistrationStatus.waiting)
        .order_by(Registration.queued_at, Registration.id))
    if free is not None:
        query = query.limit(free)
    promoted = list(db.session.scalars(query))
    for registration in promoted:
        registration.status = RegistrationStatus.registered
        notify(registration.user_id, NotificationKind.registered, event_id=item.event_id,
               item_id=item.id)
    return promoted


def cancel_registration(item: ScheduleItem, user: User) -> list[Registration]:
    """Give the place up; the first person waiting for that place moves up at once.
    Returns the registrations promoted."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise OperationError(_("Войдите в мероприятие, чтобы управлять регистрацией."), 401)
    if not user.acts_in(item.event):
        raise OperationError(_("Вы участник другого мероприятия. Войдите в это мероприятие по "
                               "его коду."), 403)
    ensure_event_allows(item.event, "register")
    lock_item(item)
    registration = db.session.scalar(sa.select(Registration).where(
        Registration.item_id == item.id, Registration.user_id == user.id))
    if registration is None or not registration.can_cancel(user):
        raise OperationError(_("Вы не зарегистрированы на эту часть программы."), 409)
    was_registered = registration.status is RegistrationStatus.registered
    registration.status = RegistrationStatus.cancelled
    db.session.flush()
    promoted = promote_waiting(item, registration.seat) if was_registered else []
    record_change(item.event_id, ChangeKind.registration, track_id=item.track_id, item_id=item.id,
                  status="cancelled", promoted=len(promoted))
    db.session.commit()
    return promoted


def mark_attendance(item: ScheduleItem, actor: User, present_ids: set[int]) -> int:
    """Tick who came among the registered; returns how many are marked present."""
    ensure_can_manage_item(actor, item.event, item.track)
    registrations = db.session.scalars(sa.select(Registration).where(
        Registration.item_id == item.id, Registration.status == RegistrationStatus.registered))
    present = 0
    for registration in registrations:
        registration.attended = registration.id in present_ids
        present += registration.attended
    audit(actor, "programme_attendance", event_id=item.event_id, track_id=item.track_id,
          target_type="schedule_item", target_id=item.id, after={"present": present})
    db.session.commit()
    return present


# --- outcomes --------------------------------------------------------------------------------

def record_outcome(item: ScheduleItem, actor: User, *, attended_hall, attended_online,
                   outcome: str, proposal_ids: list[int]) -> ScheduleItem:
    """After a session: how many took part in the hall and online, a short outcome, and the
    proposals that came out of it (proposals of the same event)."""
    ensure_can_manage_item(actor, item.event, item.track)
    hall = parse_capacity(attended_hall, "attended_hall")
    online = parse_capacity(attended_online, "attended_online")
    text = (outcome or "").strip()
    if len(text) > OUTCOME_MAX:
        raise FieldError("outcome", _("Итоги — не больше %(n)d символов.", n=OUTCOME_MAX))
    wanted = sorted(set(proposal_ids))
    found = set(db.session.scalars(sa.select(Proposal.id).where(
        Proposal.id.in_(wanted), Proposal.event_id == item.event_id))) if wanted else set()
    missing = [str(pid) for pid in wanted if pid not in found]
    if missing:
        raise FieldError("proposals", _("Предложения № %(ids)s нет в этом мероприятии.",
                                        ids=", ".join(missing)))
    before = {"attended_hall": item.attended_hall, "attended_online": item.attended_online,
              "outcome": item.outcome, "proposals": linked_proposal_ids(item)}
    item.attended_hall, item.attended_online, item.outcome = hall, online, text
    item.outcome_at = utcnow()
    db.session.execute(sa.delete(item_proposals).where(item_proposals.c.item_id == item.id))
    if wanted:
        db.session.execute(sa.insert(item_proposals),
                           [{"item_id": item.id, "proposal_id": pid} for pid in wanted])
    audit(actor, "programme_outcome", event_id=item.event_id, track_id=item.track_id,
          target_type="schedule_item", target_id=item.id, before=before,
          after={"attended_hall": hall, "attended_online": online, "outcome": text,
                 "proposals": wanted})
    record_change(item.event_id, ChangeKind.programme, track_id=item.track_id, item_id=item.id,
                  action="outcome")
    db.session.commit()
    return item


def linked_proposal_ids(item: ScheduleItem) -> list[int]:
    return list(db.session.scalars(sa.select(item_proposals.c.proposal_id).where(
        item_proposals.c.item_id == item.id).order_by(item_proposals.c.proposal_id)))


# --- an event as a file: import (export is programme.queries.event_file) -----------------------

FILE_KEYS = {"title": str, "code": str, "timezone": str, "starts_on": str, "ends_on": str,
             "place": str, "description": str, "moderation": str, "tracks": list,
             "programme": list, "format_version": int}
REQUIRED_FILE_KEYS = ("title", "code", "timezone", "starts_on", "ends_on", "tracks",
                      "programme")
TRACK_KEYS = {"title": str, "slug": str, "description": str, "archived": bool}
ITEM_KEYS = {"date": str, "start": str, "end": str, "title": str, "place": str, "format": str,
             "online_url": str, "track": (str, type(None)), "capacity_hall": (int, type(None)),
             "capacity_online": (int, type(None)), "registration": bool, "speakers": str,
             "description": str, "waitlist": bool}
REQUIRED_ITEM_KEYS = ("date", "start", "end", "title")
FILE_PLACE = "файл"
FILE_VERSION = 1  # the format of the event file (programme.queries.event_file writes it)
TYPE_NAMES = {str: "строка", int: "целое число", list: "список", bool: "true или false",
              dict: "объект"}


class EventFileError(OperationError):
    """Everything wrong with an event file, each problem with its place in the file."""

    def __init__(self, problems: list[str]):
        super().__init__(_("Файл мероприятия не принят: %(problems)s",
                           problems="; ".join(problems)), 400)
        self.problems = problems


def read_event_file(raw: bytes) -> dict:
    """Bytes of a JSON file (UTF-8, a BOM allowed) -> dict; EventFileError when unreadable."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise EventFileError([_("байт %(n)d: файл не в кодировке UTF-8", n=error.start)])
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise EventFileError([_("строка %(line)d, позиция %(col)d: это не JSON",
                                line=error.lineno, col=error.colno)])
    if not isinstance(data, dict):
        raise EventFileError([_("файл должен быть объектом JSON с ключами title, code, …")])
    return data


def type_name(expected) -> str:
    kinds = expected if isinstance(expected, tuple) else (expected,)
    return " или ".join(TYPE_NAMES.get(k, "null") for k in kinds)


def shape_problems(data: dict, keys: dict, required, place: str) -> list[str]:
    problems = []
    for key in data:
        if key not in keys:
            problems.append(_("%(place)s: неизвестный ключ «%(key)s»", place=place, key=key))
    for key in required:
        if key not in data:
            problems.append(_("%(place)s: нет ключа «%(key)s»", place=place, key=key))
    for key, expected in keys.items():
        value = data.get(key)
        if key in data and (not isinstance(value, expected) or (
                isinstance(value, bool) and expected in (int, (int, type(None))))):
            where = key if place == FILE_PLACE else f"{place}.{key}"
            problems.append(_("%(place)s: ожидается %(type)s", place=where,
                              type=type_name(expected)))
    return problems


def check_file_shape(data: dict) -> list[str]:
    problems = shape_problems(data, FILE_KEYS, REQUIRED_FILE_KEYS, FILE_PLACE)
    version = data.get("format_version", FILE_VERSION)
    if isinstance(version, int) and not isinstance(version, bool) and version != FILE_VERSION:
        problems.append(_("format_version: версия файла %(found)d не поддерживается, нужна "
                          "%(wanted)d.", found=version, wanted=FILE_VERSION))
    for index, track in enumerate(data.get("tracks") or [] if isinstance(
            data.get("tracks"), list) else []):
        place = f"tracks[{index}]"
        if not isinstance(track, dict):
            problems.append(_("%(place)s: ожидается объект", place=place))
            continue
        problems += shape_problems(track, TRACK_KEYS, ("title",), place)
    for index, item in enumerate(data.get("programme") or [] if isinstance(
            data.get("programme"), list) else []):
        place = f"programme[{index}]"
        if not isinstance(item, dict):
            problems.append(_("%(place)s: ожидается объект", place=place))
            continue
        problems += shape_problems(item, ITEM_KEYS, REQUIRED_ITEM_KEYS, place)
    return problems


def shifted(value: str, days: int, field_name: str = "date") -> str:
    day = parse_day(value, field_name)
    return (day + timedelta(days=days)).isoformat() if day else value


def import_event(actor: User, data: dict, *, shift_to: Optional[date] = None,
                 code: Optional[str] = None) -> Event:
    """Create a draft event from an event file's data: its settings, tracks and programme,
    optionally moved to start on shift_to and with another code. All or nothing: every problem
    is collected with its place in the file, and nothing is written if there is one."""
    problems = check_file_shape(data)
    if problems:
        raise EventFileError(problems)
    days = 0
    if shift_to is not None:
        first = parse_day_or_none(data["starts_on"])
        days = (shift_to - first).days if first else 0
    event = add_file_event(actor, data, days, code, problems)
    if event is None:
        db.session.rollback()
        raise EventFileError(problems)
    track_problems, archived = [], []
    for index, spec in enumerate(data["tracks"]):
        try:
            track = add_track(event, actor, TrackData(
                title=spec["title"], slug=spec.get("slug", ""),
                description=spec.get("description", "")))
            if spec.get("archived"):
                archived.append(track)
        except FieldError as error:
            track_problems.append(f"tracks[{index}].{error.field}: {error.message}")
    problems += track_problems
    if not track_problems:  # the programme names the tracks: check it once they are right
        problems += import_programme(event, actor, data["programme"], days)
    for track in archived:  # kept for its sessions (added above), closed as archiving does
        track.archived = True
        track.submission_open = track.support_open = False
    if problems:
        db.session.rollback()
        raise EventFileError(problems)
    record_change(event.id, ChangeKind.event, action="event_import")
    db.session.commit()
    return event


FILE_FIELDS = {"moderation_mode": "moderation"}
# A wrong setting is reported and replaced by a stand-in, so the tracks and the programme are
# still checked and every problem of the file is reported at once (then nothing is written).
# Wrong dates have no stand-in: the programme's days cannot be checked without them.
EVENT_STAND_INS = {"title": "Проверка файла мероприятия", "timezone": "UTC", "place": "",
                   "moderation_mode": "post", "description": ""}


def add_file_event(actor: User, data: dict, days: int, code: Optional[str],
                   problems: list[str]) -> Optional[Event]:
    """The file's event added to the session, or None; its problems go into problems."""
    try:
        fields = {"title": data["title"], "code": code or data["code"],
                  "timezone": data["timezone"],
                  "starts_on": parse_day(shifted(data["starts_on"], days, "starts_on"),
                                         "starts_on"),
                  "ends_on": parse_day(shifted(data["ends_on"], days, "ends_on"), "ends_on"),
                  "place": data.get("place", ""), "description": data.get("description", ""),
                  "moderation_mode": data.get("moderation", "post")}
    except FieldError as error:
        problems.append(f"{error.field}: {error.message}")
        return None
    for _attempt in range(len(fields)):
        try:
            return add_event(actor, EventData(**fields))
        except FieldError as error:
            place = FILE_FIELDS.get(error.field, error.field)
            if error.field == "code" and code:
                place = "--code"  # the code given on the command line, not the file's
            problems.append(f"{place}: {error.message}")
            if error.field == "code":
                fields["code"] = "CHECK-" + secrets.token_hex(6).upper()
            elif error.field in EVENT_STAND_INS:
                fields[error.field] = EVENT_STAND_INS[error.field]
            else:
                return None
    return None
ITEM_FIELDS = {"day": "date", "registration_required": "registration"}


def parse_day_or_none(value) -> Optional[date]:
    try:
        return parse_day(value, "starts_on")
    except FieldError:
        return None


def import_programme(event: Event, actor: User, items: list[dict], days: int) -> list[str]:
    problems = []
    for index, spec in enumerate(items):
        try:
            add_item(event, actor, ItemData(
                day=shifted(spec["date"], days), start=spec["start"], end=spec["end"],
                title=spec["title"], place=spec.get("place", ""),
                format=spec.get("format", "hall"), online_url=spec.get("online_url", ""),
                track=spec.get("track") or "", speakers=spec.get("speakers", ""),
                description=spec.get("description", ""),
                registration_required=spec.get("registration", False),
                capacity_hall=spec.get("capacity_hall"),
                capacity_online=spec.get("capacity_online"),
                waitlist=spec.get("waitlist", True)))
        except FieldError as error:
            problems.append(f"programme[{index}].{ITEM_FIELDS.get(error.field, error.field)}: "
                            f"{error.message}")
    return problems


# --- targeted invitations --------------------------------------------------------------------

def register_by_invitation(invitation, user: User) -> list[Registration]:
    """A personal link aimed at a session (or a track's sessions) registers its holder there,
    or puts them on the waiting list; sessions that refuse (no registration needed, full
    without a list) are skipped. Runs inside the join's transaction (no commit)."""
    items = []
    if invitation.schedule_item is not None:
        items = [invitation.schedule_item]
    elif invitation.track is not None:
        items = [i for i in invitation.event.schedule if i.track_id == invitation.track_id]
    done = []
    for item in items:
        if not item.registration_required:
            continue
        seat = item.format.seats[0]
        try:
            done.append(register(item, user, seat, source="invitation", commit=False))
        except OperationError:
            continue
    return done
