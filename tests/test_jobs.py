"""The job queue (strategy/jobs): cancelling a grouping run, the DOCX prepared in the
background, and — with a real Redis and RQ's forking worker in burst mode — retries and a
failure whose reason is stored on the run row. Redis db 12, a queue of its own per test."""
import uuid
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from rq import Queue, Worker

from strategy.auth.models import Role
from strategy.extensions import db
from strategy.jobs import operations as job_ops
from strategy.jobs import queue, tasks
from strategy.jobs.models import ExportJob, JobStatus
from strategy.workspace import operations as ops
from strategy.workspace.models import ClusterRun, DraftSection, RunLock, RunStatus

REDIS_URL = "redis://127.0.0.1:6379/12"


def redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(autouse=True)
def own_exports_dir(app, tmp_path):
    app.config["EXPORTS_DIR"] = str(tmp_path / "exports")


@pytest.fixture
def filled(event, create_participant, create_proposal):
    author = create_participant(event, name="Автор предложений")
    track = event.tracks[0]
    titles = ["Клуб настольных игр для подростков", "Игротека по выходным в библиотеке",
              "Курсы цифровой грамотности для пожилых", "Помощь с госуслугами в читальном зале"]
    return [create_proposal(track, author, title=t, body=t + " — подробности и план.")
            for t in titles]


@pytest.fixture
def queue_on_redis(app):
    """Jobs go to a real RQ queue of their own (not the in-process thread)."""
    if not redis_up():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    name = f"test-jobs-{uuid.uuid4().hex[:10]}"
    app.config.update(REDIS_URL=REDIS_URL, JOBS_IN_PROCESS=False, JOBS_QUEUE=name)
    connection = redis.Redis.from_url(REDIS_URL)
    yield connection, name
    for key in connection.scan_iter(f"*{name}*"):
        connection.delete(key)


def burst(connection, name):
    """RQ's forking worker, as `flask worker --burst` runs it: every queued job, then return."""
    Worker([Queue(name, connection=connection)], connection=connection).work(burst=True)
    db.session.expire_all()


# --------------------------------------------------------------------------- cancel


def test_organiser_cancels_a_queued_run_and_the_worker_skips_it(client, auth, event, organiser,
                                                                filled):
    auth.as_staff(organiser)
    run = ops.start_run(event, event.tracks[0], organiser)
    response = client.post(f"/events/{event.id}/manage/workspace/runs/{run.id}/cancel")
    assert response.status_code == 302
    db.session.expire_all()
    run = db.session.get(ClusterRun, run.id)
    assert run.status is RunStatus.cancelled
    assert "Отменено" in run.message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RunLock)) == 0
    tasks.run_grouping(run.id)  # the worker reaches it afterwards: nothing happens
    db.session.expire_all()
    assert db.session.get(ClusterRun, run.id).status is RunStatus.cancelled
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DraftSection)) == 0
    page = client.get(f"/events/{event.id}/manage/workspace").get_data(as_text=True)
    assert "Отменено" in page
    # a finished run cannot be cancelled: a Russian message, nothing changes
    again = client.post(f"/events/{event.id}/manage/workspace/runs/{run.id}/cancel",
                        headers={"Accept": "application/json"})
    assert again.status_code == 409
    assert "отменять нечего" in again.get_json()["message"]


def test_a_run_cancelled_while_it_goes_stops_at_its_next_step(event, organiser, filled,
                                                             monkeypatch):
    run = ops.start_run(event, event.tracks[0], organiser)
    real = ops.group_track

    def group_then_get_cancelled(track, current, **options):
        result = real(track, current, **options)
        with db.engine.begin() as other:  # the organiser's click, from another connection
            other.execute(sa.update(ClusterRun).where(ClusterRun.id == current.id)
                          .values(status="cancelled"))
        return result

    monkeypatch.setattr(ops, "group_track", group_then_get_cancelled)
    tasks.run_grouping(run.id)
    db.session.expire_all()
    assert db.session.get(ClusterRun, run.id).status is RunStatus.cancelled


def test_cancel_button_is_on_the_panel_of_an_active_run(client, auth, event, organiser, filled):
    auth.as_staff(organiser)
    run = ops.start_run(event, event.tracks[0], organiser)
    page = client.get(f"/events/{event.id}/manage/workspace").get_data(as_text=True)
    assert f"/workspace/runs/{run.id}/cancel" in page and "Отменить" in page


