"""The real processes: gunicorn queues a grouping run on Redis, is killed, and `flask worker`
(started only afterwards) finishes it; «Отменить» on a queued run keeps the worker off it.
Skipped without Redis on 127.0.0.1:6379 (db 12, a queue of its own per test)."""
import os
import re
import signal
import subprocess
import uuid
from pathlib import Path

import pytest
import redis
import requests
import sqlalchemy as sa

from tests.servers import BIN, DEMO_PASSWORD, ROOT, seed, serve, server_env

REDIS_URL = "redis://127.0.0.1:6379/12"
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@pytest.fixture
def jobs_env(tmp_path):
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    name = f"test-worker-{uuid.uuid4().hex[:10]}"
    yield {"REDIS_URL": REDIS_URL, "FLASK_JOBS_QUEUE": name,
           "FLASK_RATELIMIT_KEY_PREFIX": name, "FLASK_EXPORTS_DIR": str(tmp_path / "exports")}
    connection = redis.Redis.from_url(REDIS_URL)
    for key in connection.scan_iter(f"*{name}*"):
        connection.delete(key)


def token(html: str) -> str:
    return TOKEN.search(html).group(1)


def sign_in_organiser(base: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base}/login", timeout=30).text
    response = browser.post(f"{base}/login", timeout=30, allow_redirects=False, data={
        "csrf_token": token(page), "email": "metod@strategy.demo", "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.text[:500]
    return browser


def first_event(database_url: str) -> int:
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        event_id = conn.execute(sa.text("SELECT min(id) FROM events")).scalar()
    engine.dispose()
    return event_id


def run_row(database_url: str, run_id: int) -> dict:
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT status, progress, message FROM cluster_runs "
                                   "WHERE id = :id"), {"id": run_id}).mappings().one()
    engine.dispose()
    return dict(row)


def queue_run(base: str, browser: requests.Session, event_id: int) -> int:
    page = browser.get(f"{base}/events/{event_id}/manage/workspace", timeout=30).text
    response = browser.post(f"{base}/events/{event_id}/manage/workspace/runs", timeout=30,
                            data={"csrf_token": token(page), "track": "all"},
                            headers={"Accept": "application/json", "X-CSRFToken": token(page)})
    assert response.status_code == 202, response.text[:500]
    return response.json()["data"]["id"]


def kill_server(process: subprocess.Popen) -> None:
    """SIGKILL the gunicorn master and its workers, as a crash or an OOM kill would."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    for pid in [process.pid, *map(int, children)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait(timeout=10)


def run_worker(database_url: str, env: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "flask"), "worker", "--burst"], cwd=ROOT,
                          env={**server_env(database_url), **env}, timeout=300,
                          capture_output=True, text=True)


def test_a_run_finishes_after_the_web_server_that_queued_it_was_killed(tmp_path, jobs_env):
    database_url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    seed(database_url)
    event_id = first_event(database_url)
    started = []
    with serve(database_url, tmp_path, workers=2, on_start=started.append, name="web",
               env=jobs_env) as base:
        run_id = queue_run(base, sign_in_organiser(base), event_id)
        kill_server(started[0])
    assert run_row(database_url, run_id)["status"] == "queued"  # nobody ran it in the web server
    worker = run_worker(database_url, jobs_env, tmp_path)
    assert worker.returncode == 0, worker.stderr[-2000:]
    row = run_row(database_url, run_id)
    assert row["status"] == "done" and row["progress"] == 100, row
    assert row["message"].startswith("Готово")
    # a new web server reports it like any other run
    with serve(database_url, tmp_path, workers=1, name="web-again", env=jobs_env) as base:
        browser = sign_in_organiser(base)
        status = browser.get(f"{base}/events/{event_id}/manage/workspace/runs/{run_id}",
                             headers={"Accept": "application/json"}, timeout=30).json()
        assert status["data"]["status"] == "done"


def test_a_queued_run_cancelled_by_the_organiser_is_never_executed(tmp_path, jobs_env):
    database_url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    seed(database_url)
    event_id = first_event(database_url)
    with serve(database_url, tmp_path, workers=1, name="web", env=jobs_env) as base:
        browser = sign_in_organiser(base)
        run_id = queue_run(base, browser, event_id)
        page = browser.get(f"{base}/events/{event_id}/manage/workspace", timeout=30).text
        assert f"/workspace/runs/{run_id}/cancel" in page and "Отменить" in page
        response = browser.post(f"{base}/events/{event_id}/manage/workspace/runs/{run_id}/cancel",
                                data={"csrf_token": token(page)}, timeout=30)
        assert response.status_code == 200 and "Группировка отменена" in response.text
    assert len(redis.Redis.from_url(REDIS_URL).lrange(f"rq:queue:{jobs_env['FLASK_JOBS_QUEUE']}",
                                                       0, -1)) == 0
    worker = run_worker(database_url, jobs_env, tmp_path)
    assert worker.returncode == 0, worker.stderr[-2000:]
    row = run_row(database_url, run_id)
    assert row["status"] == "cancelled" and "Отменено" in row["message"], row
