"""Read helpers for the workspace page."""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa
from sqlalchemy import orm

from strategy.events.models import Event, Track
from strategy.extensions import db
from strategy.proposals.models import Proposal, ProposalStatus
from strategy.workspace.models import ClusterRun, DraftSection, SectionAssignment, SectionEdit


def latest_run(event: Event) -> Optional[ClusterRun]:
    return db.session.scalar(sa.select(ClusterRun).where(ClusterRun.event_id == event.id)
                             .order_by(ClusterRun.id.desc()).limit(1))


def track_overview(event: Event) -> dict[int, dict[str, int]]:
    """Per track: published proposals, sections, and published proposals not yet placed."""
    published = dict(db.session.execute(
        sa.select(Proposal.track_id, sa.func.count(Proposal.id))
        .where(Proposal.event_id == event.id, Proposal.status == ProposalStatus.published)
        .group_by(Proposal.track_id)).all())
    sections = dict(db.session.execute(
        sa.select(DraftSection.track_id, sa.func.count(DraftSection.id))
        .where(DraftSection.event_id == event.id).group_by(DraftSection.track_id)).all())
    placed = dict(db.session.execute(
        sa.select(Proposal.track_id, sa.func.count(Proposal.id))
        .join(SectionAssignment, SectionAssignment.proposal_id == Proposal.id)
        .where(Proposal.event_id == event.id, Proposal.status == ProposalStatus.published)
        .group_by(Proposal.track_id)).all())
    return {t.id: {"proposals": published.get(t.id, 0), "sections": sections.get(t.id, 0),
                   "unplaced": published.get(t.id, 0) - placed.get(t.id, 0)}
            for t in event.tracks}


def recent_edits(event: Event, track: Optional[Track] = None, limit: int = 15):
    stmt = (sa.select(SectionEdit).where(SectionEdit.event_id == event.id)
            .options(orm.selectinload(SectionEdit.actor))
            .order_by(SectionEdit.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def section_in_event(event: Event, section_id: int) -> Optional[DraftSection]:
    section = db.session.get(DraftSection, section_id)
    return section if section is not None and section.event_id == event.id else None
