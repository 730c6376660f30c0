"""Read helpers of the programme: items with their places, a person's registrations, the
registration lists for staff, calendar files, and the DOCX appendix «Программа и участие»."""
from collections import OrderedDict
from typing import Any, Optional

import sqlalchemy as sa
from flask import abort
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from strategy.auth.models import User
from strategy.events.models import Event, ItemFormat, ScheduleItem
from strategy.extensions import db
from strategy.programme.models import Registration, RegistrationStatus, Seat, item_proposals
from strategy.programme.operations import FILE_VERSION, utc_to_local
from strategy.proposals.models import Proposal


def load_programme_item(event: Event, item_id: int) -> ScheduleItem:
    """A programme item of the event, or 404."""
    item = db.session.get(ScheduleItem, item_id)
    if item is None or item.event_id != event.id:
        abort(404)
    return item


def load_registration(item: ScheduleItem, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.item_id != item.id:
        abort(404)
    return registration


def items_by_day(event: Event, items: Optional[list[ScheduleItem]] = None
                 ) -> "OrderedDict[object, list[ScheduleItem]]":
    days: OrderedDict = OrderedDict()
    for item in (event.schedule if items is None else items):
        days.setdefault(utc_to_local(item.starts_at, event.timezone).date(), []).append(item)
    return days


def place_counts(items: list[ScheduleItem]) -> dict[int, dict[str, dict[str, int]]]:
    """{item_id: {"hall": {"registered": n, "waiting": m}, "online": {...}}} in one query."""
    counts = {item.id: {seat.value: {"registered": 0, "waiting": 0} for seat in Seat}
              for item in items}
    if not items:
        return counts
    rows = db.session.execute(
        sa.select(Registration.item_id, Registration.seat, Registration.status,
                  sa.func.count(Registration.id))
        .where(Registration.item_id.in_([item.id for item in items]),
               Registration.status != RegistrationStatus.cancelled)
        .group_by(Registration.item_id, Registration.seat, Registration.status))
    for item_id, seat, status, n in rows:
        counts[item_id][seat.value][status.value] = n
    return counts


def places_left(item: ScheduleItem, counts: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Per way of taking part: capacity, registered, waiting, free (None = unlimited)."""
    result = {}
    for seat in item.format.seats:
        capacity = item.capacity(seat)
        taken = counts[seat]["registered"]
        result[seat] = {"capacity": capacity, "registered": taken,
                        "waiting": counts[seat]["waiting"],
                        "free": None if capacity is None else max(capacity - taken, 0)}
    return result


def registrations_of(user, event: Event) -> dict[int, Registration]:
    """The person's active registrations in this event, by item id."""
    if not getattr(user, "is_authenticated", False):
        return {}
    rows = db.session.scalars(sa.select(Registration).join(ScheduleItem).where(
        ScheduleItem.event_id == event.id, Registration.user_id == user.id,
        Registration.status != RegistrationStatus.cancelled))
    return {registration.item_id: registration for registration in rows}


def waiting_position(registration: Registration) -> Optional[int]:
    """1 for the first person waiting for that place."""
    if registration.status is not RegistrationStatus.waiting:
        return None
    ahead = db.session.scalar(sa.select(sa.func.count(Registration.id)).where(
        Registration.item_id == registration.item_id, Registration.seat == registration.seat,
        Registration.status == RegistrationStatus.waiting,
        sa.or_(Registration.queued_at < registration.queued_at,
               sa.and_(Registration.queued_at == registration.queued_at,
                       Registration.id < registration.id))))
    return (ahead or 0) + 1


def my_programme(user, event: Event) -> list[tuple[ScheduleItem, Registration]]:
    mine = registrations_of(user, event)
    return [(item, mine[item.id]) for item in event.schedule if item.id in mine]


def online_link_for(item: ScheduleItem, user, registration: Optional[Registration]) -> str:
    """The online link is for registered people (and staff); without registration, for all."""
    if not item.online_url or item.format is ItemFormat.hall:
        return ""
    if getattr(user, "is_staff", False) or not item.registration_required:
        return item.online_url
    if registration is not None and registration.status is RegistrationStatus.registered:
        return item.online_url
    return ""


def registration_list(item: ScheduleItem) -> list[Registration]:
    """Everyone registered or waiting, registered first, then the queue in its order."""
    order = sa.case((Registration.status == RegistrationStatus.registered, 0),
                    (Registration.status == RegistrationStatus.waiting, 1), else_=2)
    return list(db.session.scalars(
        sa.select(Registration).where(Registration.item_id == item.id)
        .options(sa.orm.joinedload(Registration.user))
        .order_by(order, Registration.seat, Registration.queued_at, Registration.id)))


REGISTRATION_COLUMNS = ("№", "Имя", "Библиотека", "Муниципальное образование", "Формат",
                        "Статус", "Присутствовал(а)", "Записан(а)")


def registration_rows(item: ScheduleItem) -> list[list[Any]]:
    """The list for CSV and XLSX (library and municipality as consented at join)."""
    rows = []
    for n, registration in enumerate(registration_list(item), start=1):
        user: User = registration.user
        public = user.consent_public_affiliation
        attended = {True: "да", False: "нет", None: ""}[registration.attended]
        rows.append([n, user.display_name, user.library if public else "",
                     user.municipality if public else "", registration.seat.label,
                     registration.status.label, attended,
                     utc_to_local(registration.queued_at, item.event.timezone)
                     .strftime("%Y-%m-%d %H:%M")])
    return rows


def outcome_proposals(item: ScheduleItem) -> list[Proposal]:
    ids = sa.select(item_proposals.c.proposal_id).where(item_proposals.c.item_id == item.id)
    return list(db.session.scalars(sa.select(Proposal).where(Proposal.id.in_(ids))
                                   .order_by(Proposal.id)))


# --- calendar files --------------------------------------------------------------------------

def calendar_file(event: Event, entries: list[tuple[ScheduleItem, str]], host: str) -> bytes:
    """An .ics with one VEVENT per item in the event's time zone; entries carry the online
    link the person may see (or '')."""
    calendar = Calendar()
    calendar.add("prodid", "-//Strategy workshop platform//programme//RU")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", event.title)
    calendar.add("x-wr-timezone", event.timezone)
    for item, link in entries:
        entry = CalendarEvent()
        entry.add("uid", f"programme-{item.id}@{host}")
        entry.add("dtstamp", utc_to_local(item.outcome_at or item.starts_at, "UTC"))
        entry.add("dtstart", utc_to_local(item.starts_at, event.timezone))
        entry.add("dtend", utc_to_local(item.ends_at or item.starts_at, event.timezone))
        entry.add("summary", item.title)
        place = ", ".join(part for part in (item.place, event.place) if part)
        if item.format is ItemFormat.online:
            place = link or "онлайн"
        if place:
            entry.add("location", place)
        description = [item.description] if item.description else []
        if item.speakers:
            description.append(f"Спикеры: {item.speakers}")
        if link:
            description.append(f"Онлайн: {link}")
            entry.add("url", link)
        description.append(event.title)
        entry.add("description", "\n\n".join(description))
        calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()


# --- the DOCX appendix «Программа и участие» (read by the export domain) -----------------------

def programme_appendix(event: Event) -> list[dict[str, Any]]:
    """One dict per programme item, in time order: when, where, format, track, places,
    registrations, attendance and the outcome with the proposals it produced."""
    items = list(event.schedule)
    counts = place_counts(items)
    result = []
    for item in items:
        start = utc_to_local(item.starts_at, event.timezone)
        end = utc_to_local(item.ends_at, event.timezone) if item.ends_at else None
        registered = {seat: counts[item.id][seat]["registered"] for seat in ("hall", "online")}
        waiting = {seat: counts[item.id][seat]["waiting"] for seat in ("hall", "online")}
        result.append({
            "id": item.id, "date": start.date(), "start": start.strftime("%H:%M"),
            "end": end.strftime("%H:%M") if end else "", "title": item.title,
            "place": item.place, "format": item.format.value,
            "format_label": item.format.label,
            "track": item.track.title if item.track else "",
            "speakers": item.speakers, "registration": item.registration_required,
            "capacity_hall": item.capacity_hall, "capacity_online": item.capacity_online,
            "registered_hall": registered["hall"], "registered_online": registered["online"],
            "waiting": waiting["hall"] + waiting["online"],
            "attended_hall": item.attended_hall, "attended_online": item.attended_online,
            "outcome": item.outcome,
            "proposals": [{"id": p.id, "title": p.title, "support_count": p.support_count}
                          for p in outcome_proposals(item)],
        })
    return result


# --- an event as a file (docs/event-file.md) ----------------------------------------------------

EVENT_FILE_VERSION = FILE_VERSION


def track_entry(track) -> dict[str, Any]:
    """A track in the event file; an archived one is kept (its sessions name it) and says so."""
    entry = {"title": track.title, "slug": track.slug, "description": track.description}
    if track.archived:
        entry["archived"] = True
    return entry


def event_file(event: Event) -> dict[str, Any]:
    """The event's settings, tracks and programme; no ids, no people, no proposals."""
    programme = []
    for item in event.schedule:
        start = utc_to_local(item.starts_at, event.timezone)
        end = utc_to_local(item.ends_at or item.starts_at, event.timezone)
        programme.append({
            "date": start.date().isoformat(), "start": start.strftime("%H:%M"),
            "end": end.strftime("%H:%M"), "title": item.title, "place": item.place,
            "format": item.format.value, "online_url": item.online_url,
            "track": item.track.slug if item.track else "",
            "capacity_hall": item.capacity_hall, "capacity_online": item.capacity_online,
            "registration": item.registration_required, "waitlist": item.waitlist,
            "speakers": item.speakers, "description": item.description})
    return {
        "format_version": EVENT_FILE_VERSION, "title": event.title, "code": event.code,
        "timezone": event.timezone,
        "starts_on": event.starts_on.isoformat() if event.starts_on else "",
        "ends_on": event.ends_on.isoformat() if event.ends_on else "",
        "place": event.place, "description": event.description,
        "moderation": event.moderation_mode.value,
        "tracks": [track_entry(t) for t in event.tracks],
        "programme": programme,
    }
