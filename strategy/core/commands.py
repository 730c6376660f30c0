"""What every command-line command that acts on an event shares: the ``--event`` option (an
event's id or its code) and turning it, or a track slug, into the object, or a clear message.

Without ``--event`` a command acts on the single current event: the one open event, or, when
none is open, the only event there is. When that is ambiguous (several open events, or several
events and none open) the command refuses with exit code 2 and lists the events, so nothing
is written into the wrong one.
"""
from __future__ import annotations

from typing import Optional

import click
import sqlalchemy as sa

from strategy.auth.models import normalise_code
from strategy.events.models import Event, EventStatus, Track
from strategy.extensions import db

USAGE_ERROR = 2

event_option = click.option(
    "--event", "event_id", metavar="ID|КОД",
    help="Event id or code (default: the single current event).")


class CommandError(click.ClickException):
    """A refusal of the command line: «Ошибка: …» on stderr, exit code 2, nothing written."""

    exit_code = USAGE_ERROR

    def __init__(self, message: str, lines=()):
        super().__init__(message)
        self.lines = list(lines)

    def show(self, file=None) -> None:
        click.echo(f"Ошибка: {self.format_message()}", err=True)
        for line in self.lines:
            click.echo(f"  {line}", err=True)


def describe(event: Event) -> str:
    return f"{event.id}  {event.code}  «{event.title}» ({event.status.label})"


def all_events() -> list[Event]:
    return list(db.session.scalars(sa.select(Event).order_by(Event.id)))


def find_event(value: str) -> Optional[Event]:
    """By id (digits) first, else by code, compared as the join form compares them."""
    value = (value or "").strip()
    if value.isdigit():
        event = db.session.get(Event, int(value))
        if event is not None:
            return event
    wanted = normalise_code(value)
    if not wanted:
        return None
    for event in all_events():
        if normalise_code(event.code) == wanted:
            return event
    return None


def events_listing(events: list[Event]) -> list[str]:
    return ["Мероприятия (номер, код, название):", *(describe(e) for e in events)]


def pick_event(event_id: Optional[str | int]) -> Event:
    """The event of ``--event`` (id or code), else the single current event; exit code 2 with
    a Russian message when it is unknown or ambiguous."""
    if event_id not in (None, ""):
        event = find_event(str(event_id))
        if event is None:
            raise CommandError(f"Мероприятие «{event_id}» не найдено (ни по номеру, ни по "
                               f"коду).", events_listing(all_events()))
        return event
    events = all_events()
    if not events:
        raise CommandError("Мероприятий пока нет. Загрузите демо (flask seed-demo) или "
                           "создайте мероприятие.")
    current = [e for e in events if e.status is EventStatus.open] or events
    if len(current) > 1:
        which = "открытых мероприятий" if current[0].status is EventStatus.open \
            else "мероприятий"
        raise CommandError(f"{len(current)} {which}: укажите нужное параметром --event "
                           f"(номер или код).", events_listing(current))
    return current[0]


def pick_track(event: Event, slug: Optional[str]) -> Optional[Track]:
    """The event's track of ``--track`` (None when not given)."""
    if not slug:
        return None
    for track in event.tracks:
        if track.slug == slug:
            return track
    known = ", ".join(t.slug for t in event.tracks)
    raise click.ClickException(f"Нет трека «{slug}». Есть: {known}.")
