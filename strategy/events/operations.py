"""Writes of the event domain: phases of a track, its support rules, the event's settings;
creating and editing events and their tracks, and moving an event through its states.

Each write checks the actor's right itself, records an audit entry and a change for live
screens in the same transaction, then commits.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Optional
from zoneinfo import ZoneInfo, available_timezones

import sqlalchemy as sa
from flask_babel import gettext as _

from strategy.auth.models import User, normalise_code
from strategy.core.audit import audit, lock
from strategy.core.db import utcnow
from strategy.core.errors import OperationError, operation
from strategy.core.permissions import ensure_can_manage, ensure_can_moderate, ensure_staff_edits
from strategy.core.slugs import is_valid_slug, slugify, unique_slug
from strategy.events.models import Event, EventStatus, ModerationMode, Track
from strategy.extensions import db
from strategy.live.models import ChangeKind
from strategy.live.operations import record_change

BUDGET_MAX = 50
FLAG_THRESHOLD_MAX = 50
PHASES = ("submission", "support")


def phase_is_open(track: Track, phase: str, now: Optional[datetime] = None) -> bool:
    return track.accepts_proposals(now) if phase == "submission" else track.accepts_supports(now)


def phase_state(track: Track) -> dict[str, Any]:
    def iso(value):
        return value.isoformat() if value else None

    return {"submission_open": track.submission_open,
            "submission_ends_at": iso(track.submission_ends_at),
            "support_open": track.support_open, "support_ends_at": iso(track.support_ends_at)}


ensure_not_archived = ensure_staff_edits


def check_phase_name(phase: str) -> None:
    if phase not in PHASES:
        raise OperationError(_("Неизвестный этап."), 404)


@operation
def open_phase(track: Track, actor: User, phase: str,
               ends_at: Optional[datetime] = None) -> Track:
    """Open submission or support, optionally until ends_at (UTC); also moves the end time."""
    check_phase_name(phase)
    ensure_can_moderate(actor, track)
    if not track.event.can_take_part("propose"):
        raise OperationError(_("Мероприятие сейчас «%(state)s»: этапы треков открываются, "
                               "только пока оно открыто.", state=track.event.status.label), 409)
    now = utcnow()
    if ends_at is not None and ends_at <= now:
        raise OperationError(_("Время окончания уже прошло. Укажите время в будущем."), 400)
    lock(track)
    if phase_is_open(track, phase, now) and getattr(track, f"{phase}_ends_at") == ends_at:
        raise OperationError(_("Приём предложений уже открыт.") if phase == "submission" else
                             _("Поддержка уже открыта."), 409)
    before = phase_state(track)
    setattr(track, f"{phase}_open", True)
    setattr(track, f"{phase}_ends_at", ends_at)
    return finish_track(track, actor, f"{phase}_open", before)


@operation
def close_phase(track: Track, actor: User, phase: str) -> Track:
    """Close submission or support now; closing a closed phase is refused."""
    check_phase_name(phase)
    ensure_can_moderate(actor, track)
    ensure_not_archived(track.event)
    lock(track)
    if not phase_is_open(track, phase):
        raise OperationError(_("Приём предложений уже закрыт.") if phase == "submission" else
                             _("Поддержка уже закрыта."), 409)
    before = phase_state(track)
    setattr(track, f"{phase}_open", False)
    setattr(track, f"{phase}_ends_at", None)
    return finish_track(track, actor, f"{phase}_close", before)


@operation
def finish_track(track: Track, actor: User, action: str, before: dict[str, Any]) -> Track:
    after = phase_state(track) | rules_state(track)
    audit(actor, action, event_id=track.event_id, track_id=track.id, target_type="track",
          target_id=track.id, before=before, after={k: after[k] for k in before})
    record_change(track.event_id, ChangeKind.phase, track_id=track.id, action=action)
    db.session.commit()
    return track


def rules_state(track: Track) -> dict[str, Any]:
    return {"support_budget": track.support_budget, "hide_counts": track.hide_counts,
            "projector_shows_counts": track.projector_shows_counts}


@operation
def set_support_rules(track: Track, actor: User, *, budget: Optional[int], hide_counts: bool,
                      projector_shows_counts: bool) -> bool:
    """Unlimited or N supports per person (dot voting), hidden counts; False if nothing changed."""
    ensure_can_moderate(actor, track)
    ensure_not_archived(track.event)
    if budget is not None and not 1 <= budget <= BUDGET_MAX:
        raise OperationError(_("Число голосов на человека — от 1 до %(n)d, или без ограничения.",
                               n=BUDGET_MAX), 400)
    lock(track)
    before = rules_state(track)
    track.support_budget = budget
    track.hide_counts = hide_counts
    track.projector_shows_counts = projector_shows_counts
    if rules_state(track) == before:
        return False
    finish_track(track, actor, "support_rules", before)
    return True


@operation
def set_event_settings(event: Event, actor: User, *, moderation_mode: str,
                       flag_threshold: int) -> bool:
    """Organisers choose pre- or post-moderation and how many flags send an item back."""
    ensure_can_manage(actor, event)
    ensure_not_archived(event)
    try:
        mode = ModerationMode(moderation_mode)
    except ValueError:
        raise OperationError(_("Выберите режим модерации из списка."), 400)
    if not 1 <= flag_threshold <= FLAG_THRESHOLD_MAX:
        raise OperationError(_("Число жалоб — от 1 до %(n)d.", n=FLAG_THRESHOLD_MAX), 400)
    before = {"moderation_mode": event.moderation_mode.value,
              "flag_threshold": event.flag_threshold}
    event.moderation_mode = mode
    event.flag_threshold = flag_threshold
    after = {"moderation_mode": mode.value, "flag_threshold": flag_threshold}
    if after == before:
        return False
    audit(actor, "event_settings", event_id=event.id, track_id=None, target_type="event",
          target_id=event.id, before=before, after=after)
    record_change(event.id, ChangeKind.phase, action="event_settings")
    db.session.commit()
    return True


# --- events and tracks: the methodical group sets the workshop up ----------------------------

TITLE_MAX = 300
TRACK_TITLE_MAX = 200
PLACE_MAX = 300
CODE_MIN, CODE_MAX = 4, 20
CODE_PATTERN = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$")
EVENT_DAYS_MAX = 31


class FieldError(OperationError):
    """A refusal about one field of a form (or one key of an event file)."""

    def __init__(self, field: str, message: str, status: int = 400):
        super().__init__(message, status)
        self.field = field


@dataclass
class EventData:
    """What an organiser types about an event (the same for the form, the file and the CLI)."""

    title: str
    code: str
    timezone: str = "Asia/Irkutsk"
    starts_on: Optional[date] = None
    ends_on: Optional[date] = None
    place: str = ""
    description: str = ""
    moderation_mode: str = "post"


DAY_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")


def parse_day(value, field: str) -> Optional[date]:
    """'2023-09-27' or '27.09.2023' -> date; empty -> None; anything else is a FieldError."""
    if isinstance(value, date):
        return value
    text = (value or "").strip()
    if not text:
        return None
    for fmt in DAY_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise FieldError(field, _("Дата «%(value)s» не читается. Формат: ГГГГ-ММ-ДД, например "
                              "2023-09-27.", value=text[:40]))


def ensure_can_set_up(actor: Optional[User], event: Optional[Event] = None) -> None:
    """New events come from the installation's methodical group (organisers who belong to no
    single event); an event is then set up by its organisers; an archived one is read-only."""
    if event is None:
        if actor is None or not getattr(actor, "can_create_events", False):
            raise OperationError(_("Мероприятия настраивает методическая группа."), 403)
        return
    ensure_can_manage(actor, event)
    ensure_not_archived(event)


def clean_code(code: str) -> str:
    return (code or "").strip().upper()


def check_event_code(code: str, event: Optional[Event] = None) -> str:
    """A readable, unique code: 4–20 Latin letters and digits, dashes between them."""
    code = clean_code(code)
    if not code:
        raise FieldError("code", _("Укажите код мероприятия."))
    if not (CODE_MIN <= len(code) <= CODE_MAX) or not CODE_PATTERN.match(code):
        raise FieldError("code", _("Код мероприятия — от %(min)d до %(max)d латинских букв и цифр "
                                   "(можно дефис), например ZHIVYE23.", min=CODE_MIN, max=CODE_MAX))
    wanted = normalise_code(code)
    for other_id, other_code in db.session.execute(sa.select(Event.id, Event.code)):
        if (event is None or other_id != event.id) and normalise_code(other_code) == wanted:
            raise FieldError("code", _("Код «%(code)s» уже занят другим мероприятием. Выберите "
                                       "другой.", code=code), 409)
    return code


def check_event_data(data: EventData, event: Optional[Event] = None) -> EventData:
    """Every rule of an event's fields; raises FieldError naming the first wrong field."""
    title = (data.title or "").strip()
    if len(title) < 3 or len(title) > TITLE_MAX:
        raise FieldError("title", _("Название — от 3 до %(n)d символов.", n=TITLE_MAX))
    code = check_event_code(data.code, event)
    if data.timezone not in available_timezones():
        raise FieldError("timezone", _("Неизвестный часовой пояс «%(tz)s». Пример: Asia/Irkutsk.",
                                       tz=data.timezone))
    if data.starts_on is None or data.ends_on is None:
        raise FieldError("starts_on", _("Укажите даты начала и окончания."))
    if data.ends_on < data.starts_on:
        raise FieldError("ends_on", _("Дата окончания раньше даты начала."))
    if (data.ends_on - data.starts_on).days >= EVENT_DAYS_MAX:
        raise FieldError("ends_on", _("Мероприятие длится не больше %(n)d дней.",
                                      n=EVENT_DAYS_MAX))
    if len(data.place or "") > PLACE_MAX:
        raise FieldError("place", _("Место — не больше %(n)d символов.", n=PLACE_MAX))
    if data.moderation_mode not in {mode.value for mode in ModerationMode}:
        raise FieldError("moderation_mode", _("Выберите режим модерации из списка."))
    return EventData(title=title, code=code, timezone=data.timezone, starts_on=data.starts_on,
                     ends_on=data.ends_on, place=(data.place or "").strip(),
                     description=(data.description or "").strip(),
                     moderation_mode=data.moderation_mode)


