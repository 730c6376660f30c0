"""Command line: init-db, seed-demo, create-user, backup, restore (flask --app app ...)."""
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from strategy.auth.models import Role, User
from strategy.auth.operations import create_invitation, create_user
from strategy.core.commands import all_events, event_option, pick_event
from strategy.core.errors import OperationError
from strategy.demo import DEMO_EXPERT, DEMO_FACILITATOR, DEMO_ORGANISER, seed_demo
from strategy.events.models import Event
from strategy.events.queries import current_event
from strategy.extensions import db
from strategy.export.cli import COMMANDS as export_commands
from strategy.imports.cli import COMMANDS as import_commands
from strategy.jobs.cli import COMMANDS as job_commands
from strategy.workspace.cli import COMMANDS as workspace_commands


def upgrade_database() -> None:
    """Bring the schema to the newest migration (creates it on an empty database)."""
    upgrade()


def database_is_empty() -> bool:
    inspector = sa.inspect(db.engine)
    if not inspector.has_table("events"):
        return True
    return db.session.scalar(sa.select(sa.func.count(Event.id))) == 0


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create or upgrade the database schema through the migrations."""
    upgrade_database()
    click.echo("Схема базы данных готова.")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no event yet.")
@click.option("--password", default="demo-strategy-2026", show_default=True,
              help="Password of the demo organiser and facilitator.")
@with_appcontext
def seed_demo_command(if_empty: bool, password: str):
    """Load the demo workshop (tracks, programme, participants, proposals)."""
    upgrade_database()
    if if_empty and not database_is_empty():
        click.echo("Демо уже загружено (база не пуста).")
    else:
        seed_demo(password=password)
        click.echo("Демо-мероприятие загружено.")
    print_sign_ins(password)


def print_sign_ins(password: str) -> None:
    event = current_event()
    if event is None:
        return
    click.echo("")
    click.echo(f"  Мероприятие: {event.title}")
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/") or \
        f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
    click.echo(f"  Код для входа участников: {event.code}  ({base}/join/{event.code})")
    for account in (DEMO_ORGANISER, DEMO_FACILITATOR, DEMO_EXPERT):
        user = db.session.scalar(sa.select(User).where(User.email == account["email"]))
        if user is not None:
            click.echo(f"  {user.role.label}: {user.email} / пароль: {password}")
    click.echo("")


@click.command("create-user")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", "display_name", required=True, help="Display name.")
@click.option("--email", help="Sign-in e-mail (required for facilitators and organisers).")
@click.option("--password", help="Password (asked for when missing for staff).")
@click.option("--library", default="")
@click.option("--municipality", default="")
@event_option
@with_appcontext
def create_user_command(role, display_name, email, password, library, municipality, event_id):
    """Create an organiser, a facilitator or a participant of an event (--event, else the
    single current one)."""
    role = Role(role)
    if role is not Role.participant and not email:
        raise click.UsageError("Для модератора и организатора нужен --email.")
    event = pick_event(event_id) if event_id or all_events() else None
    if role is not Role.participant and not password:
        password = click.prompt("Пароль", hide_input=True, confirmation_prompt=True)
    try:
        user, code = create_user(display_name=display_name, role=role, email=email,
                                 password=password, event=event, library=library,
                                 municipality=municipality)
    except OperationError as error:
        raise click.ClickException(error.message)
    where = f", мероприятие {event.id} «{event.title}»" if event else ""
    click.echo(f"Создан пользователь {user.display_name} ({user.role.label}){where}.")
    if code:
        click.echo(f"Персональный код входа: {code}")


@click.command("create-invitation")
@click.option("--name", "display_name", required=True, help="Who is invited.")
@click.option("--library", default="")
@click.option("--municipality", default="")
@click.option("--email", default=None)
@click.option("--base-url", default=None,
              help="Address phones open; default PUBLIC_URL, else http://127.0.0.1:5000.")
@event_option
@with_appcontext
def create_invitation_command(display_name, library, municipality, email, base_url, event_id):
    """Print a personal invitation link to an event (--event, else the single current one);
    the link is shown only once."""
    event = pick_event(event_id)
    _invite, token = create_invitation(event, display_name=display_name, library=library,
                                       municipality=municipality, email=email)
    base_url = base_url or current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000"
    click.echo(f"Приглашение для {display_name} в «{event.title}»: "
               f"{base_url.rstrip('/')}/i/{token}")


# --- backup and restore ----------------------------------------------------------------------

def sqlite_path() -> Path:
    return Path(db.engine.url.database).resolve()


def libpq_url() -> str:
    """The database URL as pg_dump and pg_restore read it (no SQLAlchemy driver suffix)."""
    url = db.engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def integrity_of(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup API: a consistent copy while the app goes on writing (WAL)."""
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def run_postgres_tool(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise click.ClickException(
            f"{command[0]} не найден. Установите клиент PostgreSQL (apt-get install "
            f"postgresql-client) и выполните: {' '.join(command)}")
    result = subprocess.run(command, capture_output=True, text=True)  # nosec B603: fixed argv
    if result.returncode != 0:
        raise click.ClickException(f"{command[0]} завершился с ошибкой: {result.stderr.strip()}")


@click.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(out: Path):
    """Copy the whole database to OUT while the app keeps running (SQLite: online backup API;
    PostgreSQL: pg_dump in its custom format)."""
    if out.exists():
        raise click.ClickException(f"Файл {out} уже есть: выберите новое имя.")
    if db.engine.dialect.name == "postgresql":
        run_postgres_tool(["pg_dump", "--format=custom", "--no-owner", f"--file={out}",
                           libpq_url()])
        click.echo(f"Копия базы PostgreSQL сохранена в {out} (pg_dump).")
        return
    copy_sqlite(sqlite_path(), out)
    check = integrity_of(out)
    if check != "ok":
        raise click.ClickException(f"Копия повреждена: {check}")
    click.echo(f"Копия базы сохранена в {out} (проверка целостности: ok).")


@click.command("restore")
@click.argument("source", metavar="IN", type=click.Path(exists=True, dir_okay=False,
                                                         path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask: the current data is replaced.")
@with_appcontext
def restore_command(source: Path, yes: bool):
    """Replace the database with the backup IN, then bring its schema up to date. Stop the
    server first: the running app would keep writing into what is being replaced."""
    if not yes:
        click.confirm("Все текущие данные будут заменены копией. Продолжить?", abort=True)
    if db.engine.dialect.name == "postgresql":
        db.session.remove()
        db.engine.dispose()
        run_postgres_tool(["pg_restore", "--clean", "--if-exists", "--no-owner",
                           f"--dbname={libpq_url()}", str(source)])
    else:
        check = integrity_of(source)
        if check != "ok":
            raise click.ClickException(f"Копия {source} повреждена: {check}")
        db.session.remove()
        db.engine.dispose()
        copy_sqlite(source, sqlite_path())
    if sa.inspect(db.engine).has_table("alembic_version"):
        upgrade_database()  # a copy from an older version gets today's schema
    click.echo(f"База восстановлена из {source}.")


def init_app(app: Flask) -> None:
    for command in (init_db_command, seed_demo_command, create_user_command,
                    create_invitation_command, backup_command, restore_command,
                    *workspace_commands, *export_commands, *import_commands, *job_commands):
        app.cli.add_command(command)
