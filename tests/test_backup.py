"""flask backup / restore: a copy taken while supports keep coming in is whole (integrity ok)
and holds every support acknowledged before it began; restoring it brings exactly that back."""
import sqlite3
import threading
import time

import pytest
import sqlalchemy as sa

from strategy import create_app
from strategy.extensions import db
from strategy.supports.models import Support
from tests.servers import engine_for


def supports_in(database_url: str) -> set[tuple[int, int]]:
    engine = engine_for(database_url)
    with engine.connect() as conn:
        rows = set(conn.execute(sa.text("SELECT user_id, proposal_id FROM supports")))
    engine.dispose()
    return rows


@pytest.fixture
def busy_hall(app, event, create_participant, create_proposal):
    """Five people supporting sixty proposals one after another, in threads, until stopped."""
    author = create_participant(event, name="Автор")
    proposals = [create_proposal(event.tracks[0], author, title=f"Предложение номер {i}").id
                 for i in range(60)]
    people = [create_participant(event, name=f"Участник {i}") for i in range(5)]
    acknowledged: list[tuple[float, int, int]] = []
    stop = threading.Event()
    url = f"/api/v1/events/{event.id}/proposals/{{}}/support"

    def person(user_id: int, code: str) -> None:
        client = app.test_client()
        client.post(f"/r/{code}")
        for proposal_id in proposals:
            if stop.is_set():
                return
            response = client.post(url.format(proposal_id), headers={"Accept": "application/json"})
            if response.status_code == 200:
                acknowledged.append((time.monotonic(), user_id, proposal_id))

    threads = [threading.Thread(target=person, args=(p.id, p.plain_code)) for p in people]
    for thread in threads:
        thread.start()
    yield acknowledged
    stop.set()
    for thread in threads:
        thread.join(timeout=60)


def test_backup_during_writes_is_whole_and_loses_no_acknowledged_support(app, runner, busy_hall,
                                                                       tmp_path):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the online backup API is SQLite's; PostgreSQL: see the pg_dump test")
    deadline = time.monotonic() + 120
    while len(busy_hall) < 40:
        assert time.monotonic() < deadline, "the supporters acknowledged too few supports"
        time.sleep(0.05)
    started = time.monotonic()
    before = {(user, proposal) for at, user, proposal in list(busy_hall) if at < started}
    out = tmp_path / "backup.sqlite"
    result = runner.invoke(args=["backup", str(out)])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output
    with sqlite3.connect(out) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    in_backup = supports_in(f"sqlite:///{out}")
    assert before <= in_backup, before - in_backup

    restored_db = tmp_path / "restored.sqlite"
    restored = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{restored_db}",
                           "SQLALCHEMY_ENGINE_OPTIONS": {}})
    with restored.app_context():
        outcome = restored.test_cli_runner().invoke(args=["restore", str(out), "--yes"])
        assert outcome.exit_code == 0, outcome.output
        count = db.session.scalar(sa.select(sa.func.count(Support.id)))
        db.session.remove()
        db.engine.dispose()
    assert count == len(in_backup)
    assert supports_in(f"sqlite:///{restored_db}") == in_backup


def test_backup_refuses_to_overwrite(runner, tmp_path):
    out = tmp_path / "exists.sqlite"
    out.write_text("")
    result = runner.invoke(args=["backup", str(out)])
    assert result.exit_code != 0 and "уже есть" in result.output


def test_restore_refuses_a_damaged_file(runner, tmp_path, app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite file check")
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    result = runner.invoke(args=["restore", str(broken), "--yes"])
    assert result.exit_code != 0


def test_postgresql_round_trip_with_pg_dump(app, runner, event, create_participant, tmp_path):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("pg_dump/pg_restore")
    create_participant(event, name="Сохранённый Участник")
    out = tmp_path / "backup.dump"
    result = runner.invoke(args=["backup", str(out)])
    assert result.exit_code == 0, result.output
    create_participant(event, name="После Копии")
    outcome = runner.invoke(args=["restore", str(out), "--yes"])
    assert outcome.exit_code == 0, outcome.output
    names = {row[0] for row in db.session.execute(sa.text("SELECT display_name FROM users"))}
    assert "Сохранённый Участник" in names and "После Копии" not in names
