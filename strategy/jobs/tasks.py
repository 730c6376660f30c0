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


# --------------------------------------------------------------------------- submitting


def submit_grouping(run_id: int) -> str:
    """Queue a grouping run (the workspace's «Сгруппировать»): "queue" or "thread"."""
    return queue.submit("run", run_id, "strategy.jobs.tasks.grouping_job", run_grouping,
                        "strategy.jobs.tasks.grouping_failed")


def submit_export(export_id: int) -> str:
    return queue.submit("export", export_id, "strategy.jobs.tasks.export_job", run_export,
                        "strategy.jobs.tasks.export_failed")
