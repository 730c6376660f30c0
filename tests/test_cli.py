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


# --- --event on every command that acts on an event ------------------------------------------

import json  # noqa: E402

import pytest  # noqa: E402

from strategy.auth.models import Invitation  # noqa: E402
from strategy.events.models import EventStatus  # noqa: E402
from strategy.workspace.models import ClusterRun  # noqa: E402

PEOPLE_CSV = "ФИО;Библиотека;Муниципалитет\nАнна Петрова;ЦБС Тулуна;Тулун\n"
PROPOSALS_CSV = ("Название;Текст;Трек\nКлуб краеведов;Встречи со старожилами каждый месяц "
                 "в читальном зале.;genius-loci\n")


@pytest.fixture
def two_events(create_event):
    first = create_event(code="ONE26", title="Первая сессия")
    second = create_event(code="TWO26", title="Вторая сессия")
    return first, second


def command_for(name: str, tmp_path) -> list[str]:
    """The command line of each command that acts on an event, without --event."""
    people, proposals = tmp_path / "people.csv", tmp_path / "proposals.csv"
    people.write_text(PEOPLE_CSV, encoding="utf-8")
    proposals.write_text(PROPOSALS_CSV, encoding="utf-8")
    return {
        "cluster": ["cluster", "--track", "genius-loci"],
        "export": ["export", "--format", "json", "--out", str(tmp_path / "out.json")],
        "import-participants": ["import-participants", str(people)],
        "import-proposals": ["import-proposals", str(proposals)],
        "create-user": ["create-user", "--role", "participant", "--name", "Иван Кузнецов"],
        "create-invitation": ["create-invitation", "--name", "Олег Петров"],
        "event export": ["event", "export", "--out", str(tmp_path / "event.json")],
        "event finish": ["event", "finish"],
    }[name]


def acted_on(name: str, tmp_path) -> set[int]:
    """Which events the command wrote into (or, for the exports, wrote out)."""
    if name == "cluster":
        return set(db.session.scalars(sa.select(ClusterRun.event_id)))
    if name == "export":
        path = tmp_path / "out.json"
        return {json.loads(path.read_text())["event"]["id"]} if path.exists() else set()
    if name == "event export":
        path = tmp_path / "event.json"
        if not path.exists():
            return set()
        code = json.loads(path.read_text())["code"]
        return {db.session.scalar(sa.select(Event.id).where(Event.code == code))}
    if name in ("import-participants", "create-user"):
        return set(db.session.scalars(sa.select(User.event_id).where(
            User.role == Role.participant)))
    if name == "import-proposals":
        return set(db.session.scalars(sa.select(Proposal.event_id)))
    if name == "create-invitation":
        return set(db.session.scalars(sa.select(Invitation.event_id)))
    if name == "event finish":
        return set(db.session.scalars(sa.select(Event.id).where(
            Event.status == EventStatus.finished)))
    raise AssertionError(name)


COMMANDS = ["cluster", "export", "import-participants", "import-proposals", "create-user",
            "create-invitation", "event export", "event finish"]


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_refuses_to_guess_between_two_open_events(app, runner, two_events,
                                                               create_staff, name, tmp_path):
    create_staff(Role.organiser, email="metod@example.org")
    result = runner.invoke(args=command_for(name, tmp_path))
    assert result.exit_code == 2, result.output
    if name == "event finish":  # a change of state is never guessed, even with one event
        assert "Ошибка: укажите мероприятие: --event (номер или код)." in result.output
    else:
        assert "2 открытых мероприятий: укажите нужное параметром --event" in result.output
    for event in two_events:
        assert f"{event.id}  {event.code}  «{event.title}»" in result.output
    db.session.expire_all()
    assert acted_on(name, tmp_path) == set()


@pytest.mark.parametrize("name", COMMANDS)
@pytest.mark.parametrize("by", ["id", "code", "typed code"])
def test_each_command_takes_the_event_by_id_or_code(app, runner, two_events, create_staff,
                                                    name, by, tmp_path):
    create_staff(Role.organiser, email="metod@example.org")
    first, _second = two_events
    value = {"id": str(first.id), "code": first.code, "typed code": " one-26 "}[by]
    result = runner.invoke(args=command_for(name, tmp_path) + ["--event", value])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert acted_on(name, tmp_path) == {first.id}


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_refuses_an_unknown_event(app, runner, two_events, create_staff, name,
                                               tmp_path):
    create_staff(Role.organiser, email="metod@example.org")
    for value in ("999", "NOPE26"):
        result = runner.invoke(args=command_for(name, tmp_path) + ["--event", value])
        assert result.exit_code == 2, result.output
        assert f"Ошибка: мероприятие «{value}» не найдено".lower() in result.output.lower()
        assert "ONE26" in result.output and "TWO26" in result.output
    db.session.expire_all()
    assert acted_on(name, tmp_path) == set()


@pytest.mark.parametrize("name", [n for n in COMMANDS if n != "event finish"])
def test_without_event_the_single_open_one_is_used(app, runner, two_events, create_staff,
                                                   name, tmp_path):
    """One event open and one finished: the open one is the current event, as before."""
    create_staff(Role.organiser, email="metod@example.org")
    first, second = two_events
    second.status = EventStatus.finished
    db.session.commit()
    result = runner.invoke(args=command_for(name, tmp_path))
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert acted_on(name, tmp_path) - {second.id} == {first.id}


def test_several_events_none_open_is_ambiguous_too(app, runner, two_events):
    for event in two_events:
        event.status = EventStatus.finished
    db.session.commit()
    result = runner.invoke(args=["create-invitation", "--name", "Олег Петров"])
    assert result.exit_code == 2
    assert "2 мероприятий: укажите нужное параметром --event" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0


def test_create_user_attaches_staff_to_the_named_event(app, runner, two_events):
    _first, second = two_events
    result = runner.invoke(args=["create-user", "--role", "facilitator", "--name", "Ольга",
                                 "--email", "olga@example.org", "--password", "secret-pass-1",
                                 "--event", "TWO26"])
    assert result.exit_code == 0, result.output
    assert "«Вторая сессия»" in result.output
    user = db.session.scalar(sa.select(User).where(User.email == "olga@example.org"))
    assert user.event_id == second.id


def test_a_change_of_state_names_its_event_even_when_there_is_one(app, runner, event,
                                                                   create_staff):
    create_staff(Role.organiser, email="metod@example.org")
    result = runner.invoke(args=["event", "archive"])
    assert result.exit_code == 2
    assert "укажите мероприятие: --event" in result.output and event.code in result.output
    db.session.expire_all()
    assert db.session.get(Event, event.id).status is EventStatus.open
    assert runner.invoke(args=["event", "archive", "--event", event.code]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(Event, event.id).status is EventStatus.archived
