"""The change feed, an optional event stream, and the hall's projector screens.

URL rules (all public; the feed shows only what the viewer may see):
  GET /events/<id>/feed?since=<cursor>[&track=<id>]   feed          JSON, ETag/304
  GET /events/<id>/stream                               stream        SSE, only if enabled
  GET /events/<id>/screen[?fragment=1]                  event_screen  «Экран зала», all tracks
  GET /events/<id>/tracks/<slug>/screen[?fragment=1]    track_screen  «Экран зала», one track
"""
import functools
import threading
from typing import Optional

import sqlalchemy as sa
from flask import Response, current_app, jsonify, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user

from strategy.core.permissions import staff_of
from strategy.core.urls import public_url_for, public_url_missing
from strategy.core.errors import OperationError
from strategy.core.db import utcnow
from strategy.events.models import Event, Track
from strategy.core.loading import load_event, load_track
from strategy.extensions import db
from strategy.live import bp, broker
from strategy.proposals.models import Proposal, ProposalStatus

TOP_LIMIT = 5
EVENT_TOP_LIMIT = 4
NEWEST_LIMIT = 3
_streams = {"open": 0}
_streams_lock = threading.Lock()


bp.record_once(lambda state: broker.init_app(state.app))


@bp.app_template_global()
def live_cursor(event) -> int:
    """The cursor a page was rendered at: its live script catches up from here."""
    return broker.latest_cursor(event.id) if event else 0


def parse_cursor(value: Optional[str]) -> int:
    try:
        cursor = int(value or 0)
    except ValueError:
        raise OperationError(_("Параметр since должен быть целым числом."), 400)
    if cursor < 0:
        raise OperationError(_("Параметр since должен быть целым числом."), 400)
    return cursor


def viewer():
    return current_user if current_user.is_authenticated else None


def proposal_states(proposal_ids: set[int]) -> dict[int, dict]:
    """Current status and counters of the proposals a batch mentions (counts only if visible)."""
    if not proposal_ids:
        return {}
    rows = db.session.scalars(sa.select(Proposal).where(Proposal.id.in_(proposal_ids)))
    user = viewer()
    visible = {}
    states = {}
    for p in rows:
        if p.track_id not in visible:
            visible[p.track_id] = p.track.counts_visible_to(user)
        states[p.id] = {"status": p.status.value, "track_id": p.track_id,
                        "merged_into_id": p.merged_into_id, "is_pinned": p.is_pinned,
                        "support_count": p.support_count if visible[p.track_id] else None,
                        "comment_count": p.comment_count}
    return states


# Moderation detail only the event's staff may see (who was muted, that something was flagged);
# projectors and participants' lists get the rest (their cursor still moves past these).
STAFF_ONLY_KINDS = frozenset({"user_moderated", "flag"})


def hidden_kinds(event: Event) -> frozenset:
    return frozenset() if staff_of(current_user, event) else STAFF_ONLY_KINDS


