"""Load an object named in the URL or answer 404: shared by every domain's routes and the API.

A loader also makes the event's time zone the one pages are rendered in. Permission checks are
not made here: operations check them, and read-only views ask the model's ``can_*`` rules.
"""
import functools

import sqlalchemy as sa
from flask import abort, g
from sqlalchemy import orm
from flask_login import current_user

from strategy.auth.models import User
from strategy.comments.models import Comment
from strategy.events.models import Event, Track
from strategy.extensions import db
from strategy.proposals.models import Proposal


def load_event(event_id: int) -> Event:
    """The event of the URL; its time zone becomes the page's. A draft event is not found
    for anyone but staff."""
    event = db.get_or_404(Event, event_id)
    return viewed_event(event)


def viewed_event(event: Event) -> Event:
    if not event.can_view(current_user):
        abort(404)
    g.event = event
    g.event_tz = event.timezone
    return event


def load_track(event: Event, slug: str) -> Track:
    """A track of the event by its slug."""
    track = db.session.scalar(sa.select(Track).where(Track.event_id == event.id,
                                                     Track.slug == slug))
    if track is None:
        abort(404)
    return track


def load_proposal(event: Event, proposal_id: int) -> Proposal:
    """A proposal of the event (any status: the caller decides who may see it), with its
    track in the same query (every action on a proposal asks its track's rules)."""
    proposal = db.session.get(Proposal, proposal_id,
                              options=[orm.joinedload(Proposal.track, innerjoin=True)])
    if proposal is None or proposal.event_id != event.id:
        abort(404)
    return proposal


def load_event_and_proposal(event_id: int, proposal_id: int) -> tuple[Event, Proposal]:
    """load_event and load_proposal in one query (the proposal, its event and track), for the
    short writes on a proposal (a support)."""
    proposal = db.session.scalar(proposal_with_event_and_track(),
                                 {"proposal_id": proposal_id, "event_id": event_id})
    if proposal is None:
        load_event(event_id)  # a missing or hidden event answers as load_event does
        abort(404)
    return viewed_event(proposal.event), proposal


@functools.cache
def proposal_with_event_and_track() -> sa.Select:
    """The support path's read, built once (SQLAlchemy computes a cache key per statement)."""
    return (sa.select(Proposal)
            .where(Proposal.id == sa.bindparam("proposal_id"),
                   Proposal.event_id == sa.bindparam("event_id"))
            .options(orm.joinedload(Proposal.event, innerjoin=True),
                     orm.joinedload(Proposal.track, innerjoin=True)))


def load_comment(event: Event, comment_id: int) -> Comment:
    """A comment on one of the event's proposals."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.proposal.event_id != event.id:
        abort(404)
    return comment


def load_participant(event: Event, user_id: int) -> User:
    """A person who joined this event."""
    user = db.session.get(User, user_id)
    if user is None or user.event_id != event.id:
        abort(404)
    return user
