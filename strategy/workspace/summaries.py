"""Generated section summaries: plain functions of a section's proposals (no writes)."""
from __future__ import annotations

from strategy.proposals.models import ProposalStatus
from strategy.workspace.models import DraftSection
from strategy.workspace.queries import generated_summary


def make_summary(section: DraftSection) -> str:
    """A third-person summary of the section's current members (the grouping's own while the
    members are those it saw; else built from the key terms), never a copied sentence."""
    members = [a for a in section.assignments
               if a.proposal.status is ProposalStatus.published]
    chosen = sorted(members, key=lambda a: (not a.representative, -a.score, a.proposal_id))
    return generated_summary(section, [a.proposal for a in chosen])
