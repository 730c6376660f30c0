"""Reads of the review domain that pages, the API and the exports share."""
import math
from dataclasses import dataclass, field
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import orm

from strategy.auth.models import User
from strategy.core.templating import to_event_time
from strategy.events.models import Event, Track
from strategy.extensions import db
from strategy.proposals.models import Proposal, ProposalStatus
from strategy.review.models import (ASSESSED_KINDS, AnswerState, Assessment, OfficialAnswer,
                                    expert_tracks)
from strategy.review.operations import criteria_of

SUMMARY_SORTS = ("mean", "count", "spread", "track")


@dataclass
class Figures:
    """A proposal's assessments in numbers: how many, the mean, the spread."""

    count: int = 0
    mean: Optional[float] = None
    low: Optional[float] = None
    high: Optional[float] = None
    std: Optional[float] = None
    per_criterion: dict[str, float] = field(default_factory=dict)

    @property
    def spread(self) -> Optional[float]:
        return None if self.low is None else self.high - self.low


def figures_of(assessments: list[Assessment], keys: list[str]) -> Figures:
    means = [m for m in (a.mean(keys) for a in assessments) if m is not None]
    if not means:
        return Figures(count=len(assessments))
    mean = sum(means) / len(means)
    std = math.sqrt(sum((m - mean) ** 2 for m in means) / len(means))
    per = {}
    for key in keys:
        values = [a.scores[key] for a in assessments if isinstance(a.scores.get(key), int)]
        if values:
            per[key] = sum(values) / len(values)
    return Figures(count=len(means), mean=mean, low=min(means), high=max(means), std=std,
                   per_criterion=per)


def assessments_by_proposal(event: Event) -> dict[int, list[Assessment]]:
    rows = db.session.scalars(sa.select(Assessment).where(Assessment.event_id == event.id)
                              .options(orm.selectinload(Assessment.expert))
                              .order_by(Assessment.id))
    grouped: dict[int, list[Assessment]] = {}
    for row in rows:
        grouped.setdefault(row.proposal_id, []).append(row)
    return grouped


def event_figures(event: Event) -> dict[int, Figures]:
    """Figures per proposal id, for every proposal that has an assessment."""
    keys = [c["key"] for c in criteria_of(event)]
    return {pid: figures_of(rows, keys) for pid, rows in assessments_by_proposal(event).items()}


def assessed_proposals(event: Event, tracks: list[Track]) -> list[Proposal]:
    """The published projects and ideas of these tracks, by track and then newest first."""
    if not tracks:
        return []
    order = {t.id: t.position for t in tracks}
    rows = db.session.scalars(
        sa.select(Proposal).where(Proposal.event_id == event.id,
                                  Proposal.track_id.in_(list(order)),
                                  Proposal.status == ProposalStatus.published,
                                  Proposal.kind.in_(ASSESSED_KINDS))
        .options(orm.selectinload(Proposal.track)).order_by(Proposal.id.desc()))
    return sorted(rows, key=lambda p: order[p.track_id])


def expert_worklist(event: Event, expert: User) -> tuple[list[Proposal], dict[int, Assessment]]:
    """What an expert goes through, and their own assessments by proposal id."""
    proposals = assessed_proposals(event, expert_tracks(expert, event))
    own = {a.proposal_id: a for a in db.session.scalars(sa.select(Assessment).where(
        Assessment.event_id == event.id, Assessment.expert_id == expert.id))}
    return proposals, own


def own_assessment(proposal: Proposal, user) -> Optional[Assessment]:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(sa.select(Assessment).where(
        Assessment.proposal_id == proposal.id, Assessment.expert_id == user.id))


def proposal_assessments(proposal: Proposal) -> list[Assessment]:
    return list(db.session.scalars(sa.select(Assessment).where(
        Assessment.proposal_id == proposal.id).options(orm.selectinload(Assessment.expert))
        .order_by(Assessment.id)))


def visible_assessments(proposal: Proposal, user) -> tuple[Optional[Assessment], list]:
    """The viewer's own assessment, and the ones they may see (all of them only for the
    methodical group, and for an expert who has given their own)."""
    own = own_assessment(proposal, user)
    if Assessment.can_see_all(user, proposal, own):
        return own, proposal_assessments(proposal)
    return own, [own] if own else []


