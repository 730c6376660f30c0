"""Command line for the downloads: ``flask --app app export --format … --out PATH``."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from strategy.core.commands import event_option, pick_event, pick_track
from strategy.export.docx import build_docx
from strategy.core.errors import OperationError
from strategy.export.drafts import load_export_data
from strategy.export.pdf import docx_to_pdf
from strategy.export.tabular import build_csv, build_json, build_polis
from strategy.export.xlsx import build_xlsx

FORMATS = ("docx", "pdf", "xlsx", "csv", "json", "polis")
TABLE_NAMES = ("proposals", "sections", "supports", "comments", "participants")


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), required=True,
              help="File to write.")
@click.option("--track", "slug", help="Only this track.")
@click.option("--table", default="proposals", type=click.Choice(TABLE_NAMES),
              show_default=True, help="Which table for --format csv.")
@click.option("--agreed-only", is_flag=True, help="DOCX or PDF from agreed sections only.")
@event_option
@with_appcontext
def export_command(fmt, out, slug, table, agreed_only, event_id):
    """Write the strategy draft (DOCX, or PDF where LibreOffice is installed) or the data
    (XLSX, CSV, JSON, Pol.is ZIP) to a file."""
    event = pick_event(event_id)
    track = pick_track(event, slug)
    if fmt in ("docx", "pdf"):
        content = build_docx(event, track, agreed_only=agreed_only)
        if fmt == "pdf":
            try:
                content = docx_to_pdf(content)
            except OperationError as error:
                raise click.ClickException(error.message)
    elif fmt == "xlsx":
        content = build_xlsx(event, track)
    else:
        data = load_export_data(event, track)
        content = {"csv": lambda: build_csv(data, table), "json": lambda: build_json(data),
                   "polis": lambda: build_polis(data)}[fmt]()
    with open(out, "wb") as handle:
        handle.write(content)
    click.echo(f"Записано: {out} ({len(content) // 1024} КБ).")


COMMANDS = [export_command]
