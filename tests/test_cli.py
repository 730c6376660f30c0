"""The command line: init-db, seed-demo, create-user; and migrations that match the models."""
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from strategy.auth.models import Role, User
from strategy.events.models import Event
from strategy.extensions import db
from strategy.proposals.models import Proposal
from strategy.supports.models import Support


def drop_everything() -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    else:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


def test_init_db_runs_migrations_that_match_the_models(app, runner):
    drop_everything()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Схема базы данных готова." in result.output
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_seed_demo_loads_the_workshop_and_prints_sign_ins(app, runner):
    drop_everything()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "BAIKAL26" in result.output and "metod@strategy.demo" in result.output
    event = db.session.scalar(sa.select(Event))
    assert [t.title for t in event.tracks] == [
        "Гений места", "Большой проект. Расширение Вселенной", "Библиотека – социальный хаб",
        "Центры развития людей и территорий"]
    assert db.session.scalar(sa.select(sa.func.count(Proposal.id))) >= 40
    assert db.session.scalar(sa.select(sa.func.count(Support.id))) > 100
    days = {item.starts_at.date() for item in event.schedule}
    assert len(days) == 3
    # Counters match the rows they count.
    for proposal in db.session.scalars(sa.select(Proposal)):
        assert proposal.support_count == db.session.scalar(sa.select(sa.func.count(
            Support.id)).where(Support.proposal_id == proposal.id))
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "Демо уже загружено" in again.output
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 1


def test_create_user_roles(app, runner, event):
    result = runner.invoke(args=["create-user", "--role", "organiser", "--name", "Ольга",
                                 "--email", "Olga@Example.org", "--password", "secret-pass-1"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "olga@example.org"))
    assert user.role is Role.organiser and user.check_password("secret-pass-1")
    participant = runner.invoke(args=["create-user", "--role", "participant", "--name", "Иван"])
    assert participant.exit_code == 0 and "Персональный код входа" in participant.output
    duplicate = runner.invoke(args=["create-user", "--role", "facilitator", "--name", "Двойник",
                                    "--email", "olga@example.org", "--password", "x-pass-123"])
    assert duplicate.exit_code != 0 and "уже есть" in duplicate.output
    missing = runner.invoke(args=["create-user", "--role", "facilitator", "--name", "Без почты"])
    assert missing.exit_code != 0


def test_staff_sign_in_with_password(client, create_staff):
    staff = create_staff(Role.organiser)
    wrong = client.post("/login", data={"email": staff.email, "password": "nope"})
    assert wrong.status_code == 401
    assert "Неверная почта или пароль." in wrong.get_data(as_text=True)
    right = client.post("/login", data={"email": staff.email.upper(), "password": "test-password-1"})
    assert right.status_code == 302
