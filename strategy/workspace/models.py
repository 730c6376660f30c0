"""Grouping runs, draft sections of the strategy, proposal assignments and the edit log."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional

import sqlalchemy as sa
from sqlalchemy import orm

from strategy.core.db import TimestampMixin, utcnow
from strategy.extensions import db

if TYPE_CHECKING:
    from strategy.auth.models import User
    from strategy.events.models import Track
    from strategy.proposals.models import Proposal

#: Below these numbers a section is marked as built on too little data.
FEW_PROPOSALS = 3
FEW_SUPPORTS = 5


class RunStatus(enum.Enum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"  # by an organiser (strategy.jobs.operations.cancel_run)

    @property
    def label(self) -> str:
        from flask_babel import gettext as _

        return {"queued": _("В очереди"), "running": _("Идёт группировка"),
                "done": _("Готово"), "failed": _("Ошибка"),
                "cancelled": _("Отменено")}[self.value]

    @property
    def active(self) -> bool:
        return self in (RunStatus.queued, RunStatus.running)


class SectionState(enum.Enum):
    """Editorial state: черновик → на проверке → согласовано."""

    draft = "draft"
    review = "review"
    agreed = "agreed"

    @property
    def label(self) -> str:
        from flask_babel import gettext as _

        return {"draft": _("Черновик"), "review": _("На проверке"),
                "agreed": _("Согласовано")}[self.value]


class ClusterRun(TimestampMixin, db.Model):
    """One run of the grouping for a track or for all tracks (track_id NULL)."""

    __tablename__ = "cluster_runs"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    event_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    track_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("tracks.id", ondelete="CASCADE"))
    status: orm.Mapped[RunStatus] = orm.mapped_column(
        sa.Enum(RunStatus, native_enum=False, length=10), default=RunStatus.queued, index=True)
    progress: orm.Mapped[int] = orm.mapped_column(default=0)
    # The analysis stage now running (prepare, vectorize, cluster, name, duplicates, done).
    stage: orm.Mapped[Optional[str]] = orm.mapped_column(sa.String(20))
    message: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    log: orm.Mapped[Optional[list[str]]] = orm.mapped_column(sa.JSON)
    n_proposals: orm.Mapped[int] = orm.mapped_column(default=0)
    n_sections: orm.Mapped[int] = orm.mapped_column(default=0)
    started_by_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    started_at: orm.Mapped[Optional[datetime]] = orm.mapped_column()
    finished_at: orm.Mapped[Optional[datetime]] = orm.mapped_column()

    track: orm.Mapped[Optional["Track"]] = orm.relationship()
    started_by: orm.Mapped[Optional["User"]] = orm.relationship()

    def __repr__(self) -> str:
        return f"<ClusterRun {self.id} {self.status.value} {self.progress}%>"


class RunLock(db.Model):
    """A track being grouped: the primary key refuses a second concurrent run, across
    processes, where a check-then-insert would race."""

    __tablename__ = "cluster_run_locks"

    track_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True)
    run_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("cluster_runs.id", ondelete="CASCADE"), index=True)
    created_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)


class DraftSection(TimestampMixin, db.Model):
    """A section of the strategy draft; its id survives re-runs of the grouping."""

    __tablename__ = "draft_sections"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    event_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    track_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    title: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    key_terms: orm.Mapped[Optional[list[str]]] = orm.mapped_column(sa.JSON)
    summary: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    # A summary written by a person is kept; a generated one is rebuilt on each run.
    summary_edited: orm.Mapped[bool] = orm.mapped_column(default=False)
    # What the grouping said of the section at its last run (a locked section keeps it):
    # {"summary", "size", "coverage", "reason", "quotes": [{"proposal_id", "text", "author"}],
    #  "subtopics": [{"title", "proposal_ids"}], "see_also": {"<proposal id>": <section id>}}
    synthesis: orm.Mapped[Optional[dict[str, Any]]] = orm.mapped_column(sa.JSON)
    is_other: orm.Mapped[bool] = orm.mapped_column(default=False)
    locked: orm.Mapped[bool] = orm.mapped_column(default=False)
    state: orm.Mapped[SectionState] = orm.mapped_column(
        sa.Enum(SectionState, native_enum=False, length=10), default=SectionState.draft)
    state_changed_by_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    state_changed_at: orm.Mapped[Optional[datetime]] = orm.mapped_column()
    position: orm.Mapped[int] = orm.mapped_column(default=0)
    run_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("cluster_runs.id", ondelete="SET NULL"))

    track: orm.Mapped["Track"] = orm.relationship()
    state_changed_by: orm.Mapped[Optional["User"]] = orm.relationship()
    assignments: orm.Mapped[list["SectionAssignment"]] = orm.relationship(
        back_populates="section", order_by="SectionAssignment.rank",
        cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<DraftSection {self.id} {self.title[:30]!r}>"


class SectionAssignment(db.Model):
    """A proposal placed in a section; pinned when a person put it there."""

    __tablename__ = "section_assignments"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    section_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("draft_sections.id", ondelete="CASCADE"), index=True)
    proposal_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), unique=True)
    pinned: orm.Mapped[bool] = orm.mapped_column(default=False)
    representative: orm.Mapped[bool] = orm.mapped_column(default=False)
    rank: orm.Mapped[int] = orm.mapped_column(default=0)
    score: orm.Mapped[float] = orm.mapped_column(default=0.0)

    section: orm.Mapped[DraftSection] = orm.relationship(back_populates="assignments")
    proposal: orm.Mapped["Proposal"] = orm.relationship()


class SectionEdit(db.Model):
    """Who changed what in the draft: rename, move, merge, split, lock, state, run."""

    __tablename__ = "section_edits"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    event_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    section_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("draft_sections.id", ondelete="SET NULL"), index=True)
    actor_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    action: orm.Mapped[str] = orm.mapped_column(sa.String(20))
    details: orm.Mapped[Optional[dict[str, Any]]] = orm.mapped_column(sa.JSON)
    created_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow, index=True)

    actor: orm.Mapped[Optional["User"]] = orm.relationship()
    section: orm.Mapped[Optional[DraftSection]] = orm.relationship()
