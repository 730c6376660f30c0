"""Read helpers for event pages."""
from collections import OrderedDict

import sqlalchemy as sa

from strategy.auth.models import Role, User
from strategy.core.templating import to_event_time
from strategy.events.models import Event, ScheduleItem
from strategy.extensions import db
from strategy.proposals.models import Proposal, ProposalStatus
from strategy.supports.models import Support


def current_event() -> Event | None:
    """The workshop shown at '/': the most recently created event."""
    return db.session.scalar(sa.select(Event).order_by(Event.id.desc()).limit(1))


def schedule_by_day(event: Event) -> "OrderedDict[object, list[ScheduleItem]]":
    days: OrderedDict = OrderedDict()
    for item in event.schedule:
        day = to_event_time(item.starts_at, event.timezone).date()
        days.setdefault(day, []).append(item)
    return days


def event_counters(event: Event) -> dict[str, int]:
    published = sa.and_(Proposal.event_id == event.id,
                        Proposal.status == ProposalStatus.published)
    return {
        "proposals": db.session.scalar(sa.select(sa.func.count(Proposal.id)).where(published)) or 0,
        "supports": db.session.scalar(sa.select(sa.func.coalesce(
            sa.func.sum(Proposal.support_count), 0)).where(published)) or 0,
        "participants": db.session.scalar(sa.select(sa.func.count(User.id)).where(
            User.event_id == event.id, User.role == Role.participant)) or 0,
    }


def track_counters(event: Event) -> dict[int, dict[str, int]]:
    rows = db.session.execute(
        sa.select(Proposal.track_id, sa.func.count(Proposal.id),
                  sa.func.coalesce(sa.func.sum(Proposal.support_count), 0))
        .where(Proposal.event_id == event.id, Proposal.status == ProposalStatus.published)
        .group_by(Proposal.track_id))
    return {track_id: {"proposals": n, "supports": s} for track_id, n, s in rows}


def supported_ids(user, proposal_ids: list[int]) -> set[int]:
    if not getattr(user, "is_authenticated", False) or not proposal_ids:
        return set()
    return set(db.session.scalars(sa.select(Support.proposal_id).where(
        Support.user_id == user.id, Support.proposal_id.in_(proposal_ids))))
