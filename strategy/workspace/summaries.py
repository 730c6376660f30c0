"""Generated section summaries: plain functions of a section's proposals (no writes)."""
from __future__ import annotations

from flask_babel import gettext as _

from strategy.core.templating import count_word
from strategy.core.typography import nest_quotes  # titles quoted inside «…» get „…“
from strategy.proposals.models import Proposal, ProposalStatus
from strategy.workspace.models import DraftSection

N_SUMMARY_TITLES = 3


def make_summary(section: DraftSection) -> str:
    """A short summary from the most representative proposals of the section."""
    members = [a for a in section.assignments
               if a.proposal.status is ProposalStatus.published]
    chosen = sorted(members, key=lambda a: (not a.representative, -a.score, a.proposal_id))
    return compose_summary([a.proposal for a in chosen])


def compose_summary(proposals: list[Proposal]) -> str:
    """Count, the most characteristic titles and the first sentence of the first of them
    (key terms are shown beside the summary, so they are not repeated in it)."""
    if not proposals:
        return ""
    titles = [p.title.strip().rstrip(".") for p in proposals[:N_SUMMARY_TITLES]]
    quoted = ", ".join(f"«{t}»" for t in titles)
    text = _("В разделе %(count)s. Наиболее характерные: %(titles)s.",
             count=count_word(len(proposals), "предложение", "предложения", "предложений",
                              "proposal", "proposals"), titles=quoted)
    first = first_sentence(proposals[0].body)
    return nest_quotes(f"{text} {first}" if first else text)


def first_sentence(text: str, limit: int = 240) -> str:
    text = " ".join((text or "").split())
    for mark in (". ", "! ", "? "):
        if mark in text[:limit]:
            return text[: text.index(mark, 0, limit) + 1]
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"