def test_only_organisers_cancel(event, organiser, filled, create_staff):
    from strategy.core.errors import OperationError

    run = ops.start_run(event, event.tracks[0], organiser)
    facilitator = create_staff(role=Role.facilitator, email="hub@example.org")
    with pytest.raises(OperationError) as refused:
        job_ops.cancel_run(run, facilitator)
    assert refused.value.status == 403
    assert db.session.get(ClusterRun, run.id).status is RunStatus.queued


# --------------------------------------------------------------------------- DOCX job


def test_docx_is_prepared_then_downloaded(client, auth, event, organiser, filled, app):
    auth.as_staff(organiser)
    response = client.post(f"/events/{event.id}/manage/export/strategy.docx/prepare",
                           data={"track": ""}, headers={"Accept": "application/json"})
    assert response.status_code == 202
    job_id = response.get_json()["data"]["id"]
    status = wait_for_export(client, event, job_id)
    assert status["status"] == "done" and status["progress"] == 100
    page = client.get(f"/events/{event.id}/manage/export/jobs/{job_id}").get_data(as_text=True)
    assert "Скачать DOCX" in page
    download = client.get(status["file_url"])
    assert download.status_code == 200
    assert download.data[:2] == b"PK"
    assert "attachment" in download.headers["Content-Disposition"]
    # the file is swept after a day; the page then says so and offers to prepare it again
    job = db.session.get(ExportJob, job_id)
    assert job_ops.sweep_old_files(now=2**40) == 1
    gone = client.get(f"/events/{event.id}/manage/export/jobs/{job_id}/file")
    assert gone.status_code == 410
    assert "хранятся сутки" in gone.get_data(as_text=True)
    assert job.file_path


def wait_for_export(client, event, job_id):
    import time

    for _ in range(300):
        body = client.get(f"/events/{event.id}/manage/export/jobs/{job_id}",
                          headers={"Accept": "application/json"}).get_json()["data"]
        if not body["active"]:
            return body
        time.sleep(0.1)
    raise AssertionError("the export never finished")


def test_big_events_prepare_the_docx_small_ones_download_it(client, auth, event, organiser,
                                                            filled, app):
    auth.as_staff(organiser)
    small = client.get(f"/events/{event.id}/manage/export").get_data(as_text=True)
    assert 'data-download="docx"' in small and "strategy.docx/prepare" not in small
    app.config["DOCX_PREPARE_FROM"] = 1
    big = client.get(f"/events/{event.id}/manage/export").get_data(as_text=True)
    assert "strategy.docx/prepare" in big and "Подготовить DOCX" in big
    # the direct download keeps working for everyone who links to it
    assert client.get(f"/events/{event.id}/manage/export/strategy.docx").status_code == 200


def test_a_cancelled_export_leaves_no_file(event, organiser, filled):
    job = job_ops.start_export(event, None, False, organiser)
    job_ops.cancel_export(job, organiser)
    job_ops.build_export(job.id)
    db.session.expire_all()
    job = db.session.get(ExportJob, job.id)
    assert job.status is JobStatus.cancelled and job.file_path is None


# --------------------------------------------------------------------------- on Redis (RQ)


def test_on_redis_a_run_is_done_by_the_worker(client, auth, event, organiser, filled,
                                              queue_on_redis):
    connection, name = queue_on_redis
    auth.as_staff(organiser)
    response = client.post(f"/events/{event.id}/manage/workspace/runs",
                           data={"track": "all"}, headers={"Accept": "application/json"})
    assert response.status_code == 202
    run_id = response.get_json()["data"]["id"]
    assert Queue(name, connection=connection).count == 1  # waiting in Redis, not in a thread
    assert db.session.get(ClusterRun, run_id).status is RunStatus.queued
    burst(connection, name)
    run = db.session.get(ClusterRun, run_id)
    assert run.status is RunStatus.done and run.progress == 100
    assert run.n_proposals == 4


def test_on_redis_a_failing_job_is_retried_then_failed_with_the_reason(event, organiser, filled,
                                                                      queue_on_redis, app,
                                                                      monkeypatch):
    connection, name = queue_on_redis
    attempts = Path(app.instance_path) / f"{name}.attempts"

    def broken(run_id):
        with attempts.open("a") as log:  # the forked child's memory is gone after it ends
            log.write("x")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(tasks, "execute_run", broken)
    run_id = ops.start_run(event, event.tracks[0], organiser).id
    with app.test_request_context():
        assert tasks.submit_grouping(run_id) == "queue"
    burst(connection, name)
    run = db.session.get(ClusterRun, run_id)
    assert attempts.read_text() == "xx"  # the first attempt and one retry
    attempts.unlink()
    assert run.status is RunStatus.failed
    assert run.message.startswith("Группировка не удалась: внутренняя ошибка (RuntimeError)")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RunLock)) == 0


