"""flask create-api-token: a bearer token for a facilitator or organiser, printed once."""
import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from strategy.api.operations import create_token
from strategy.auth.models import User
from strategy.core.errors import OperationError
from strategy.extensions import db


@click.command("create-api-token")
@click.option("--email", required=True, help="Sign-in e-mail of the facilitator or organiser.")
@click.option("--name", default="командная строка", show_default=True,
              help="What the token is for, to recognise it in the list.")
@with_appcontext
def create_token_command(email: str, name: str):
    """Create an API token (only its hash is stored; the token is shown now and never again)."""
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"Пользователь с почтой {email} не найден.")
    try:
        _row, token = create_token(user, None, name)
    except OperationError as error:
        raise click.ClickException(error.message)
    click.echo(token)
