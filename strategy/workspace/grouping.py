"""The bridge from the database to analysis/: a track's proposals and its current sections as
the DataFrames that ``cluster_proposals`` takes. The only place that feeds the grouping."""
from __future__ import annotations

from typing import Optional

import pandas as pd
import sqlalchemy as sa

from strategy.events.models import Track
from strategy.extensions import db
from strategy.proposals.models import Proposal, ProposalStatus, analysis_text
from strategy.workspace.models import DraftSection, SectionAssignment



def clustering_frame(track: Track) -> pd.DataFrame:
    """Published proposals of a track as analysis input: id, text, votes."""
    rows = db.session.execute(
        sa.select(Proposal.id, Proposal.title, Proposal.body, Proposal.expected_result,
                  Proposal.support_count)
        .where(Proposal.track_id == track.id, Proposal.status == ProposalStatus.published)
        .order_by(Proposal.id)).all()
    return pd.DataFrame({
        "id": [r.id for r in rows],
        "text": [analysis_text(r.title, r.body, r.expected_result) for r in rows],
        "votes": [r.support_count for r in rows],
    }, columns=["id", "text", "votes"])


def previous_frame(track: Track) -> Optional[pd.DataFrame]:
    """Current sections of a track in the shape analysis' ``previous`` expects."""
    rows = db.session.execute(
        sa.select(SectionAssignment.proposal_id, DraftSection.id, DraftSection.title,
                  DraftSection.locked, SectionAssignment.pinned)
        .join(DraftSection, SectionAssignment.section_id == DraftSection.id)
        .where(DraftSection.track_id == track.id)).all()
    if not rows:
        return None
    return pd.DataFrame(rows, columns=["id", "section", "section_title", "locked", "pinned"])


def cluster_track(track: Track, random_state: int = 0, progress=None):
    """Run the analysis for one track, keeping what people fixed in the previous run;
    ``progress(stage, fraction)`` is called as it goes."""
    from analysis import cluster_proposals

    return cluster_proposals(clustering_frame(track), previous=previous_frame(track),
                             random_state=random_state, progress=progress)
