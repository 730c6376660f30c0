"""The change feed, the event stream, and the hall's projector screens.

URL rules (all public; the feed and the stream show only what the viewer may see):
  GET /events/<id>/feed?since=<cursor>[&track=<id>]   feed          JSON, ETag/304 (fallback)
  GET /events/<id>/stream?since=<cursor>[&track=<id>] stream        server-sent events
  GET /events/<id>/screen[?fragment=1]                  event_screen  «Экран зала», all tracks
  GET /events/<id>/tracks/<slug>/screen[?fragment=1]    track_screen  «Экран зала», one track

static/js/live.js opens the stream and falls back to polling the feed when the stream breaks;
both send the same data (broker.feed_data) and both catch up from the client's cursor.
"""
import time
from typing import Optional

import sqlalchemy as sa
from flask import Response, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from gevent import monkey

from strategy.core.permissions import staff_of
from strategy.core.qr import qr_svg  # noqa: F401  (the join QR; tests import it from here)
from strategy.core.urls import public_url_for, public_url_missing
from strategy.core.errors import OperationError
from strategy.core.db import utcnow
from strategy.events.models import Event, Track
from strategy.core.loading import load_event, load_track
from strategy.extensions import db
from strategy.live import bp, broker
from strategy.live.models import BOARD_KINDS, QUEUE_KINDS, ChangeKind
from strategy.proposals.models import Proposal, ProposalStatus

TOP_LIMIT = 5
EVENT_TOP_LIMIT = 4
NEWEST_LIMIT = 3
PING_S = 15.0          # a comment line this often keeps proxies from closing an idle stream
RETRY_MS = 1000        # how soon the browser reconnects after a stream ends
NO_CACHE = {"Cache-Control": "private, no-cache"}


bp.record_once(lambda state: broker.init_app(state.app))


@bp.before_app_request
def take_page_cursor() -> None:
    """A page's cursor is read before its data, so nothing committed in between is lost.

    Only for HTML pages of an event; the feed, the stream and fragments carry their own.
    """
    args = request.view_args or {}
    if (request.method != "GET" or "event_id" not in args or request.blueprint == "api"
            or request.endpoint in ("live.feed", "live.stream") or request.args.get("fragment")
            or not request.accept_mimetypes.accept_html):
        return
    g.live_cursors = {args["event_id"]: broker.latest_cursor(args["event_id"])}


@bp.app_template_global()
def live_cursor(event) -> int:
    """The cursor a page was rendered at: its live script catches up from here."""
    if not event:
        return 0
    cursors = g.get("live_cursors") or {}
    if event.id in cursors:
        return cursors[event.id]
    # A page whose URL names no event: read now (its data was read before, so at worst a
    # change made meanwhile is shown twice, never lost: the handlers apply current state).
    return broker.latest_cursor(event.id)


@bp.app_template_global()
def live_kinds() -> dict:
    """Change kinds for static/js/live.js and board.js: names, the ones the queue and the board
    redraw on, and the board's own edits (the board does not redraw on its own moves)."""
    return {"all": [k.value for k in ChangeKind], "queue": sorted(k.value for k in QUEUE_KINDS),
            "board": sorted(k.value for k in BOARD_KINDS), "edit": ChangeKind.section_edit.value}


def parse_cursor(value: Optional[str]) -> int:
    try:
        cursor = int(value or 0)
    except ValueError:
        raise OperationError(_("Параметр since должен быть целым числом."), 400)
    if cursor < 0:
        raise OperationError(_("Параметр since должен быть целым числом."), 400)
    return cursor


def viewer_is_staff(event_id: int) -> bool:
    """Staff of this event see moderation detail in the feed (broker.STAFF_ONLY_KINDS)."""
    event = db.session.get(Event, event_id)
    return bool(event is not None and staff_of(current_user, event))