def check_programme_fits(event: Event, data: EventData) -> None:
    """New dates must keep every session within the event's days: a session left outside
    would vanish from the days shown and make the event's file unusable. The sessions' clock
    times stay when the time zone changes (keep_clock_times), so their days are the ones
    they have now."""
    zone = ZoneInfo(event.timezone)
    for item in event.schedule:
        day = item.starts_at.replace(tzinfo=timezone.utc).astimezone(zone).date()
        if not data.starts_on <= day <= data.ends_on:
            field = "starts_on" if day < data.starts_on else "ends_on"
            raise FieldError(field, _("Сессия «%(title)s» (%(day)s) окажется вне дат "
                                      "мероприятия. Сначала перенесите или удалите её.",
                                      title=item.title, day=day.isoformat()), 409)


def keep_clock_times(event: Event, new_zone: str) -> None:
    """A corrected time zone keeps the times the organiser typed: 10:00 stays 10:00 (in the
    new zone), as an event file imported with that zone would have it."""
    if new_zone == event.timezone:
        return
    for item in event.schedule:
        item.starts_at = same_clock_time(item.starts_at, event.timezone, new_zone)
        if item.ends_at:
            item.ends_at = same_clock_time(item.ends_at, event.timezone, new_zone)


def same_clock_time(stored: datetime, old_zone: str, new_zone: str) -> datetime:
    """A naive UTC time whose clock reading in ``new_zone`` is its reading in ``old_zone``."""
    clock = stored.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(old_zone))
    moved = clock.replace(tzinfo=None).replace(tzinfo=ZoneInfo(new_zone))
    return moved.astimezone(timezone.utc).replace(tzinfo=None)