def test_on_redis_a_job_that_failed_once_succeeds_on_retry(event, organiser, filled,
                                                          queue_on_redis, app, monkeypatch):
    connection, name = queue_on_redis
    marker = Path(app.instance_path) / f"{name}.failed-once"
    real = tasks.execute_run

    def flaky(run_id):
        if not marker.exists():
            marker.write_text("1")
            raise ConnectionError("the database went away")
        return real(run_id)

    monkeypatch.setattr(tasks, "execute_run", flaky)
    run_id = ops.start_run(event, event.tracks[0], organiser).id
    with app.test_request_context():
        tasks.submit_grouping(run_id)
    burst(connection, name)
    marker.unlink()
    assert db.session.get(ClusterRun, run_id).status is RunStatus.done


def test_on_redis_a_queued_docx_is_built_by_the_worker(client, auth, event, organiser, filled,
                                                       queue_on_redis):
    connection, name = queue_on_redis
    auth.as_staff(organiser)
    response = client.post(f"/events/{event.id}/manage/export/strategy.docx/prepare",
                           data={"agreed": ""})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Готовится…" in page and 'http-equiv="refresh"' in page and "Отменить" in page
    burst(connection, name)
    job = db.session.scalar(sa.select(ExportJob))
    assert job.status is JobStatus.done
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Скачать DOCX" in page and "refresh" not in page
    assert client.get(f"/events/{event.id}/manage/export/jobs/{job.id}/file").data[:2] == b"PK"


def test_on_redis_cancelling_a_queued_export_takes_it_off_the_queue(client, auth, event,
                                                                    organiser, filled,
                                                                    queue_on_redis):
    connection, name = queue_on_redis
    auth.as_staff(organiser)
    response = client.post(f"/events/{event.id}/manage/export/strategy.docx/prepare", data={})
    job = db.session.scalar(sa.select(ExportJob))
    assert Queue(name, connection=connection).count == 1
    client.post(f"/events/{event.id}/manage/export/jobs/{job.id}/cancel")
    assert Queue(name, connection=connection).count == 0
    burst(connection, name)
    db.session.expire_all()
    assert db.session.get(ExportJob, job.id).status is JobStatus.cancelled
    assert "Отменено" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_postgresql_urls_are_accepted_as_written(tmp_path):
    from strategy import database_url

    assert database_url("postgresql://u:p@db:5432/s") == "postgresql+psycopg://u:p@db:5432/s"
    assert database_url("postgres://u@db/s") == "postgresql+psycopg://u@db/s"
    assert database_url("postgresql+psycopg://u@db/s") == "postgresql+psycopg://u@db/s"
    assert database_url("sqlite:///x.sqlite") == "sqlite:///x.sqlite"


def test_on_redis_cancel_kills_the_workers_child_running_the_run(event, organiser, filled,
                                                                 queue_on_redis, app,
                                                                 monkeypatch):
    """«Отменить» while the worker's child is in the middle of the run: the child is stopped
    (RQ's stop command), the row says cancelled, the lock is gone."""
    import threading
    import time

    connection, name = queue_on_redis

    def slow(run_id):
        run = db.session.get(ClusterRun, run_id)
        run.status = RunStatus.running
        db.session.commit()
        time.sleep(60)  # a long grouping; the stop command ends it long before

    monkeypatch.setattr(tasks, "execute_run", slow)
    run_id = ops.start_run(event, event.tracks[0], organiser).id
    organiser_id = organiser.id
    with app.test_request_context():
        tasks.submit_grouping(run_id)

    def organiser_clicks_cancel():
        from strategy.auth.models import User

        with app.app_context():
            for _ in range(300):
                status = db.session.scalar(sa.select(ClusterRun.status)
                                           .where(ClusterRun.id == run_id))
                if status is RunStatus.running:
                    break
                db.session.rollback()
                time.sleep(0.1)
            job_ops.cancel_run(db.session.get(ClusterRun, run_id),
                               db.session.get(User, organiser_id))
            time.sleep(0.5)  # the worker must see the job as started in Redis
            queue.stop("run", run_id)
            db.session.remove()

    clicker = threading.Thread(target=organiser_clicks_cancel)
    clicker.start()
    burst(connection, name)
    clicker.join(timeout=30)
    from rq.job import Job

    with app.test_request_context():
        job = Job.fetch(queue.job_id("run", run_id), connection=connection)
    assert job.get_status(refresh=True).value == "stopped"  # killed, not run to its end
    run = db.session.get(ClusterRun, run_id)
    assert run.status is RunStatus.cancelled
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RunLock)) == 0
