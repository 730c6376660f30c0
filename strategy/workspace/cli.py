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


FORMATS = ("docx", "xlsx", "csv", "json", "polis")
TABLE_NAMES = ("proposals", "sections", "supports", "comments", "participants")


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), required=True,
              help="File to write.")
@click.option("--track", "slug", help="Only this track.")
@click.option("--table", default="proposals", type=click.Choice(TABLE_NAMES),
              show_default=True, help="Which table for --format csv.")
@click.option("--agreed-only", is_flag=True, help="DOCX from agreed sections only.")
@event_option
@with_appcontext
def export_command(fmt, out, slug, table, agreed_only, event_id):
    """Write the strategy draft (DOCX) or the data (XLSX, CSV, JSON, Pol.is ZIP) to a file."""
    from strategy.export.docx import build_docx
    from strategy.export.drafts import load_export_data
    from strategy.export.tabular import build_csv, build_json, build_polis
    from strategy.export.xlsx import build_xlsx

    event = pick_event(event_id)
    track = pick_track(event, slug)
    if fmt == "docx":
        content = build_docx(event, track, agreed_only=agreed_only)
    elif fmt == "xlsx":
        content = build_xlsx(event, track)
    else:
        data = load_export_data(event, track)
        content = {"csv": lambda: build_csv(data, table), "json": lambda: build_json(data),
                   "polis": lambda: build_polis(data)}[fmt]()
    with open(out, "wb") as handle:
        handle.write(content)
    click.echo(f"Записано: {out} ({len(content) // 1024} КБ).")


COMMANDS = [cluster_command, export_command]
