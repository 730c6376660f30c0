"""Where live screens learn what changed.

The Change table is the truth: every process (gunicorn workers, the CLI) writes to it inside
its own transaction, so any process can answer "what happened after cursor N". Clients poll
``/events/<id>/feed?since=N`` (cheap: a 304 from max(id) when nothing is new) and catch up after
a dropped connection from their last cursor. Where ``REDIS_URL`` is set, each commit that
recorded changes is also announced on the pub/sub channel ``live:<event_id>``, so a waiting
stream wakes at once instead of re-reading the table.

A cursor is only safe if ids become visible in id order. SQLite has one writer at a time, so
they do. On PostgreSQL two transactions may take ids 9 and 10 and commit 10 first; a client
that read 10 would never see 9. So, on PostgreSQL, a transaction that writes changes of an
event first takes a transaction-level advisory lock for that event: ids are then taken and
committed one transaction after another.
"""
import json
import logging
import time
from typing import Iterator, Optional

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from strategy.extensions import db
from strategy.live.models import Change

logger = logging.getLogger(__name__)
MAX_BATCH = 200
CHANNEL = "live:{event_id}"
ADVISORY_BASE = 0x5EED0000  # a lock namespace of our own, plus the event id


def latest_cursor(event_id: int) -> int:
    """The newest change id of an event (0 when nothing happened yet): one index lookup."""
    return db.session.scalar(sa.select(sa.func.max(Change.id)).where(
        Change.event_id == event_id)) or 0


def changes_since(event_id: int, since: int, limit: int = MAX_BATCH,
                  track_id: Optional[int] = None) -> list[Change]:
    """Changes after the cursor, oldest first; at most ``limit`` (the client asks again)."""
    stmt = sa.select(Change).where(Change.event_id == event_id, Change.id > since)
    if track_id is not None:
        stmt = stmt.where(sa.or_(Change.track_id == track_id, Change.track_id.is_(None)))
    return list(db.session.scalars(stmt.order_by(Change.id).limit(limit)))


def serialise(change: Change) -> dict:
    return {"id": change.id, "kind": change.kind, "track_id": change.track_id,
            "proposal_id": change.proposal_id, **(change.payload or {})}


# --- ordering on PostgreSQL ----------------------------------------------------------------

def _lock_before_change_insert(session: Session, flush_context, instances) -> None:
    """Serialise, per event, the transactions that insert changes (PostgreSQL only)."""
    events = sorted({obj.event_id for obj in session.new if isinstance(obj, Change)})
    if not events or session.get_bind().dialect.name != "postgresql":
        return
    locked = session.info.setdefault("live_locked_events", set())
    for event_id in events:
        if event_id not in locked:
            session.connection().execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                                         {"key": ADVISORY_BASE + event_id})
            locked.add(event_id)


def _remember_events(session: Session, flush_context) -> None:
    touched = session.info.setdefault("live_touched_events", set())
    touched.update(obj.event_id for obj in session.new if isinstance(obj, Change))


def _forget(session: Session) -> None:
    session.info.pop("live_locked_events", None)
    session.info.pop("live_touched_events", None)


def _announce_after_commit(session: Session) -> None:
    """After the commit, tell Redis subscribers which events changed (best effort)."""
    events = session.info.pop("live_touched_events", set())
    session.info.pop("live_locked_events", None)
    if not events:
        return
    client = redis_client()
    if client is None:
        return
    try:
        for event_id in events:
            client.publish(CHANNEL.format(event_id=event_id), "1")
    except Exception:  # Redis is only a wake-up; pollers still see the change in the table
        logger.warning("Redis publish failed", exc_info=True)


# --- Redis wake-up -------------------------------------------------------------------------

_clients: dict[str, object] = {}


def redis_client():
    """A shared client when REDIS_URL is configured, else None."""
    try:
        url = current_app.config.get("REDIS_URL")
    except RuntimeError:  # no app context (e.g. a bare script): no announcements
        return None
    if not url:
        return None
    if url not in _clients:
        import redis

        _clients[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return _clients[url]


def wait_for_change(event_id: int, since: int, timeout: float, poll: float = 1.0) -> int:
    """Block up to ``timeout`` s until a change after ``since`` exists; returns the cursor.

    With Redis, sleep on the event's channel; without, re-read max(id) every ``poll`` s.
    The DB session is closed between reads, so a waiting stream holds no connection.
    """
    deadline = time.monotonic() + timeout
    client = redis_client()
    pubsub = None
    if client is not None:
        try:
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(CHANNEL.format(event_id=event_id))
        except Exception:
            logger.warning("Redis subscribe failed; polling the table", exc_info=True)
            pubsub = None
    try:
        while True:
            cursor = latest_cursor(event_id)
            db.session.remove()
            remaining = deadline - time.monotonic()
            if cursor > since or remaining <= 0:
                return cursor
            if pubsub is not None:
                pubsub.get_message(timeout=min(remaining, 5.0))
            else:
                time.sleep(min(poll, remaining))
    finally:
        if pubsub is not None:
            pubsub.close()


def stream(event_id: int, since: int, seconds: float) -> Iterator[str]:
    """Server-sent events for ``seconds`` (then the browser reconnects with Last-Event-ID)."""
    yield "retry: 1000\n\n"
    deadline = time.monotonic() + seconds
    cursor = since
    while time.monotonic() < deadline:
        latest = wait_for_change(event_id, cursor, min(15.0, deadline - time.monotonic()))
        if latest > cursor:
            batch = changes_since(event_id, cursor)
            for change in batch:
                cursor = change.id
                yield f"id: {change.id}\nevent: change\ndata: {json.dumps(serialise(change))}\n\n"
            db.session.remove()
        else:
            # A comment line keeps proxies from closing an idle connection.
            yield ": ping\n\n"


def init_app(app: Flask) -> None:
    """Install the session hooks once per process."""
    if getattr(init_app, "installed", False):
        return
    sa_event.listen(Session, "before_flush", _lock_before_change_insert)
    sa_event.listen(Session, "after_flush", _remember_events)
    sa_event.listen(Session, "after_commit", _announce_after_commit)
    sa_event.listen(Session, "after_rollback", _forget)
    init_app.installed = True