@bp.route("/events/<int:event_id>/feed")
def feed(event_id: int):
    """Changes after ``since`` and the new cursor; 304 when nothing happened since."""
    since = parse_cursor(request.args.get("since"))
    latest = broker.latest_cursor(event_id)
    # The tag names the newest change only, so a client that has just caught up (since ==
    # latest) and sends back the tag of its last answer gets a 304 on its very next poll.
    etag = f'"{event_id}-{latest}"'
    if since >= latest and etag in request.headers.get("If-None-Match", ""):
        response = Response(status=304)
        response.headers["ETag"] = etag
        response.headers["Cache-Control"] = "private, no-cache"
        return response
    event = load_event(event_id)
    track_id = request.args.get("track", type=int)
    batch = broker.changes_since(event_id, since, broker.MAX_BATCH, track_id=track_id)
    more = len(batch) == broker.MAX_BATCH
    cursor = batch[-1].id if more else max([latest, since] + [c.id for c in batch])
    data = {"cursor": cursor, "more": more, "reset": since > latest,
            "changes": [broker.serialise(c) for c in batch if c.kind not in hidden_kinds(event)],
            "proposals": proposal_states({c.proposal_id for c in batch if c.proposal_id})}
    response = jsonify({"success": True, "data": data})
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/events/<int:event_id>/stream")
def stream(event_id: int):
    """Server-sent events for deployments with async workers; polling is the default.

    Each stream holds a worker thread, so the number of open streams per process is capped by
    LIVE_SSE_STREAMS (0, the default, turns streams off: sync/threaded gunicorn workers would
    run out of threads with a hall of screens). Beyond the cap the client is told to poll.
    """
    cap = current_app.config.get("LIVE_SSE_STREAMS", 0)
    load_event(event_id)
    since = parse_cursor(request.headers.get("Last-Event-ID") or request.args.get("since"))
    with _streams_lock:
        if _streams["open"] >= cap:
            raise OperationError(_("Потоковые обновления выключены; используйте /feed."), 503)
        _streams["open"] += 1
    seconds = current_app.config.get("LIVE_SSE_SECONDS", 25)
    db.session.remove()  # the stream must not hold a database connection while it waits

    def generate():
        try:
            yield from broker.stream(event_id, since, seconds)
        finally:
            with _streams_lock:
                _streams["open"] -= 1

    return Response(stream_with_context(generate()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


# --- the projector -------------------------------------------------------------------------

@functools.lru_cache(maxsize=32)
def qr_svg(url: str) -> str:
    """The join link as an inline SVG QR code, made on the server (segno, no network)."""
    import segno

    return segno.make(url, error="m").svg_inline(dark="#10161f", light="#ffffff", border=2,
                                                  omitsize=True)


def projector_counts(track: Track) -> bool:
    """Counts on the hall's screen only when the facilitator allows and they are not hidden."""
    return track.projector_shows_counts and track.counts_visible_to(None)


def published(track_ids: list[int]):
    return sa.select(Proposal).where(Proposal.track_id.in_(track_ids),
                                     Proposal.status == ProposalStatus.published)


def top_proposals(tracks: list[Track], limit: int) -> list[Proposal]:
    """Top by support among tracks whose counts may be shown."""
    ids = [t.id for t in tracks if projector_counts(t)]
    if not ids:
        return []
    return list(db.session.scalars(published(ids).order_by(
        Proposal.support_count.desc(), Proposal.id).limit(limit)))


def pinned_proposals(tracks: list[Track], limit: int) -> list[Proposal]:
    """Without counts: pinned first, then the newest (no ranking leaks to the hall)."""
    return list(db.session.scalars(published([t.id for t in tracks]).order_by(
        Proposal.is_pinned.desc(), Proposal.id.desc()).limit(limit)))


def newest_proposals(tracks: list[Track], limit: int) -> list[Proposal]:
    return list(db.session.scalars(published([t.id for t in tracks]).order_by(
        Proposal.id.desc()).limit(limit)))


def proposals_total(tracks: list[Track]) -> int:
    return db.session.scalar(sa.select(sa.func.count(Proposal.id)).where(
        Proposal.track_id.in_([t.id for t in tracks]),
        Proposal.status == ProposalStatus.published)) or 0


def screen_context(event: Event, track: Optional[Track] = None) -> dict:
    tracks = [track] if track else list(event.tracks)
    limit = TOP_LIMIT if track else EVENT_TOP_LIMIT
    top = top_proposals(tracks, limit)
    counts = bool(top)
    join_url = public_url_for("auth.join", code=event.code)
    return {"event": event, "track": track, "tracks": tracks, "show_counts": counts,
            "top": top if counts else pinned_proposals(tracks, limit),
            "newest": newest_proposals(tracks, NEWEST_LIMIT), "total": proposals_total(tracks),
            "join_url": join_url, "qr": qr_svg(join_url), "now": utcnow(),
            "public_url_missing": public_url_missing(),
            "track_titles": {t.id: t.title for t in event.tracks}}


def render_screen(event: Event, track: Optional[Track] = None):
    context = screen_context(event, track)
    if request.args.get("fragment"):
        return render_template("live/_screen.html", **context)
    return render_template("live/screen.html", **context)


@bp.route("/events/<int:event_id>/screen")
def event_screen(event_id: int):
    """«Экран зала» for the whole event: top proposals of all tracks and the QR code."""
    return render_screen(load_event(event_id))


@bp.route("/events/<int:event_id>/tracks/<slug>/screen")
def track_screen(event_id: int, slug: str):
    """«Экран зала» for one track: live top, newest, phase and time left, QR code."""
    event = load_event(event_id)
    return render_screen(event, load_track(event, slug))
