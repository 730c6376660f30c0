"""Command line for the methodical group: cluster, export, import-participants, import-proposals.
Each command works on the most recent event unless --event is given."""
from typing import Optional

import click
from flask.cli import with_appcontext

from strategy.core.errors import OperationError
from strategy.events.models import Event, Track


def pick_event(event_id: Optional[int]) -> Event:
    from strategy.events.queries import current_event
    from strategy.extensions import db

    event = db.session.get(Event, event_id) if event_id else current_event()
    if event is None:
        raise click.ClickException("Мероприятие не найдено. Загрузите демо: flask seed-demo.")
    return event


def pick_track(event: Event, slug: Optional[str]) -> Optional[Track]:
    if not slug:
        return None
    for track in event.tracks:
        if track.slug == slug:
            return track
    known = ", ".join(t.slug for t in event.tracks)
    raise click.ClickException(f"Нет трека «{slug}». Есть: {known}.")


event_option = click.option("--event", "event_id", type=int, help="Event id (default: latest).")


@click.command("cluster")
@click.option("--track", "slug", help="Track slug; all tracks when omitted.")
@event_option
@with_appcontext
def cluster_command(slug: Optional[str], event_id: Optional[int]):
    """Group the published proposals into draft sections (runs synchronously)."""
    from strategy.workspace.models import RunStatus
    from strategy.workspace.operations import execute_run, start_run

    event = pick_event(event_id)
    track = pick_track(event, slug)
    try:
        run = start_run(event, track, None)
    except OperationError as error:
        raise click.ClickException(error.message)
    run = execute_run(run.id)
    for line in run.log or []:
        click.echo(f"  {line}")
    click.echo(run.message)
    if run.status is RunStatus.failed:
        raise SystemExit(1)


COMMANDS = [cluster_command]
