"""Expert assessments (экспертиза) of proposals on the event's criteria, and the official answer
(официальный ответ) the track's facilitator or the methodical group gives a proposal."""
from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Optional

import sqlalchemy as sa
from sqlalchemy import orm

from strategy.auth.models import Role
from strategy.core.db import TimestampMixin
from strategy.extensions import db
from strategy.proposals.models import ProposalKind, ProposalStatus

if TYPE_CHECKING:
    from strategy.auth.models import User
    from strategy.events.models import Event, Track
    from strategy.proposals.models import Proposal

SCORE_MIN, SCORE_MAX = 1, 5
RECOMMENDATION_MAX = 3000
ANSWER_MAX = 5000
CRITERION_MAX = 120
CRITERIA_MAX = 10
# What experts assess: projects and ideas (practices are shared, not assessed).
ASSESSED_KINDS = (ProposalKind.project, ProposalKind.idea)


def default_criteria() -> list[dict[str, str]]:
    """The criteria of the letter that invites experts; stored per event on first use."""
    from flask_babel import gettext as _

    return [{"key": "significance", "title": _("Значимость для стратегии области")},
            {"key": "feasibility", "title": _("Реализуемость")},
            {"key": "resources", "title": _("Ресурсы и партнёры")},
            {"key": "replicability", "title": _("Тиражируемость")}]


class ReviewCriteria(TimestampMixin, db.Model):
    """The event's assessment criteria: [{"key", "title"}, ...] in their order."""

    __tablename__ = "review_criteria"

    event_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    criteria: orm.Mapped[list[dict[str, Any]]] = orm.mapped_column(sa.JSON)


def is_expert_for(user: Optional["User"], track: "Track") -> bool:
    """An expert of the track's event, for this track (or for all, if none were chosen)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.role is not Role.expert or not user.acts_in(track.event) or user.is_suspended:
        return False
    return not user.facilitated_tracks or track in user.facilitated_tracks


def expert_tracks(user: "User", event: "Event") -> list["Track"]:
    if user.role is not Role.expert or not user.acts_in(event):
        return []
    return [t for t in event.active_tracks if is_expert_for(user, t)]


class Assessment(TimestampMixin, db.Model):
    """One expert's scores (criterion key → 1..5) and recommendation for one proposal."""

    __tablename__ = "assessments"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "expert_id"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    event_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    proposal_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    expert_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    scores: orm.Mapped[dict[str, int]] = orm.mapped_column(sa.JSON)
    recommendation: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")

    proposal: orm.Mapped["Proposal"] = orm.relationship()
    expert: orm.Mapped[Optional["User"]] = orm.relationship()

    def __repr__(self) -> str:
        return f"<Assessment {self.id} of {self.proposal_id} by {self.expert_id}>"

    def mean(self, keys: list[str]) -> Optional[float]:
        """The mean of this expert's scores on the given criteria."""
        values = [self.scores[k] for k in keys if isinstance(self.scores.get(k), int)]
        return sum(values) / len(values) if values else None

    @staticmethod
    def can_make(user: Optional["User"], proposal: "Proposal") -> bool:
        """Experts of the proposal's track assess its published projects and ideas."""
        return (is_expert_for(user, proposal.track)
                and proposal.status is ProposalStatus.published
                and proposal.kind in ASSESSED_KINDS)

    @staticmethod
    def can_see_all(user: Optional["User"], proposal: "Proposal",
                    own: Optional["Assessment"]) -> bool:
        """The methodical group sees every assessment; an expert only after giving their own."""
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        if user.can_manage(proposal.event):
            return True
        return own is not None and is_expert_for(user, proposal.track)


class AnswerState(enum.Enum):
    accepted = "accepted"
    partial = "partial"
    revision = "revision"
    rejected = "rejected"

    @property
    def label(self) -> str:
        from flask_babel import gettext as _

        return {"accepted": _("Принято в стратегию"), "partial": _("Принято частично"),
                "revision": _("На доработке"), "rejected": _("Не принято")}[self.value]


# What the track's lists filter by: a state, or "none" (no answer yet).
ANSWER_FILTERS = tuple(s.value for s in AnswerState) + ("none",)


class OfficialAnswer(TimestampMixin, db.Model):
    """The one official answer to a proposal (given again, it replaces the earlier one)."""

    __tablename__ = "official_answers"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    event_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    proposal_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), unique=True)
    author_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    state: orm.Mapped[AnswerState] = orm.mapped_column(
        sa.Enum(AnswerState, native_enum=False, length=20), index=True)
    body: orm.Mapped[str] = orm.mapped_column(sa.Text)

    proposal: orm.Mapped["Proposal"] = orm.relationship()
    author: orm.Mapped[Optional["User"]] = orm.relationship()

    def __repr__(self) -> str:
        return f"<OfficialAnswer {self.proposal_id} {self.state.value}>"

    @staticmethod
    def can_give(user: Optional["User"], proposal: "Proposal") -> bool:
        """The track's facilitator or the methodical group."""
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        return user.can_moderate(proposal.track)
