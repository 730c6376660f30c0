"""Listing and searching proposals."""
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import orm

from strategy.auth.models import User
from strategy.events.models import Track
from strategy.extensions import db
from strategy.proposals.models import Proposal, ProposalKind, ProposalStatus, fold_for_search
from strategy.review.models import ANSWER_FILTERS, AnswerState, OfficialAnswer

SORTS = ("support", "new", "discussed")


@dataclass
class ListFilters:
    """What the participant chose above the list; unknown values fall back to defaults."""

    kind: str = ""
    municipality: str = ""
    q: str = ""
    sort: str = "support"
    page: int = 1
    answer: str = ""  # an official answer's state, "none" for proposals without an answer

    @classmethod
    def from_args(cls, args) -> "ListFilters":
        kind = args.get("kind", "")
        answer = args.get("answer", "")
        sort = args.get("sort", "support")
        try:
            page = max(1, min(int(args.get("page", 1)), 10_000))
        except ValueError:
            page = 1
        return cls(kind=kind if kind in {k.value for k in ProposalKind} else "",
                   municipality=args.get("municipality", "")[:120],
                   q=args.get("q", "")[:200].strip(),
                   sort=sort if sort in SORTS else "support", page=page,
                   answer=answer if answer in ANSWER_FILTERS else "")


def search_terms(query: str) -> list[str]:
    """Stemmed query words; each must occur in the stored stems (a prefix search per word)."""
    return fold_for_search(query).split()[:8]


def answer_condition(answer: str):
    """Proposals with an official answer in this state; "none": those without an answer."""
    if answer == "none":
        return Proposal.id.not_in(sa.select(OfficialAnswer.proposal_id))
    return Proposal.id.in_(sa.select(OfficialAnswer.proposal_id).where(
        OfficialAnswer.state == AnswerState(answer)))


def proposals_query(track: Track, filters: ListFilters):
    stmt = (sa.select(Proposal)
            .where(Proposal.track_id == track.id, Proposal.status == ProposalStatus.published)
            .options(orm.selectinload(Proposal.author)))  # one query for all cards' authors
    if filters.kind:
        stmt = stmt.where(Proposal.kind == ProposalKind(filters.kind))
    if filters.municipality:
        stmt = stmt.join(User, Proposal.author_id == User.id).where(
            User.municipality == filters.municipality, User.consent_public_affiliation.is_(True))
    if filters.answer:
        stmt = stmt.where(answer_condition(filters.answer))
    for term in search_terms(filters.q):
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Proposal.search_text.like(f"%{escaped}%", escape="\\"))
    order = {
        "support": (Proposal.support_count.desc(), Proposal.id.desc()),
        "new": (Proposal.id.desc(),),
        "discussed": (Proposal.comment_count.desc(), Proposal.id.desc()),
    }[filters.sort]
    return stmt.order_by(Proposal.is_pinned.desc(), *order)


def municipalities(track: Track) -> list[str]:
    rows = db.session.scalars(
        sa.select(User.municipality).join(Proposal, Proposal.author_id == User.id)
        .where(Proposal.track_id == track.id, Proposal.status == ProposalStatus.published,
               User.consent_public_affiliation.is_(True), User.municipality != "")
        .distinct())
    return sorted(rows)
