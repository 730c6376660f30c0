"""A prepared download (the DOCX draft built by the worker): its state, progress and file.
Grouping runs keep their own row (strategy.workspace.models.ClusterRun)."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional

import sqlalchemy as sa
from sqlalchemy import orm

from strategy.core.db import TimestampMixin
from strategy.extensions import db

if TYPE_CHECKING:
    from strategy.auth.models import User


class JobStatus(enum.Enum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def label(self) -> str:
        from flask_babel import gettext as _

        return {"queued": _("В очереди"), "running": _("Готовится…"), "done": _("Готово"),
                "failed": _("Ошибка"), "cancelled": _("Отменено")}[self.value]

    @property
    def active(self) -> bool:
        return self in (JobStatus.queued, JobStatus.running)


class ExportJob(TimestampMixin, db.Model):
    """One DOCX draft prepared in the background for an organiser."""

    __tablename__ = "export_jobs"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    event_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: orm.Mapped[str] = orm.mapped_column(sa.String(20), default="docx")
    params: orm.Mapped[Optional[dict[str, Any]]] = orm.mapped_column(sa.JSON)
    status: orm.Mapped[JobStatus] = orm.mapped_column(
        sa.Enum(JobStatus, native_enum=False, length=10), default=JobStatus.queued, index=True)
    progress: orm.Mapped[int] = orm.mapped_column(default=0)
    message: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    file_path: orm.Mapped[Optional[str]] = orm.mapped_column(sa.String(300))
    file_name: orm.Mapped[Optional[str]] = orm.mapped_column(sa.String(300))
    created_by_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    finished_at: orm.Mapped[Optional[datetime]] = orm.mapped_column()

    created_by: orm.Mapped[Optional["User"]] = orm.relationship()

    def __repr__(self) -> str:
        return f"<ExportJob {self.id} {self.kind} {self.status.value} {self.progress}%>"