def event_state(event: Event) -> dict[str, Any]:
    return {"title": event.title, "code": event.code, "timezone": event.timezone,
            "starts_on": event.starts_on.isoformat() if event.starts_on else None,
            "ends_on": event.ends_on.isoformat() if event.ends_on else None,
            "place": event.place, "description": event.description,
            "moderation_mode": event.moderation_mode.value, "status": event.status.value}


def apply_event_data(event: Event, data: EventData) -> None:
    event.title, event.code, event.timezone = data.title, data.code, data.timezone
    event.starts_on, event.ends_on = data.starts_on, data.ends_on
    event.place, event.description = data.place, data.description
    event.moderation_mode = ModerationMode(data.moderation_mode)


def add_event(actor: User, data: EventData) -> Event:
    """Add a draft event to the session (no commit): the start of create and import."""
    ensure_can_set_up(actor)
    data = check_event_data(data)
    taken = set(db.session.scalars(sa.select(Event.slug)))
    event = Event(slug=unique_slug(slugify(data.title) or slugify(data.code), taken, "event"),
                  status=EventStatus.draft)
    apply_event_data(event, data)
    db.session.add(event)
    db.session.flush()
    audit(actor, "event_create", event_id=event.id, track_id=None, target_type="event",
          target_id=event.id, after=event_state(event))
    return event


