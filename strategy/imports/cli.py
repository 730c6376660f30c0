"""Command line for imports: ``import-participants FILE`` and ``import-proposals FILE``.
Both validate every row first and import the valid ones in one transaction."""
from __future__ import annotations

from typing import Optional

import click
from flask.cli import with_appcontext

from strategy.core.commands import event_option, pick_event, pick_track
from strategy.core.errors import OperationError
from strategy.events.models import Event, Track
from strategy.imports import operations as ops


def run_import(kind: str, path: str, event: Event, track: Optional[Track], encoding: str,
               check_only: bool) -> None:
    """Read, validate every row, import the valid ones in one transaction, print a report."""
    with open(path, "rb") as handle:
        raw = handle.read(ops.MAX_BYTES + 1)
    try:
        table = ops.read_table(path, raw, encoding,
                               "Участники" if kind == "participants" else "Предложения")
        mapping = ops.guess_mapping(kind, table.headers, track is not None)
        report = ops.validate(kind, event, table, mapping, track)
        if not check_only:
            ops.apply(report, event)
    except OperationError as error:
        raise click.ClickException(error.message)
    if table.note:
        click.echo(table.note)
    for row in report.rejected:
        click.echo(f"  строка {row.line}: {'; '.join(row.errors)}")
    verb = "Проверено" if check_only else "Импортировано"
    click.echo(f"{verb}: {len(report.valid) if check_only else report.imported} из "
               f"{len(report.rows)} строк; с ошибками: {len(report.rejected)}.")
    for name, code in report.codes:
        click.echo(f"  {name}\t{code}")


encoding_option = click.option("--encoding", type=click.Choice(["auto", "utf-8", "cp1251"]),
                               default="auto", show_default=True)
check_option = click.option("--check", "check_only", is_flag=True,
                            help="Only validate and report; import nothing.")


@click.command("import-participants")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@encoding_option
@check_option
@event_option
@with_appcontext
def import_participants_command(path, encoding, check_only, event_id):
    """Import a participants list (CSV or XLSX); prints their personal return codes once."""
    run_import("participants", path, pick_event(event_id), None, encoding, check_only)


@click.command("import-proposals")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--track", "slug", help="Put every row into this track (else a track column).")
@encoding_option
@check_option
@event_option
@with_appcontext
def import_proposals_command(path, slug, encoding, check_only, event_id):
    """Import proposals collected before the workshop (CSV or XLSX)."""
    event = pick_event(event_id)
    run_import("proposals", path, event, pick_track(event, slug), encoding, check_only)


COMMANDS = [import_participants_command, import_proposals_command]
