"""The job queue: RQ on Redis (REDIS_URL), or a thread of this process when there is no Redis.

RQ was chosen over Dramatiq because a job's state lives in Redis where any process can read and
stop it (``Job.fetch``, ``send_stop_job_command``: the organiser's «Отменить»), each job runs in
a forked child of the worker (a grouping that exhausts memory or hangs takes only its child with
it, and the worker kills it on cancel or time-out), and it needs no broker set-up beyond the
Redis the live updates and rate limits already use. Dramatiq's actors are faster for many small
messages, which is not our load: a few long jobs an hour.

The in-process fallback (``JOBS_IN_PROCESS``, set in tests, or Redis unreachable) is today's
thread: it works on one machine but dies with its web worker.
"""
from __future__ import annotations

import logging
from typing import Callable, Optional

import redis
from flask import Flask, current_app
from rq import Callback, Queue, Retry, Worker
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job

from strategy.workspace.runner import launch

logger = logging.getLogger(__name__)

#: A failed job is tried this many more times before its row is marked failed.
RETRIES = 1
#: Longer than any grouping or DOCX we have measured (5,000 proposals: seconds, not minutes).
JOB_TIMEOUT = 30 * 60


def redis_connection(app: Optional[Flask] = None) -> Optional[redis.Redis]:
    """The queue's Redis, or None for the in-process fallback (no REDIS_URL, tests, or down)."""
    app = app or current_app
    url = app.config.get("REDIS_URL")
    in_process = app.config.get("JOBS_IN_PROCESS")
    if in_process is None:
        in_process = app.testing
    if not url or in_process:
        return None
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=30)
    try:
        client.ping()
    except (redis.RedisError, OSError):
        logger.warning("Redis at %s is unreachable: jobs run in a thread of this process", url)
        return None
    return client


def queue_name(app: Optional[Flask] = None) -> str:
    return (app or current_app).config.get("JOBS_QUEUE", "strategy")


def job_id(kind: str, object_id: int) -> str:
    """RQ job id of a run or export row (prefixed by the queue: tests share one Redis)."""
    return f"{queue_name()}-{kind}-{object_id}"


def submit(kind: str, object_id: int, job: str, in_thread: Callable[[int], object],
           on_failure: str) -> str:
    """Queue ``job(object_id)`` (a dotted path) on Redis; without Redis run ``in_thread`` in a
    thread. Returns "queue" or "thread"."""
    app = current_app._get_current_object()
    connection = redis_connection(app)
    if connection is None:
        launch(app, in_thread, object_id)
        return "thread"
    Queue(queue_name(app), connection=connection).enqueue(
        job, object_id, job_id=job_id(kind, object_id), job_timeout=JOB_TIMEOUT,
        retry=Retry(max=RETRIES), on_failure=Callback(on_failure),
        result_ttl=24 * 3600, failure_ttl=7 * 24 * 3600, description=f"{kind} {object_id}")
    return "queue"


def stop(kind: str, object_id: int) -> None:
    """Take a queued job off the queue, or kill the worker's child running it."""
    connection = redis_connection()
    if connection is None:
        return  # the thread notices the cancelled row at its next progress step
    try:
        job = Job.fetch(job_id(kind, object_id), connection=connection)
    except NoSuchJobError:
        return
    status = job.get_status(refresh=True)
    try:
        if status is not None and status.value == "started":
            send_stop_job_command(connection, job.id)
        elif status is not None and status.value in ("queued", "deferred", "scheduled"):
            job.cancel()
    except (InvalidJobOperation, redis.RedisError):
        logger.warning("could not stop job %s", job.id, exc_info=True)


def workers_listening(connection: redis.Redis) -> int:
    return len(Worker.all(connection=connection, queue=Queue(queue_name(), connection=connection)))


#: What job_fate answers.
WAITING = "waiting"      # on the queue, and a worker listens to it: the queue is just long
RUNNING = "running"      # a worker whose heartbeat is alive is running it
NO_WORKER = "no_worker"  # on the queue, but no worker listens: nobody will run it
LOST = "lost"            # gone from Redis, over, or started by a worker that is dead
UNKNOWN = "unknown"      # no Redis (the thread fallback), or Redis did not answer


def job_fate(kind: str, object_id: int) -> str:
    """Whether a run's or export's RQ job will still end by itself: the difference between a
    long queue and a job that nobody will ever run (RQ's job status and worker registry: a
    worker's key lives only while its heartbeat goes on)."""
    connection = redis_connection()
    if connection is None:
        return UNKNOWN
    try:
        try:
            job = Job.fetch(job_id(kind, object_id), connection=connection)
        except NoSuchJobError:
            return LOST
        status = job.get_status(refresh=True)
        value = status.value if status is not None else None
        if value in ("queued", "deferred", "scheduled"):
            return WAITING if workers_listening(connection) else NO_WORKER
        if value == "started":
            name = job.worker_name
            alive = name and Worker.find_by_key(Worker.redis_worker_namespace_prefix + name,
                                                connection=connection) is not None
            return RUNNING if alive else LOST
        return LOST  # finished, failed, stopped or cancelled while the row says otherwise
    except redis.RedisError:
        logger.warning("could not ask Redis about %s %s", kind, object_id, exc_info=True)
        return UNKNOWN


def parse_job_id(rq_job_id: str) -> Optional[tuple[str, int]]:
    """(kind, object id) of one of our job ids ("<queue>-run-12"), or None."""
    head, _, number = rq_job_id.rpartition("-")
    kind = head.rpartition("-")[2]
    if not number.isdigit() or kind not in ("run", "export"):
        return None
    return kind, int(number)
