"""Write safety on both engines: the dot-voting budget holds under parallel clicks, a locked
SQLite database answers a clear 503 (never a 500), and our pragmas stay on our own engine."""
import sqlite3
import threading

import pytest
import sqlalchemy as sa

from strategy.extensions import db
from strategy.proposals.models import Proposal
from strategy.supports.models import Support

PARALLEL = 20
BUDGET = 5


def parallel_posts(app, code: str, urls: list[str]) -> list[int]:
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(len(urls))

    def click(url: str) -> None:
        client = app.test_client()
        client.post(f"/r/{code}")
        start.wait()
        status = client.post(url, headers={"Accept": "application/json"}).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=click, args=(url,)) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def test_twenty_parallel_supports_never_overspend_a_budget_of_five(app, event,
                                                                  create_participant,
                                                                  create_proposal):
    track = event.tracks[0]
    track.support_budget = BUDGET
    db.session.commit()
    author = create_participant(event, name="Автор")
    proposals = [create_proposal(track, author, title=f"Предложение номер {i}")
                 for i in range(PARALLEL)]
    voter = create_participant(event, name="Голосующий")
    urls = [f"/events/{event.id}/proposals/{p.id}/support" for p in proposals]
    statuses = parallel_posts(app, voter.plain_code, urls)
    assert sorted(statuses) == [302] * BUDGET + [409] * (PARALLEL - BUDGET), statuses
    db.session.expire_all()
    stored = db.session.scalar(sa.select(sa.func.count(Support.id)).where(
        Support.user_id == voter.id))
    assert stored == BUDGET
    counted = db.session.scalar(sa.select(sa.func.sum(Proposal.support_count)))
    assert counted == BUDGET


@pytest.fixture
def sqlite_path(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite locking")
    return db.engine.url.database


def test_a_locked_database_is_a_clear_503_not_a_500(app, event, create_participant,
                                                   create_proposal, sqlite_path):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    proposal = create_proposal(event.tracks[0], create_participant(event, name="Автор"))
    voter = create_participant(event)
    client = app.test_client()
    client.post(f"/r/{voter.plain_code}")
    url = f"/events/{event.id}/proposals/{proposal.id}/support"
    api_url = f"/api/v1/events/{event.id}/proposals/{proposal.id}/support"
    db.session.remove()
    db.engine.dispose()
    blocker = sqlite3.connect(sqlite_path, timeout=1)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        app.config["SQLITE_BUSY_TIMEOUT"] = 0.2
        db.engine.dispose()
        response = client.post(api_url)
        html = client.post(url)
    finally:
        blocker.rollback()
        blocker.close()
    assert response.status_code == 503
    assert "занят" in response.get_json()["message"]
    assert response.headers.get("Retry-After")
    assert html.status_code == 503 and "занят" in html.get_data(as_text=True)


def test_write_requests_take_the_write_lock_first(app, event, create_participant,
                                                  create_proposal, sqlite_path):
    """BEGIN IMMEDIATE: a write request waits for the lock at its first statement instead of
    reading a snapshot that another writer makes stale (SQLITE_BUSY_SNAPSHOT: 'locked')."""
    seen: list[str] = []

    @sa.event.listens_for(db.engine, "before_cursor_execute")
    def record(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()[:2]))

    try:
        voter = create_participant(event)
        proposal = create_proposal(event.tracks[0], create_participant(event, name="Автор"))
        client = app.test_client()
        client.post(f"/r/{voter.plain_code}")
        url = f"/events/{event.id}/proposals/{proposal.id}"
        db.session.remove()
        seen.clear()
        client.post(f"{url}/support")
        # a support reads the person, event, track and proposal first (autocommit, no
        # snapshot held) and takes the lock just before its first write (core.db.lock_late)
        first_write = next(i for i, s in enumerate(seen)
                           if s.split()[0] in ("INSERT", "UPDATE", "DELETE"))
        assert seen[first_write - 1] == "BEGIN IMMEDIATE", seen
        assert seen.count("BEGIN IMMEDIATE") == 1, seen  # no second lock to refresh after
        db.session.remove()
        seen.clear()
        client.get(url)
        assert not seen[0].startswith("BEGIN"), seen[:3]  # reads never wait for writers
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def test_sqlite_pragmas_are_bound_to_our_engine_only(app, tmp_path, sqlite_path):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    other = sa.create_engine(f"sqlite:///{tmp_path / 'someone-elses.sqlite'}")
    with other.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 0
    other.dispose()
