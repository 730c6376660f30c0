"""Writes of the job queue: cancelling a grouping run, preparing a DOCX in the background,
and the bookkeeping of attempts (retry or failed with the reason, in Russian)."""
from __future__ import annotations

import logging
import secrets
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterator, Optional

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError

from strategy.auth.models import User
from strategy.core.audit import audit
from strategy.core.db import utcnow
from strategy.core.errors import OperationError, operation
from strategy.core.permissions import ensure_can_manage
from strategy.events.models import Event, Track
from strategy.export.docx import build_docx
from strategy.export.drafts import load_export_data
from strategy.extensions import db
from strategy.jobs.models import ExportJob, JobStatus
from strategy.workspace.models import ClusterRun, RunLock, RunStatus
from strategy.workspace.operations import fail_run

logger = logging.getLogger(__name__)

#: Prepared files older than this are deleted (the next preparation sweeps them).
KEEP_FILES_SECONDS = 24 * 3600


class ExportCancelled(Exception):
    """The organiser cancelled the DOCX while it was being built."""


class WorkerDied(Exception):
    """The worker's child running the job was killed (SIGKILL, the kernel's OOM killer)."""


def reason_for(error: BaseException) -> str:
    """Why an attempt failed, in words an organiser can act on."""
    name = type(error).__name__
    if isinstance(error, OperationalError):
        return _("база данных недоступна")
    if name == "JobTimeoutException":
        return _("задача шла дольше допустимого")
    if isinstance(error, MemoryError):
        return _("не хватило памяти")
    if isinstance(error, WorkerDied):
        return _("обработчик задач остановился во время работы")
    return _("внутренняя ошибка (%(name)s)", name=name)


# --------------------------------------------------------------------------- grouping runs


@operation
def cancel_run(run: ClusterRun, actor: User) -> ClusterRun:
    """Stop a queued or running grouping; sections stay as they were (a finished track's
    result stays). The worker's child is killed by the caller (strategy.jobs.queue.stop)."""
    event = db.session.get(Event, run.event_id)
    ensure_can_manage(actor, event)
    if not run.status.active:
        raise OperationError(_("Группировка уже закончилась: отменять нечего."), 409)
    run.status = RunStatus.cancelled
    run.message = _("Отменено: %(name)s остановил(а) группировку. Разделы, которые она ещё "
                    "не пересобрала, остались прежними.", name=actor.display_name)
    run.finished_at = utcnow()
    db.session.execute(sa.delete(RunLock).where(RunLock.run_id == run.id))
    audit(actor, "run_cancel", event_id=run.event_id, track_id=run.track_id,
          target_type="cluster_run", target_id=run.id)
    db.session.commit()
    return run


@operation
def requeue_run(run: ClusterRun, message: str) -> None:
    """The attempt died; the next one (RQ's retry) starts from a queued row."""
    run.status = RunStatus.queued
    run.message = message
    db.session.commit()


@operation
def fail_run_with_reason(run: ClusterRun, error: BaseException) -> None:
    if isinstance(error, WorkerDied):
        fail_run(run, worker_died_message(_("Разделы остались прежними; запустите группировку "
                                            "ещё раз.")))
    else:
        fail_run(run, _("Группировка не удалась: %(reason)s. Разделы остались прежними; "
                        "запустите её ещё раз.", reason=reason_for(error)))
    db.session.commit()


# --------------------------------------------------------------------------- DOCX


def exports_dir() -> Path:
    path = Path(current_app.config.get("EXPORTS_DIR") or
                Path(current_app.instance_path) / "exports")
    path.mkdir(parents=True, exist_ok=True)
    return path


