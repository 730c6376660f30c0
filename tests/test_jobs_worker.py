"""The real processes: gunicorn queues a grouping run on Redis, is killed, and `flask worker`
(started only afterwards) finishes it; «Отменить» on a queued run keeps the worker off it; a
worker's child killed under a job is retried, then the row fails with the reason; a quiet run
in a long queue waits, one that no worker will take is failed.
Skipped without Redis on 127.0.0.1:6379 (db 12, a queue of its own per test)."""
import os
import re
import signal
import subprocess
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import redis
import requests
import sqlalchemy as sa

from tests.servers import BIN, DEMO_PASSWORD, ROOT, engine_for, seed, serve, server_env

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
    engine = engine_for(database_url)
    with engine.connect() as conn:
        event_id = conn.execute(sa.text("SELECT min(id) FROM events")).scalar()
    engine.dispose()
    return event_id


def run_row(database_url: str, run_id: int) -> dict:
    engine = engine_for(database_url)
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


# --- a dead child, a long queue, a queue nobody serves ----------------------------------------

def killed_child_job(object_id: int) -> None:
    """Queued in place of the real job function: the worker's child notes the attempt and
    dies under the job with SIGKILL, as the kernel's OOM killer would kill it."""
    attempts = Path(os.environ["FLASK_EXPORTS_DIR"])
    attempts.mkdir(parents=True, exist_ok=True)
    (attempts / f"attempt-{object_id}-{uuid.uuid4().hex}").touch()
    os.kill(os.getpid(), signal.SIGKILL)


def jobs_app(database_url: str, env: dict):
    from strategy import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "jobs-test",
                       "TESTING": True, "REDIS_URL": env["REDIS_URL"],
                       "JOBS_QUEUE": env["FLASK_JOBS_QUEUE"], "JOBS_IN_PROCESS": False,
                       "EXPORTS_DIR": env["FLASK_EXPORTS_DIR"]})


def export_row(database_url: str, export_id: int) -> dict:
    engine = engine_for(database_url)
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT status, message FROM export_jobs WHERE id = :id"),
                           {"id": export_id}).mappings().one()
    engine.dispose()
    return dict(row)


def test_a_killed_worker_child_is_retried_then_the_export_fails_with_the_reason(
        tmp_path, jobs_env):
    from strategy.extensions import db
    from strategy.jobs import queue, tasks
    from strategy.jobs.models import ExportJob, JobStatus

    database_url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    seed(database_url)
    app = jobs_app(database_url, jobs_env)
    with app.app_context():
        export = ExportJob(event_id=first_event(database_url), kind="docx",
                           status=JobStatus.queued, progress=0, message="В очереди",
                           params={"track_id": None, "agreed": False})
        db.session.add(export)
        db.session.commit()
        export_id = export.id
        assert queue.submit("export", export_id, "tests.test_jobs_worker.killed_child_job",
                            tasks.run_export, "strategy.jobs.tasks.export_failed") == "queue"
    worker = run_worker(database_url, jobs_env, tmp_path)
    assert worker.returncode == 0, worker.stderr[-2000:]
    attempts = list(Path(jobs_env["FLASK_EXPORTS_DIR"]).glob(f"attempt-{export_id}-*"))
    assert len(attempts) == 1 + queue.RETRIES  # the first death was retried
    row = export_row(database_url, export_id)
    assert row["status"] == "failed", row
    assert row["message"].startswith("Обработчик задач остановился во время работы"), row


def backdate_run(database_url: str, run_id: int, minutes: int) -> None:
    engine = engine_for(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE cluster_runs SET updated_at = :t WHERE id = :id"),
                     {"t": datetime.utcnow() - timedelta(minutes=minutes), "id": run_id})
    engine.dispose()


def queue_quiet_run(app, database_url: str) -> tuple[int, int]:
    """A run queued on Redis whose row has not moved for 20 minutes (more than STALE_AFTER)."""
    from strategy.extensions import db
    from strategy.events.models import Event
    from strategy.jobs import tasks
    from strategy.workspace.operations import start_run

    event_id = first_event(database_url)
    with app.app_context():
        run = start_run(db.session.get(Event, event_id), None, None)
        assert tasks.submit_grouping(run.id) == "queue"
        run_id = run.id
    backdate_run(database_url, run_id, 20)
    return event_id, run_id


def release(app, event_id: int) -> None:
    from strategy.extensions import db
    from strategy.events.models import Event
    from strategy.workspace.operations import release_stale_locks

    with app.app_context():
        release_stale_locks(db.session.get(Event, event_id))


def test_a_quiet_run_waiting_in_a_long_queue_is_not_failed(tmp_path, jobs_env):
    """A worker is alive (its heartbeat key is in Redis) but busy — here stopped with
    SIGSTOP — so the run waits on the queue beyond the stale limit: it stays queued, and the
    worker runs it once it goes on."""
    database_url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    seed(database_url)
    app = jobs_app(database_url, jobs_env)
    connection = redis.Redis.from_url(REDIS_URL)
    worker = subprocess.Popen([str(BIN / "flask"), "worker"], cwd=ROOT,
                              env={**server_env(database_url), **jobs_env},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from rq import Queue, Worker

        for _ in range(600):  # up to 60 s for the worker to register
            if Worker.all(queue=Queue(jobs_env["FLASK_JOBS_QUEUE"], connection=connection)):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the worker never registered")
        os.kill(worker.pid, signal.SIGSTOP)
        try:
            event_id, run_id = queue_quiet_run(app, database_url)
            release(app, event_id)
            assert run_row(database_url, run_id)["status"] == "queued"
        finally:
            os.kill(worker.pid, signal.SIGCONT)
        for _ in range(1200):  # up to 120 s for the grouping
            if run_row(database_url, run_id)["status"] not in ("queued", "running"):
                break
            time.sleep(0.1)
        assert run_row(database_url, run_id)["status"] == "done"
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)


def test_a_quiet_run_that_no_worker_will_take_is_failed_and_taken_off_the_queue(
        tmp_path, jobs_env):
    database_url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    seed(database_url)
    app = jobs_app(database_url, jobs_env)
    event_id, run_id = queue_quiet_run(app, database_url)
    queue_key = f"rq:queue:{jobs_env['FLASK_JOBS_QUEUE']}"
    assert len(redis.Redis.from_url(REDIS_URL).lrange(queue_key, 0, -1)) == 1
    release(app, event_id)
    row = run_row(database_url, run_id)
    assert row["status"] == "failed" and "обработчик задач не запущен" in row["message"], row
    assert len(redis.Redis.from_url(REDIS_URL).lrange(queue_key, 0, -1)) == 0
