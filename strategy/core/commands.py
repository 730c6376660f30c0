"""What every command-line command that acts on an event shares: the ``--event`` option and
turning an event id or a track slug into the object, or a clear message."""
from __future__ import annotations

from typing import Optional

import click

from strategy.events.models import Event, Track
from strategy.events.queries import current_event
from strategy.extensions import db

event_option = click.option("--event", "event_id", type=int,
                            help="Event id (default: the most recent event).")


def pick_event(event_id: Optional[int]) -> Event:
    """The event of ``--event``, else the most recent one."""
    event = db.session.get(Event, event_id) if event_id else current_event()
    if event is None:
        if event_id:
            raise click.ClickException(f"Мероприятие с id {event_id} не найдено.")
        raise click.ClickException("Мероприятие не найдено. Загрузите демо: flask seed-demo.")
    return event


def pick_track(event: Event, slug: Optional[str]) -> Optional[Track]:
    """The event's track of ``--track`` (None when not given)."""
    if not slug:
        return None
    for track in event.tracks:
        if track.slug == slug:
            return track
    known = ", ".join(t.slug for t in event.tracks)
    raise click.ClickException(f"Нет трека «{slug}». Есть: {known}.")
