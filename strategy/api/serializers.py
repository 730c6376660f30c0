"""Models as plain dicts for /api/v1 answers (schemas.py declares and documents the shapes).

Every function takes the viewer, because what a person may see depends on who they are:
support counts while a track hides them, the reason a proposal was hidden, unpublished comments.
"""
from datetime import date, datetime
from typing import Optional

from flask import url_for

from strategy.api.models import ApiToken
from strategy.auth.models import User
from strategy.comments.models import Comment
from strategy.core.permissions import staff_of
from strategy.events.models import Event, Track
from strategy.extensions import db
from strategy.live import broker
from strategy.proposals.models import Proposal
from strategy.review.queries import answer_of
from strategy.supports.operations import votes_left


def iso(value: Optional[datetime]) -> Optional[str]:
    """Stored times are naive UTC."""
    return value.replace(microsecond=0).isoformat() + "Z" if value else None


def iso_date(value: Optional[date]) -> Optional[str]:
    return value.isoformat() if value else None


def author(user: Optional[User]) -> Optional[dict]:
    if user is None:
        return None
    return {"display_name": user.display_name, "affiliation": user.public_affiliation}


def may_moderate(viewer: Optional[User], track: Track) -> bool:
    return viewer is not None and viewer.can_moderate(track)


def track_to_dict(track: Track, viewer: Optional[User], counters: dict) -> dict:
    visible = track.counts_visible_to(viewer)
    mine = counters.get(track.id, {"proposals": 0, "supports": 0})
    return {"id": track.id, "slug": track.slug, "title": track.title,
            "description": track.description, "position": track.position,
            "accepts_proposals": track.accepts_proposals(),
            "accepts_supports": track.accepts_supports(),
            "submission_ends_at": iso(track.submission_ends_at),
            "support_ends_at": iso(track.support_ends_at),
            "support_budget": track.support_budget, "counts_visible": visible,
            "proposal_count": mine["proposals"],
            "support_count": mine["supports"] if visible else None,
            "votes_left": votes_left(viewer, track),
            "url": url_for("events.track", event_id=track.event_id, slug=track.slug)}


def event_to_dict(event: Event, viewer: Optional[User], counters: dict,
                  per_track: dict) -> dict:
    return {"id": event.id, "slug": event.slug, "title": event.title,
            "description": event.description, "place": event.place, "timezone": event.timezone,
            "starts_on": iso_date(event.starts_on), "ends_on": iso_date(event.ends_on),
            "moderation_mode": event.moderation_mode.value,
            "proposal_count": counters["proposals"], "support_count": counters["supports"],
            "tracks": [track_to_dict(t, viewer, per_track) for t in event.tracks],
            "url": url_for("events.home", event_id=event.id)}


def answer_brief(answer) -> Optional[dict]:
    """An official answer's state on a proposal (its text: GET …/answer)."""
    if answer is None:
        return None
    return {"state": answer.state.value, "state_label": answer.state.label}


def proposal_to_dict(proposal: Proposal, viewer: Optional[User], supported: set[int],
                     answers: Optional[dict] = None) -> dict:
    """``answers`` (proposal id → official answer) read once for a list; else read here."""
    track = proposal.track
    answer = answers.get(proposal.id) if answers is not None else answer_of(proposal)
    insider = viewer is not None and (viewer.id == proposal.author_id
                                      or may_moderate(viewer, track))
    return {"id": proposal.id, "event_id": proposal.event_id, "track_id": proposal.track_id,
            "track": track.slug, "title": proposal.title, "body": proposal.body,
            "kind": proposal.kind.value, "expected_result": proposal.expected_result,
            "partners": proposal.partners, "status": proposal.status.value,
            "hidden_reason": proposal.hidden_reason if insider else None,
            "is_pinned": proposal.is_pinned, "merged_into_id": proposal.merged_into_id,
            "support_count": proposal.support_count if track.counts_visible_to(viewer)
            else None,
            "comment_count": proposal.comment_count, "join_count": proposal.join_count,
            "author": author(proposal.author), "created_at": iso(proposal.created_at),
            "supported": (proposal.id in supported) if viewer is not None else None,
            "can_edit": proposal.can_edit(viewer), "can_support": proposal.can_support(viewer),
            "answer": answer_brief(answer),
            "url": url_for("proposals.detail", event_id=proposal.event_id,
                           proposal_id=proposal.id)}


def support_to_dict(proposal: Proposal, viewer: User, supported: bool) -> dict:
    return {"proposal_id": proposal.id, "supported": supported,
            "support_count": proposal.support_count
            if proposal.track.counts_visible_to(viewer) else None,
            "votes_left": votes_left(viewer, proposal.track)}


def reply_to_dict(comment: Comment, viewer: Optional[User]) -> dict:
    insider = viewer is not None and (viewer.id == comment.author_id
                                      or may_moderate(viewer, comment.proposal.track))
    return {"id": comment.id, "proposal_id": comment.proposal_id, "parent_id": comment.parent_id,
            "body": comment.body, "stance": comment.stance.value if comment.stance else None,
            "status": comment.status.value,
            "hidden_reason": comment.hidden_reason if insider else None,
            "author": author(comment.author), "created_at": iso(comment.created_at)}


def comment_to_dict(comment: Comment, viewer: Optional[User]) -> dict:
    """A top-level comment with the replies this viewer may see."""
    return {**reply_to_dict(comment, viewer),
            "replies": [reply_to_dict(r, viewer) for r in comment.replies if r.can_view(viewer)]}


def user_to_dict(user: User) -> dict:
    return {"id": user.id, "display_name": user.display_name, "is_muted": user.is_muted}


def token_to_dict(row: ApiToken) -> dict:
    return {"id": row.id, "name": row.name, "hint": row.hint, "created_at": iso(row.created_at),
            "last_used_at": iso(row.last_used_at), "revoked_at": iso(row.revoked_at)}


def changes_to_dict(event_id: int, since: int, track_id: Optional[int],
                    viewer: Optional[User]) -> dict:
    """The live change feed (strategy/live/broker.py) after a cursor, exactly as the site's:
    moderation detail only for the event's staff."""
    event = db.session.get(Event, event_id)
    return broker.feed_after(event_id, since, staff_of(viewer, event), track_id=track_id)
