"""Command line for the methodical group: cluster, export, import-participants, import-proposals.
Each command works on the most recent event unless --event is given."""
from typing import Optional

import click
from flask.cli import with_appcontext

from strategy.core.errors import OperationError
from strategy.events.models import Event, Track
from strategy.events.queries import current_event
from strategy.export.docx import build_docx
from strategy.export.drafts import load_export_data
from strategy.export.tabular import build_csv, build_json, build_polis
from strategy.export.xlsx import build_xlsx
from strategy.extensions import db
from strategy.imports import operations as ops
from strategy.workspace.models import RunStatus
from strategy.workspace.operations import execute_run, start_run


def pick_event(event_id: Optional[int]) -> Event:
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


COMMANDS = [cluster_command, export_command, import_participants_command,
            import_proposals_command]
