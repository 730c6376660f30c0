"""The job functions the worker runs (and the thread fallback): they call the existing
workspace and export operations and keep the run's or export's row up to date."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from strategy.extensions import db
from strategy.jobs import operations as ops
from strategy.jobs import queue
from strategy.workspace.models import ClusterRun, RunStatus
from strategy.workspace.operations import RunCancelled, execute_run

logger = logging.getLogger(__name__)


@contextmanager
def worker_context() -> Iterator[None]:
    """Inside the worker's forked child: a fresh app context and no connection of the parent
    (a pooled connection shared across fork would interleave two processes' traffic)."""
    app = current_app._get_current_object()
    with app.app_context(), force_locale(app.config.get("BABEL_DEFAULT_LOCALE", "ru")):
        db.engine.dispose(close=False)
        try:
            yield
        finally:
            db.session.remove()


# --------------------------------------------------------------------------- grouping


def run_grouping(run_id: int) -> None:
    """Execute a queued run. A run left «running» by an attempt that died (its worker child
    was killed) is queued again first: this is the retry."""
    run = db.session.get(ClusterRun, run_id)
    if run is None or not run.status.active:
        return  # cancelled before the worker reached it, or already finished
    if run.status is RunStatus.running:
        ops.requeue_run(run, _("Повторная попытка после сбоя обработчика задач…"))
    try:
        execute_run(run_id)
    except RunCancelled:
        db.session.rollback()


def grouping_job(run_id: int) -> None:
    """RQ entry point of a grouping run."""
    with worker_context():
        run_grouping(run_id)


def grouping_failed(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback: retried (the row waits again) or marked failed with the reason."""
    with worker_context():
        run = db.session.get(ClusterRun, int(job.args[0]))
        if run is None or not run.status.active:
            return
        if (job.retries_left or 0) > 0:
            ops.requeue_run(run, _("Не получилось (%(reason)s); повторяем…",
                                   reason=ops.reason_for(exc_value)))
        else:
            ops.fail_run_with_reason(run, exc_value)


# --------------------------------------------------------------------------- DOCX


def run_export(export_id: int) -> None:
    """The thread fallback: no RQ callback, so a failure is recorded here (no retry)."""
    try:
        ops.build_export(export_id)
    except Exception as error:  # noqa: BLE001  (recorded with its reason, then logged)
        logger.exception("export %s failed", export_id)
        ops.export_attempt_failed(export_id, error, will_retry=False)


def export_job(export_id: int) -> None:
    """RQ entry point of a prepared DOCX."""
    with worker_context():
        ops.build_export(export_id)


def export_failed(job, connection, exc_type, exc_value, traceback) -> None:
    with worker_context():
        ops.export_attempt_failed(int(job.args[0]), exc_value, (job.retries_left or 0) > 0)


# --------------------------------------------------------------------------- a dead child


def horse_killed(job, retpid, ret_val, rusage) -> None:
    """The worker's handler for a child that died under a job (SIGKILL, the OOM killer): no
    failure callback runs then, and the row would say «running» until the stale timeout. RQ
    queues the job again right after this while retries remain: the row says so; otherwise
    it is failed with the reason. Runs in the worker's own process (`flask worker`)."""
    parsed = queue.parse_job_id(job.id)
    if parsed is None:
        return
    kind, object_id = parsed
    will_retry = bool(job.should_retry)
    error = ops.WorkerDied(f"waitpid returned {ret_val}")
    app = current_app._get_current_object()
    try:
        with app.app_context(), force_locale(app.config.get("BABEL_DEFAULT_LOCALE", "ru")):
            try:
                if kind == "export":
                    ops.export_attempt_failed(object_id, error, will_retry)
                    return
                run = db.session.get(ClusterRun, object_id)
                if run is None or not run.status.active:
                    return
                if will_retry:
                    ops.requeue_run(run, _("Обработчик задач остановился во время работы; "
                                           "повторяем…"))
                else:
                    ops.fail_run_with_reason(run, error)
            finally:
                db.session.remove()
                db.engine.dispose()  # the next child must not inherit this connection
    except Exception:  # noqa: BLE001  (the worker must go on with the next job)
        logger.exception("could not record the death of job %s", job.id)


# --------------------------------------------------------------------------- submitting


def submit_grouping(run_id: int) -> str:
    """Queue a grouping run (the workspace's «Сгруппировать»): "queue" or "thread"."""
    return queue.submit("run", run_id, "strategy.jobs.tasks.grouping_job", run_grouping,
                        "strategy.jobs.tasks.grouping_failed")


def submit_export(export_id: int) -> str:
    return queue.submit("export", export_id, "strategy.jobs.tasks.export_job", run_export,
                        "strategy.jobs.tasks.export_failed")