def create_event(actor: User, data: EventData) -> Event:
    """A new event, as a draft that only staff see until it is opened."""
    event = add_event(actor, data)
    record_change(event.id, ChangeKind.event, action="event_create")
    db.session.commit()
    return event


def update_event(event: Event, actor: User, data: EventData) -> bool:
    """Edit title, code, dates, time zone, place, description; False if nothing changed."""
    ensure_can_set_up(actor, event)
    data = check_event_data(data, event)
    check_programme_fits(event, data)
    before = event_state(event)
    keep_clock_times(event, data.timezone)
    apply_event_data(event, data)
    after = event_state(event)
    if after == before:
        db.session.rollback()
        return False
    audit(actor, "event_update", event_id=event.id, track_id=None, target_type="event",
          target_id=event.id, before=before, after=after)
    record_change(event.id, ChangeKind.event, action="event_update")
    db.session.commit()
    return True


# Which state each action leads to, and from which states it may be taken.
TRANSITIONS = {
    "open": (EventStatus.open, {EventStatus.draft, EventStatus.finished}),
    "finish": (EventStatus.finished, {EventStatus.open}),
    "archive": (EventStatus.archived, {EventStatus.draft, EventStatus.open,
                                       EventStatus.finished}),
}


def change_event_status(event: Event, actor: User, action: str) -> Event:
    """Open, finish or archive. Finishing and archiving close every track's phases, so
    proposals and supports stop; an archived event cannot change any more."""
    if action not in TRANSITIONS:
        raise OperationError(_("Неизвестное действие."), 404)
    ensure_can_set_up(actor, event)
    lock(event)
    target, sources = TRANSITIONS[action]
    if event.status not in sources:
        raise OperationError(_("Мероприятие сейчас «%(state)s»: это действие недоступно.",
                               state=event.status.label), 409)
    if target is EventStatus.open and not event.active_tracks:
        raise OperationError(_("Добавьте хотя бы один трек, прежде чем открывать мероприятие."),
                             409)
    before = {"status": event.status.value}
    event.status = target
    if target in (EventStatus.finished, EventStatus.archived):
        for track in event.tracks:
            track.submission_open = track.support_open = False
            track.submission_ends_at = track.support_ends_at = None
    audit(actor, f"event_{action}", event_id=event.id, track_id=None, target_type="event",
          target_id=event.id, before=before, after={"status": target.value})
    record_change(event.id, ChangeKind.event, action=f"event_{action}")
    record_change(event.id, ChangeKind.phase, action=f"event_{action}")
    db.session.commit()
    return event


