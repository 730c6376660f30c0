"""Read helpers for event pages."""
from collections import OrderedDict
from datetime import date, datetime, timezone
from typing import Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from strategy.auth.models import Role, User
from strategy.core.templating import to_event_time
from strategy.events.models import Event, EventStatus, ScheduleItem
from strategy.extensions import db
from strategy.proposals.models import Proposal, ProposalStatus
from strategy.supports.models import Support


def current_event() -> Event | None:
    """The event commands act on by default: the newest open one, else the newest of all."""
    newest_open = db.session.scalar(sa.select(Event).where(Event.status == EventStatus.open)
                                    .order_by(Event.id.desc()).limit(1))
    return newest_open or db.session.scalar(sa.select(Event).order_by(Event.id.desc()).limit(1))


def local_today(event: Event) -> date:
    return datetime.now(timezone.utc).astimezone(ZoneInfo(event.timezone)).date()


def event_period(event: Event) -> str:
    """'draft', 'past', 'current' or 'upcoming', for the home page's groups."""
    if event.is_draft:
        return "draft"
    if event.status in (EventStatus.finished, EventStatus.archived):
        return "past"
    today = local_today(event)
    if event.ends_on and event.ends_on < today:
        return "past"
    if event.starts_on and event.starts_on > today:
        return "upcoming"
    return "current"


def visible_events(user) -> list[Event]:
    """Every event this person may see (drafts only for staff), newest first."""
    events = db.session.scalars(sa.select(Event).order_by(
        Event.starts_on.desc().nulls_last(), Event.id.desc()))
    return [event for event in events if event.can_view(user)]


def events_by_period(events: list[Event]) -> "OrderedDict[str, list[Event]]":
    groups: OrderedDict = OrderedDict((key, []) for key in ("current", "upcoming", "draft",
                                                            "past"))
    for event in events:
        groups[event_period(event)].append(event)
    for key in ("current", "upcoming"):  # soonest first; past stays newest first
        groups[key].sort(key=lambda e: (e.starts_on or date.max, e.id))
    return groups


def single_home_event(user) -> Optional[Event]:
    """With one event on the installation, '/' is that event's home, as before."""
    events = visible_events(user)
    return events[0] if len(events) == 1 else None


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
