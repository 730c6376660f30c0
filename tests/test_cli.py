"""The command line: init-db, seed-demo, create-user; and migrations that match the models."""
import io

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from docx import Document

from strategy import demo_content
from strategy.auth.models import Role, User
from strategy.comments.models import Comment, Stance
from strategy.discussion.models import DraftReview, ReviewScope
from strategy.events.models import Event
from strategy.extensions import db
from strategy.proposals.models import Proposal
from strategy.supports.models import Support
from strategy.export.docx import build_docx
from strategy.export.drafts import load_export_data
from strategy.export.method import method_paragraphs
from strategy.workspace.models import (ClusterRun, DraftSection, RunStatus, SectionAssignment,
                                       SectionEdit, SectionState)
from tests.servers import drop_postgres_schema


def drop_everything() -> None:
    if db.engine.dialect.name == "postgresql":
        drop_postgres_schema(db.engine)
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


def test_seed_demo_loads_the_workshop_and_prints_sign_ins(app, runner, client):
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
    check_the_demo_draft_came_from_grouping(event)
    check_the_demo_workspace_shows_the_subtopics(client, event)
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "Демо уже загружено" in again.output
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 1


def section_of(index: int) -> DraftSection:
    """The demo's section holding PROPOSALS[index] (proposals were created in that order)."""
    proposal = db.session.scalars(sa.select(Proposal).order_by(Proposal.id)).all()[index]
    return db.session.scalars(sa.select(DraftSection).join(SectionAssignment).where(
        SectionAssignment.proposal_id == proposal.id)).one()


def check_the_demo_draft_came_from_grouping(event) -> None:
    """The demo's draft is what real grouping runs and the group's edits left (one seed for
    the whole check: seeding runs the grouping and takes seconds)."""
    work = demo_content.GROUP_WORK
    runs = db.session.scalars(sa.select(ClusterRun).order_by(ClusterRun.id)).all()
    assert [r.status for r in runs] == [RunStatus.done] * (1 + len(work["rerun"]))
    assert runs[0].track_id is None and runs[0].n_proposals == len(demo_content.PROPOSALS)
    # Every published proposal is in a section of the last grouping of its track; none empty.
    sections = db.session.scalars(sa.select(DraftSection)).all()
    assert all(s.run_id is not None and s.assignments for s in sections)
    placed = db.session.scalar(sa.select(sa.func.count(SectionAssignment.id)))
    assert placed == len(demo_content.PROPOSALS)
    # The group's edits went through the workspace's operations, by two people.
    edits = db.session.scalars(sa.select(SectionEdit)).all()
    actions = [e.action for e in edits]
    assert actions.count("run") == len(demo_content.TRACKS) + len(work["rerun"])
    assert actions.count("merge") >= 1 and actions.count("move") >= 1
    assert actions.count("split") == len(work["split"])
    assert actions.count("rename") >= 3 and actions.count("lock") == len(work["lock"])
    assert len({e.actor_id for e in edits if e.action != "run"}) == 2
    for anchor, title in work["rename"]:
        assert section_of(anchor).title == title
    assert {s.id for s in sections if s.locked} == {section_of(i).id for i in work["lock"]}
    agreed = {s.id for s in sections if s.state is SectionState.agreed}
    assert agreed == {section_of(i).id for i in work["agreed"]}
    # One section of more than 12 proposals with two or three subtopics of its own members,
    # proposals naming partners, and comments for and against.
    big = [s for s in sections if len(s.assignments) > 12]
    assert big, "no section of the demo has more than 12 proposals"
    members = {a.proposal_id for a in big[0].assignments}
    subtopics = big[0].synthesis["subtopics"]
    assert 2 <= len(subtopics) <= 3 and all(t["title"] for t in subtopics)
    assert all(set(t["proposal_ids"]) <= members for t in subtopics)
    assert sum(1 for a in big[0].assignments if a.proposal.partners) >= 10
    stances = set(db.session.scalars(sa.select(Comment.stance).where(
        Comment.proposal_id.in_(members))))
    assert {Stance.for_, Stance.against} <= stances
    # The agreed sections are published, with supports and comments.
    review = db.session.scalar(sa.select(DraftReview))
    assert review.scope is ReviewScope.agreed
    assert {s.section_id for s in review.visible_sections} == agreed
    # The method note counts what happened.
    note = " ".join(method_paragraphs(load_export_data(event), agreed_only=False))
    assert f"Группировка запускалась {len(runs)} раза" in note
    assert f"закреплений — {len(work['lock'])}" in note
    assert f"согласовано — {len(work['agreed'])}" in note
    assert "вручную не правила" not in note


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


def check_the_demo_workspace_shows_the_subtopics(client, event) -> None:
    """Signed in as the demo's organiser: the big section's subtopics in the workspace, on
    the board and in the draft's DOCX."""
    sign_in = client.post("/login", data={"email": "metod@strategy.demo",
                                          "password": "demo-strategy-2026"})
    assert sign_in.status_code == 302
    big = next(s for s in db.session.scalars(sa.select(DraftSection))
               if len(s.assignments) > 12)
    titles = [t["title"] for t in big.synthesis["subtopics"]]
    base = f"/events/{event.id}/manage/workspace"
    page = client.get(f"{base}?track={big.track.slug}").get_data(as_text=True)
    block = page[page.index(f'id="section-{big.id}"'):]
    block = block[:block.index("</article>")]
    assert "data-subtopics" in block and all(title in block for title in titles)
    board = client.get(f"{base}/board?track={big.track.slug}&fragment=1").get_data(as_text=True)
    assert f'data-column-subtopics="{len(titles)}"' in board
    document = Document(io.BytesIO(build_docx(event, agreed_only=True)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert big.title in text and all(title in text for title in titles)


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
