"""`flask --app app event …`: an event as a JSON file, and its states from the command line.

Problems with input exit with code 2 and a Russian message on stderr; nothing is written.
"""
import json
import sys
from pathlib import Path

import click
import sqlalchemy as sa

from strategy.auth.models import Role, User
from strategy.core.commands import all_events, describe, find_event, pick_event
from strategy.core.errors import OperationError
from strategy.events.models import Event
from strategy.events.operations import FieldError, change_event_status, parse_day
from strategy.extensions import db
from strategy.programme import bp
from strategy.programme.operations import EventFileError, import_event, read_event_file
from strategy.programme.queries import event_file

USAGE_ERROR = 2


def fail(message: str, problems=()) -> None:
    click.echo(f"Ошибка: {message}", err=True)
    for problem in problems:
        click.echo(f"  - {problem}", err=True)
    sys.exit(USAGE_ERROR)


def acting_organiser(email) -> User:
    """Commands act as an organiser (the audit log names them): --by, or the first organiser
    of the whole installation (of no single event), else the first one."""
    query = sa.select(User).where(User.role == Role.organiser)
    if email:
        query = query.where(User.email == email.strip().lower())
    user = db.session.scalar(query.order_by(User.event_id.is_not(None), User.id).limit(1))
    if user is None:
        fail("организатор не найден: создайте его командой create-user --role organiser.")
    return user


def the_event(event_id, *, required: bool = False) -> Event:
    """The event of --event (its id or its code); without it, the single current event for
    reading, and for a change of state no guess at all."""
    if event_id in (None, ""):
        if required:
            fail("укажите мероприятие: --event (номер или код).",
                 [describe(e) for e in all_events()])
        return pick_event(None)
    event = find_event(event_id)
    if event is None:
        fail(f"мероприятие «{event_id}» не найдено (ни по номеру, ни по коду).",
             [describe(e) for e in all_events()])
    return event


EVENT = click.option("--event", "event_id", metavar="ID|КОД",
                     help="Event id or code (export: default the single current event).")


BY = click.option("--by", "by_email", default=None,
                  help="E-mail of the organiser the action is recorded under.")


@bp.cli.command("export")
@EVENT
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), required=True)
def export_command(event_id: str, out: str):
    """Write the event's settings, tracks and programme as JSON."""
    data = event_file(the_event(event_id))
    try:
        Path(out).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n",
                             encoding="utf-8")
    except OSError as error:
        fail(f"файл {out} не записан ({error.strerror}).")
    click.echo(f"Файл мероприятия записан: {out}")


@bp.cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--shift-to", "shift_to", default=None, help="New first day, YYYY-MM-DD.")
@click.option("--code", default=None, help="Another event code.")
@BY
def import_command(path: str, shift_to, code, by_email):
    """Create a draft event from an event file (as «copy as template» does)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        fail(f"файл {path} не читается ({error.strerror}).")
    try:
        start = parse_day(shift_to, "shift_to") if shift_to else None
        event = import_event(acting_organiser(by_email), read_event_file(raw), shift_to=start,
                             code=code)
    except EventFileError as error:
        fail("файл мероприятия не принят, ничего не записано.", error.problems)
    except FieldError as error:
        fail(f"--{error.field.replace('_', '-')}: {error.message}")
    except OperationError as error:
        fail(error.message)
    click.echo(f"Создано мероприятие {event.id} «{event.title}» (черновик), код {event.code}.")


def status_command(action: str, done: str):
    @EVENT
    @BY
    def command(event_id: str, by_email):
        try:
            change_event_status(the_event(event_id, required=True), acting_organiser(by_email),
                                action)
        except OperationError as error:
            fail(error.message)
        click.echo(done)

    command.__doc__ = f"{action.capitalize()} the event."
    return bp.cli.command(action)(command)


status_command("open", "Мероприятие открыто.")
status_command("finish", "Мероприятие завершено.")
status_command("archive", "Мероприятие перенесено в архив.")