def summary_rows(event: Event, sort: str = "mean", track: Optional[Track] = None,
                 answer: str = ""):
    """The methodical group's table: every assessed proposal with its figures and answer;
    ``answer`` keeps those answered in that state ("none": not answered yet)."""
    tracks = [track] if track else event.active_tracks
    proposals = assessed_proposals(event, tracks)
    figures = event_figures(event)
    answers = answers_for([p.id for p in proposals])
    rows = [(p, figures.get(p.id, Figures()), answers.get(p.id)) for p in proposals]
    if answer == "none":
        rows = [r for r in rows if r[2] is None]
    elif answer:
        rows = [r for r in rows if r[2] is not None and r[2].state.value == answer]
    if sort == "count":
        rows.sort(key=lambda r: (-r[1].count, -(r[1].mean or 0)))
    elif sort == "spread":
        rows.sort(key=lambda r: (r[1].spread is None, -(r[1].spread or 0)))
    elif sort == "mean":
        rows.sort(key=lambda r: (r[1].mean is None, -(r[1].mean or 0), -r[1].count))
    return rows


def answer_of(proposal: Proposal) -> Optional[OfficialAnswer]:
    return db.session.scalar(sa.select(OfficialAnswer).where(
        OfficialAnswer.proposal_id == proposal.id))


def answers_for(proposal_ids) -> dict[int, OfficialAnswer]:
    ids = list(proposal_ids)
    if not ids:
        return {}
    return {a.proposal_id: a for a in db.session.scalars(sa.select(OfficialAnswer).where(
        OfficialAnswer.proposal_id.in_(ids)))}


def answer_filter_choices() -> list[tuple[str, str]]:
    from flask_babel import gettext as _

    return [(s.value, s.label) for s in AnswerState] + [("none", _("Без ответа"))]


def summary_table(event: Event, track: Optional[Track] = None) -> tuple[list[str], list[list]]:
    """The sheet «Экспертиза»: one row per assessed proposal (the CSV, the XLSX export), of
    one track when it is given."""
    from flask_babel import gettext as _

    criteria = criteria_of(event)
    header = [_("№"), _("Трек"), _("Тип"), _("Название"), _("Оценок"), _("Средняя"),
              _("Минимум"), _("Максимум"), _("Стандартное отклонение")] + [
        c["title"] for c in criteria] + [_("Официальный ответ"), _("Текст ответа"),
                                         _("Рекомендации экспертов")]
    by_proposal = assessments_by_proposal(event)
    rows = []
    for proposal, fig, answer in summary_rows(event, "track", track):
        recommendations = " | ".join(
            f"{a.expert.display_name if a.expert else '—'}: {a.recommendation}"
            for a in by_proposal.get(proposal.id, []) if a.recommendation)
        rows.append([proposal.id, proposal.track.title, proposal.kind.label, proposal.title,
                     fig.count, rounded(fig.mean), rounded(fig.low), rounded(fig.high),
                     rounded(fig.std)]
                    + [rounded(fig.per_criterion.get(c["key"])) for c in criteria]
                    + [answer.state.label if answer else "", answer.body if answer else "",
                       recommendations])
    return header, rows


def rounded(value: Optional[float]):
    return None if value is None else round(value, 2)


@dataclass
class EventReview:
    """The event's answers and assessment figures by proposal id (read once for a download)."""

    answers: dict[int, OfficialAnswer]
    figures: dict[int, Figures]


def event_review(event: Event) -> EventReview:
    answers = {a.proposal_id: a for a in db.session.scalars(sa.select(OfficialAnswer).where(
        OfficialAnswer.event_id == event.id))}
    return EventReview(answers=answers, figures=event_figures(event))


def answers_table(event: Event, track: Optional[Track] = None) -> tuple[list[str], list[list]]:
    """The sheet «Официальные ответы»: every answered proposal (of one track when given)."""
    from flask_babel import gettext as _

    header = [_("№"), _("Трек"), _("Название"), _("Официальный ответ"), _("Текст ответа"),
              _("Дата ответа")]
    stmt = (sa.select(OfficialAnswer, Proposal)
            .join(Proposal, OfficialAnswer.proposal_id == Proposal.id)
            .where(OfficialAnswer.event_id == event.id))
    if track is not None:
        stmt = stmt.where(Proposal.track_id == track.id)
    rows = db.session.execute(stmt.options(orm.selectinload(Proposal.track))
                              .order_by(Proposal.track_id, Proposal.id)).all()
    return header, [[p.id, p.track.title, p.title, a.state.label, a.body,
                     sheet_time(a.updated_at, event.timezone)] for a, p in rows]


def sheet_time(value, tz_name: str):
    """A naive date-time in the event's zone: a spreadsheet stores it as a real date cell."""
    return to_event_time(value, tz_name).replace(tzinfo=None, microsecond=0) if value else None
