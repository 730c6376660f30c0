"""Command line for the workspace: ``flask --app app cluster [--track SLUG] [--event ID]``."""
from typing import Optional

import click
from flask.cli import with_appcontext

from strategy.core.commands import event_option, pick_event, pick_track
from strategy.core.errors import OperationError
from strategy.workspace.models import RunStatus
from strategy.workspace.operations import execute_run, start_run


@click.command("cluster")
@click.option("--track", "slug", help="Track slug; all tracks when omitted.")
@event_option
@with_appcontext
def cluster_command(slug: Optional[str], event_id: Optional[int]):
    """Group the published proposals into draft sections (runs synchronously)."""
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