@bp.route("/events/<int:event_id>/feed")
def feed(event_id: int):
    """Changes after ``since`` and the new cursor; 304 when nothing happened since."""
    since = parse_cursor(request.args.get("since"))
    latest = broker.latest_cursor(event_id)
    # The tag names the newest change only, so a client that has just caught up (since ==
    # latest) and sends back the tag of its last answer gets a 304 on its very next poll.
    etag = f'"{event_id}-{latest}"'
    if since == latest and etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers={"ETag": etag, **NO_CACHE})
    load_event(event_id)
    data = broker.feed_after(event_id, since, viewer_is_staff(event_id),
                             track_id=request.args.get("track", type=int))
    response = jsonify({"success": True, "data": data})
    response.headers["ETag"] = etag
    response.headers.update(NO_CACHE)
    return response


@bp.route("/events/<int:event_id>/stream")
def stream(event_id: int):
    """Server-sent events: catch up from the cursor, then every new batch as it commits.

    Each open stream waits on the process's hub (strategy/live/broker.py), which reads each
    batch once for all streams. Under gevent workers a stream costs a greenlet; under thread
    workers it would hold a thread, so LIVE_SSE_STREAMS caps the open streams per process and
    beyond the cap the client is told to poll the feed. A stream ends after LIVE_SSE_SECONDS
    and the browser reconnects with Last-Event-ID.
    """
    load_event(event_id)
    given = request.headers.get("Last-Event-ID") or request.args.get("since")
    # Without a cursor the stream starts now (a bare EventSource); the page always sends one.
    since = parse_cursor(given) if given is not None else broker.latest_cursor(event_id)
    track_id = request.args.get("track", type=int)
    hub = broker.hub_for(current_app._get_current_object())
    if hub.open_streams >= stream_cap():
        raise OperationError(_("Потоковые обновления заняты; используйте /feed."), 503)
    staff = viewer_is_staff(event_id)
    subscription = hub.subscribe(event_id)  # first, so nothing after the catch-up is missed
    try:
        first, sent = catch_up(event_id, since, track_id, staff)
    except BaseException:
        subscription.close()
        raise
    seconds = current_app.config.get("LIVE_SSE_SECONDS", 300)
    db.session.remove()  # a waiting stream holds no database connection

    def generate():
        try:
            yield f"retry: {RETRY_MS}\n\n"
            yield from first
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                batch = subscription.get(timeout=min(PING_S, deadline - time.monotonic()))
                if batch is None:
                    yield ": ping\n\n"
                    continue
                text = batch.text_for(track_id, staff, sent)
                if text is not None:
                    yield text
        finally:
            subscription.close()

    return Response(generate(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def catch_up(event_id: int, since: int, track_id: Optional[int], staff: bool):
    """The SSE messages from ``since`` to now, and the change ids they contain."""
    messages, sent = [], set()
    if not broker.cursor_is_known(event_id, since):
        latest = broker.latest_cursor(event_id)
        data = {"cursor": latest, "more": False, "reset": True, "changes": [], "proposals": {}}
        return [broker.sse_message(latest, data)], sent
    cursor = since
    for _page in range(50):  # bounded; a screen further behind reloads (reset) instead
        rows = broker.changes_since(event_id, cursor, broker.MAX_BATCH, track_id=track_id)
        if not rows:
            break
        cursor = rows[-1].id
        sent.update(c.id for c in rows)
        messages.append(broker.sse_message(cursor, broker.feed_data(rows, cursor, staff)))
        if len(rows) < broker.MAX_BATCH:
            break
    return messages, sent


def stream_cap() -> int:
    """Open streams allowed per process: many under gevent, a few under threads."""
    configured = current_app.config.get("LIVE_SSE_STREAMS")
    if configured is not None:
        return configured
    return 2000 if gevent_patched() else 4


def gevent_patched() -> bool:
    """Whether this process runs under gunicorn's gevent worker (sockets are cooperative)."""
    return monkey.is_module_patched("socket")


# --- the projector -------------------------------------------------------------------------

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