@dataclass
class TrackData:
    title: str
    description: str = ""
    slug: str = ""


def check_track_data(event: Event, data: TrackData, track: Optional[Track] = None) -> TrackData:
    title = (data.title or "").strip()
    if len(title) < 2 or len(title) > TRACK_TITLE_MAX:
        raise FieldError("title", _("Название трека — от 2 до %(n)d символов.", n=TRACK_TITLE_MAX))
    slug = (data.slug or "").strip().lower()
    taken = {t.slug for t in event.tracks if t is not track}
    if slug:
        if not is_valid_slug(slug):
            raise FieldError("slug", _("Адрес трека — латинские буквы, цифры и дефисы, например "
                                       "genij-mesta."))
        if slug in taken:
            raise FieldError("slug", _("Адрес «%(slug)s» уже занят другим треком этого "
                                       "мероприятия.", slug=slug), 409)
    elif track is not None:
        slug = track.slug
    else:
        slug = unique_slug(slugify(title), taken, "track")
    return TrackData(title=title, description=(data.description or "").strip(), slug=slug)


def track_state(track: Track) -> dict[str, Any]:
    return {"title": track.title, "slug": track.slug, "description": track.description,
            "position": track.position, "archived": track.archived}


def add_track(event: Event, actor: User, data: TrackData) -> Track:
    """Add a track at the end (no commit); its slug is transliterated from the title."""
    ensure_can_set_up(actor, event)
    data = check_track_data(event, data)
    position = max((t.position for t in event.tracks), default=-1) + 1
    track = Track(event=event, slug=data.slug, title=data.title,
                  description=data.description, position=position)
    db.session.add(track)
    db.session.flush()
    audit(actor, "track_create", event_id=event.id, track_id=track.id, target_type="track",
          target_id=track.id, after=track_state(track))
    return track


def create_track(event: Event, actor: User, data: TrackData) -> Track:
    track = add_track(event, actor, data)
    record_change(event.id, ChangeKind.track, track_id=track.id, action="track_create")
    db.session.commit()
    return track


def update_track(track: Track, actor: User, data: TrackData) -> bool:
    """Rename, describe, change the slug (unique in the event); False if nothing changed."""
    ensure_can_set_up(actor, track.event)
    data = check_track_data(track.event, data, track)
    before = track_state(track)
    track.title, track.description, track.slug = data.title, data.description, data.slug
    return finish_track_edit(track, actor, "track_update", before)


def finish_track_edit(track: Track, actor: User, action: str, before: dict[str, Any]) -> bool:
    after = track_state(track)
    if after == before:
        db.session.rollback()
        return False
    audit(actor, action, event_id=track.event_id, track_id=track.id, target_type="track",
          target_id=track.id, before=before, after=after)
    record_change(track.event_id, ChangeKind.track, track_id=track.id, action=action)
    db.session.commit()
    return True


def move_track(track: Track, actor: User, direction: str) -> bool:
    """Swap with the neighbour above ("up") or below ("down"); False at the edge."""
    ensure_can_set_up(actor, track.event)
    if direction not in ("up", "down"):
        raise OperationError(_("Неизвестное направление."), 400)
    ordered = list(track.event.tracks)
    index = ordered.index(track)
    other_index = index - 1 if direction == "up" else index + 1
    if not 0 <= other_index < len(ordered):
        return False
    for position, item in enumerate(ordered):  # heal gaps and duplicates left by older data
        item.position = position
    before = track_state(track)
    other = ordered[other_index]
    track.position, other.position = other.position, track.position
    return finish_track_edit(track, actor, "track_move", before)


def set_track_archived(track: Track, actor: User, archived: bool) -> bool:
    """An archived track leaves the event's pages and stops taking proposals; nothing is
    deleted, and restoring it brings it back as it was (phases stay closed)."""
    ensure_can_set_up(actor, track.event)
    before = track_state(track)
    track.archived = archived
    if archived:
        track.submission_open = track.support_open = False
    return finish_track_edit(track, actor, "track_archive" if archived else "track_restore",
                             before)