def sweep_old_files(now: Optional[float] = None) -> int:
    """Delete prepared files older than a day; returns how many went."""
    limit = (now or time.time()) - KEEP_FILES_SECONDS
    removed = 0
    for path in exports_dir().glob("*.docx"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            pass
    return removed


def download_name(event: Event, track: Optional[Track], agreed: bool) -> str:
    stem = _("Проект стратегии") + (" " + _("(согласованное)") if agreed else "")
    parts = [stem, event.code] + ([track.slug] if track else []) + [date.today().isoformat()]
    return "-".join(parts) + ".docx"


@operation
def start_export(event: Event, track: Optional[Track], agreed: bool, actor: User) -> ExportJob:
    """Queue the DOCX draft for the worker."""
    ensure_can_manage(actor, event)
    sweep_old_files()
    job = ExportJob(event_id=event.id, kind="docx", status=JobStatus.queued, progress=0,
                    message=_("В очереди"), created_by_id=actor.id,
                    params={"track_id": track.id if track else None, "agreed": bool(agreed)})
    db.session.add(job)
    db.session.commit()
    return job


@contextmanager
def loaded_objects_kept() -> Iterator[None]:
    """Commits inside keep what the session loaded: a progress commit would otherwise expire
    the 5,000 proposals, their authors and comments just read in bulk, and the DOCX would
    load each one again with a query of its own."""
    session = db.session()
    before = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = before


def export_progress(job: ExportJob, progress: int, message: str) -> None:
    """Commit progress; a job cancelled meanwhile stops here."""
    with db.session.no_autoflush:
        status = db.session.scalar(sa.select(ExportJob.status).where(ExportJob.id == job.id))
    if status is JobStatus.cancelled:
        raise ExportCancelled()
    job.progress = progress
    job.message = message
    db.session.commit()


@operation
def build_export(export_id: int) -> Optional[ExportJob]:
    """Build the DOCX of a queued export into instance/exports/."""
    job = db.session.get(ExportJob, export_id)
    if job is None or not job.status.active:
        return job
    event = db.session.get(Event, job.event_id)
    params = job.params or {}
    track = db.session.get(Track, params["track_id"]) if params.get("track_id") else None
    job.status = JobStatus.running
    try:
        export_progress(job, 5, _("Собираем предложения, разделы и поддержки…"))
        with loaded_objects_kept():
            data = load_export_data(event, track)
            export_progress(job, 40, _("Составляем документ…"))
            content = build_docx(event, track, agreed_only=bool(params.get("agreed")),
                                 data=data)
            export_progress(job, 90, _("Сохраняем файл…"))
    except ExportCancelled:
        db.session.rollback()
        return db.session.get(ExportJob, export_id)
    path = exports_dir() / f"{job.id}-{secrets.token_hex(8)}.docx"
    path.write_bytes(content)
    job.file_path = path.name
    job.file_name = download_name(event, track, bool(params.get("agreed")))
    job.status = JobStatus.done
    job.progress = 100
    job.message = _("Готово: файл можно скачать (хранится сутки).")
    job.finished_at = utcnow()
    db.session.commit()
    return job


#: What the row says when the worker's child died under the job and no retry is left.
def worker_died_message(what: str) -> str:
    return _("Обработчик задач остановился во время работы (его процесс был завершён, "
             "например из-за нехватки памяти). %(what)s", what=what)


@operation
def export_attempt_failed(export_id: int, error: BaseException, will_retry: bool) -> None:
    job = db.session.get(ExportJob, export_id)
    if job is None or not job.status.active:
        return
    reason = reason_for(error)
    if isinstance(error, WorkerDied) and not will_retry:
        job.status = JobStatus.failed
        job.message = worker_died_message(_("Попробуйте подготовить файл ещё раз."))
        job.finished_at = utcnow()
    elif will_retry:
        job.status = JobStatus.queued
        job.message = _("Не получилось (%(reason)s); повторяем…", reason=reason)
    else:
        job.status = JobStatus.failed
        job.message = _("Не удалось подготовить файл: %(reason)s. Попробуйте ещё раз.",
                        reason=reason)
        job.finished_at = utcnow()
    db.session.commit()


@operation
def cancel_export(job: ExportJob, actor: User) -> ExportJob:
    ensure_can_manage(actor, db.session.get(Event, job.event_id))
    if not job.status.active:
        raise OperationError(_("Файл уже готов или подготовка закончилась: отменять нечего."),
                             409)
    job.status = JobStatus.cancelled
    job.message = _("Отменено.")
    job.finished_at = utcnow()
    db.session.commit()
    return job


def export_file(job: ExportJob) -> Optional[Path]:
    """The prepared file, or None when it is not ready or was swept."""
    if job.status is not JobStatus.done or not job.file_path:
        return None
    path = exports_dir() / Path(job.file_path).name
    return path if path.is_file() else None
