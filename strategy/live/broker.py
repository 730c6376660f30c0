"""Where live screens learn what changed: one broker, two back-ends, one hub per process.

The Change table is the truth: every process (gunicorn workers, the CLI) writes to it inside
its own transaction, so any process can answer "what happened after cursor N" and a screen
catches up after a dropped connection from its last cursor.

A cursor is the id of the last change a client has. It is only safe if changes become visible
in the order the feed reads them:
- SQLite has one writer at a time, so ids become visible in id order; the feed reads by id.
- On PostgreSQL two transactions may take ids 9 and 10 and commit 10 first. Each change stores
  its transaction's id (``txid``, from ``pg_current_xact_id()``); the feed reads in (txid, id)
  order and only changes whose txid is below ``pg_snapshot_xmin(pg_current_snapshot())``, the
  oldest transaction still running: every such transaction has finished, and any change not
  yet visible belongs to a transaction at or above that horizon, so it sorts after everything
  already read. Writers never wait for each other; a long write transaction only delays what
  readers see until it ends.

The broker (in the manner of CTFd's event manager) says when to look:
- ``DatabaseBroker`` (always): the process's hub re-reads the newest position of each watched
  event every ``DB_POLL_S`` seconds; ``publish`` has nothing to do (the commit is the message).
- ``RedisBroker`` (where ``REDIS_URL`` is set): each commit that recorded changes is announced on
  ``live:<event_id>``; the hub sleeps on those channels and looks only when told, with a slow
  database check as a safety net for a lost message or a Redis restart.

The ``Hub`` keeps one watcher per process (a greenlet under gevent, else a thread). When an
event has news it reads the new changes once, with the proposals' current state, and hands the
same batch to every open stream of that event, so a thousand screens cost one query per change.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Iterable, Optional

import redis
import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from strategy.extensions import db
from strategy.live.models import Change, ChangeKind
from strategy.proposals.models import Proposal

logger = logging.getLogger(__name__)
MAX_BATCH = 200
CHANNEL = "live:{event_id}"
DB_POLL_S = 0.2          # how often the database back-end looks (per process, not per screen)
REDIS_SAFETY_S = 5.0     # the Redis back-end still looks this often, in case a message was lost
REDIS_RETRY_S = 2.0
# The finished-transaction horizon as a plain integer, read in the statement that uses it.
PG_HORIZON = sa.literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")


# --- positions: what "after cursor N" means on each database ----------------------------------

def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


# Every idle poll runs one of these: plain text, so no statement is built per request.
LATEST_SQLITE = sa.text("SELECT max(id) FROM changes WHERE event_id = :event_id")
LATEST_POSTGRESQL = sa.text(
    "SELECT id FROM changes WHERE event_id = :event_id "
    "AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint "
    "ORDER BY txid DESC, id DESC LIMIT 1")


def latest_cursor(event_id: int) -> int:
    """The cursor of the newest change a reader may rely on (0 when nothing happened yet)."""
    statement = LATEST_POSTGRESQL if _is_postgresql() else LATEST_SQLITE
    return db.session.execute(statement, {"event_id": event_id}).scalar() or 0


# A stored page's key: the cursor and the newest change this reader sees committed. The cursor
# alone stalls on PostgreSQL while any transaction of the server stays open (a backup, a long
# job, another connection idle in a transaction); changes committed meanwhile move the second.
VERSION_POSTGRESQL = sa.text(
    "SELECT (" + LATEST_POSTGRESQL.text + "), "
    "(SELECT max(id) FROM changes WHERE event_id = :event_id)")


def data_version(event_id: int):
    """A value that changes with every change of the event committed before it is read, for
    keys of what is rendered from the event's rows (strategy.proposals.cards). The live
    cursor (:func:`latest_cursor`) is gap-free, so it waits on PostgreSQL for transactions
    still in flight and may stay put while newer ones commit; a cache keyed on it alone
    would serve a list from before an approval or an edit."""
    if _is_postgresql():
        return tuple(db.session.execute(VERSION_POSTGRESQL, {"event_id": event_id}).one())
    return latest_cursor(event_id)


def cursor_is_known(event_id: int, cursor: int) -> bool:
    """Whether a client's cursor names a change of this event (0, the start, always does).

    An unknown cursor comes from another database (a re-seeded demo): the page must reload.
    """
    if cursor == 0:
        return True
    return db.session.scalar(sa.select(Change.id).where(
        Change.id == cursor, Change.event_id == event_id)) is not None


def changes_since(event_id: int, since: int, limit: int = MAX_BATCH,
                  track_id: Optional[int] = None) -> list[Change]:
    """Changes after the cursor in feed order; at most ``limit`` (the client asks again)."""
    stmt = sa.select(Change).where(Change.event_id == event_id)
    if _is_postgresql():
        stmt = stmt.where(Change.txid < PG_HORIZON)
        if since:
            since_txid = sa.select(Change.txid).where(Change.id == since).scalar_subquery()
            stmt = stmt.where(sa.tuple_(Change.txid, Change.id) > sa.tuple_(since_txid, since))
        order = (Change.txid, Change.id)
    else:
        stmt = stmt.where(Change.id > since)
        order = (Change.id,)
    if track_id is not None:
        stmt = stmt.where(sa.or_(Change.track_id == track_id, Change.track_id.is_(None)))
    return list(db.session.scalars(stmt.order_by(*order).limit(limit)))


def serialise(change: Change) -> dict:
    return {"id": change.id, "kind": change.kind, "track_id": change.track_id,
            "proposal_id": change.proposal_id, **(change.payload or {})}


def proposal_states(proposal_ids: Iterable[int], staff: bool) -> dict[int, dict]:
    """Current status and counters of the proposals a batch mentions (counts only if visible)."""
    ids = set(proposal_ids)
    if not ids:
        return {}
    viewer = _Staff() if staff else None
    visible: dict[int, bool] = {}
    states = {}
    for p in db.session.scalars(sa.select(Proposal).where(Proposal.id.in_(ids))):
        if p.track_id not in visible:
            visible[p.track_id] = p.track.counts_visible_to(viewer)
        states[p.id] = {"status": p.status.value, "track_id": p.track_id,
                        "merged_into_id": p.merged_into_id, "is_pinned": p.is_pinned,
                        "support_count": p.support_count if visible[p.track_id] else None,
                        "comment_count": p.comment_count}
    return states


class _Staff:
    """Stands for any staff viewer: count visibility depends only on being staff."""

    is_staff = True


# Moderation detail only the event's staff may see (who was muted, that something was flagged);
# projectors and participants' lists get the rest (their cursor still moves past these).
STAFF_ONLY_KINDS = frozenset({ChangeKind.user_moderated.value, ChangeKind.flag.value,
                              ChangeKind.assessment.value})


def feed_data(changes: list[Change], cursor: int, staff: bool, more: bool = False,
              reset: bool = False) -> dict:
    """The one shape both the feed and the stream send (static/js/live.js reads it)."""
    return {"cursor": cursor, "more": more, "reset": reset,
            "changes": [serialise(c) for c in changes
                        if staff or str(getattr(c.kind, "value", c.kind)) not in STAFF_ONLY_KINDS],
            "proposals": proposal_states(mentioned_proposals(changes), staff)}


def feed_after(event_id: int, since: int, staff: bool, track_id: Optional[int] = None) -> dict:
    """The feed after a client's cursor: the site's /feed and the API's /changes alike. An
    unknown cursor (another database, a re-seeded demo) answers reset: the page must reload."""
    latest = latest_cursor(event_id)
    if not cursor_is_known(event_id, since):
        return {"cursor": latest, "more": False, "reset": True, "changes": [], "proposals": {}}
    batch = changes_since(event_id, since, MAX_BATCH, track_id=track_id)
    more = len(batch) == MAX_BATCH
    # Filtered by track, the last row read may be older than the event's newest change.
    cursor = batch[-1].id if more else latest
    return feed_data(batch, cursor, staff, more=more)


def mentioned_proposals(changes: list[Change]) -> set[int]:
    """The proposals a batch touches: each change's own, and a merge's target ("into")."""
    ids = {c.proposal_id for c in changes if c.proposal_id}
    ids |= {int(c.payload["into"]) for c in changes
            if c.payload and str(c.payload.get("into", "")).isdigit()}
    return ids


# --- back-ends ----------------------------------------------------------------------------------

class Broker:
    """The interface: announce commits, wait for news, say whether the back-end is healthy."""

    name = "base"

    def publish(self, event_ids: Iterable[int]) -> None:
        raise NotImplementedError

    def wait(self, event_ids: set[int], timeout: float) -> set[int]:
        """Block up to ``timeout`` s; return the watched events that may have news."""
        raise NotImplementedError

    def ping(self) -> bool:
        raise NotImplementedError

    def close(self) -> None:
        pass


class DatabaseBroker(Broker):
    """The change table alone: look every DB_POLL_S seconds; the commit is the message."""

    name = "database"

    def __init__(self, app: Flask):
        self.app = app

    def publish(self, event_ids: Iterable[int]) -> None:
        return None

    def wait(self, event_ids: set[int], timeout: float) -> set[int]:
        time.sleep(min(DB_POLL_S, timeout))
        return set(event_ids)

    def ping(self) -> bool:
        try:
            with self.app.app_context():
                db.session.execute(sa.text("SELECT 1"))
                db.session.remove()
            return True
        except Exception:  # noqa: BLE001 - a health check answers, it does not raise
            return False


class RedisBroker(DatabaseBroker):
    """Redis pub/sub for the wake-up, the database for the truth (and as the fallback)."""

    name = "redis"

    def __init__(self, app: Flask, url: str):
        super().__init__(app)
        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
        self.pubsub = None
        self.last_look = 0.0
        self.down_until = 0.0

    def publish(self, event_ids: Iterable[int]) -> None:
        try:
            for event_id in event_ids:
                self.client.publish(CHANNEL.format(event_id=event_id), "1")
        except redis.RedisError:  # only a wake-up: the hubs' safety look still finds it
            logger.warning("Redis publish failed", exc_info=True)

    def _subscribed(self):
        if self.pubsub is None:
            self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            self.pubsub.psubscribe(CHANNEL.format(event_id="*"))
        return self.pubsub

    def wait(self, event_ids: set[int], timeout: float) -> set[int]:
        now = time.monotonic()
        if now < self.down_until:  # Redis is away: behave like the database back-end
            return super().wait(event_ids, timeout)
        if now - self.last_look >= REDIS_SAFETY_S:
            self.last_look = now
            return set(event_ids)
        try:
            message = self._subscribed().get_message(timeout=min(timeout, REDIS_SAFETY_S))
            woken = set()
            while message is not None:  # drain what arrived together
                if message.get("type") == "pmessage":
                    woken.add(int(message["channel"].rsplit(b":", 1)[1]))
                message = self.pubsub.get_message(timeout=0)
            return woken & event_ids
        except (redis.RedisError, OSError, ValueError):
            logger.warning("Redis subscription failed; polling the table", exc_info=True)
            self.close()
            self.down_until = time.monotonic() + REDIS_RETRY_S
            return set(event_ids)

    def ping(self) -> bool:
        try:
            return bool(self.client.ping()) and super().ping()
        except redis.RedisError:
            return False

    def close(self) -> None:
        if self.pubsub is not None:
            try:
                self.pubsub.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
            self.pubsub = None


def make_broker(app: Flask) -> Broker:
    url = app.config.get("REDIS_URL")
    return RedisBroker(app, url) if url else DatabaseBroker(app)


def broker_for(app: Flask) -> Broker:
    """The app's broker, made on first use (after gunicorn forked, so no shared sockets)."""
    state = app.extensions.setdefault("live", {})
    if "broker" not in state:
        state["broker"] = make_broker(app)
    return state["broker"]


# --- the hub: one watcher per process, shared batches for every open stream -------------------

@dataclass
class Batch:
    """New changes of one event, read once; each stream takes its share as SSE text."""

    event_id: int
    cursor: int
    changes: list[dict]
    states: dict[bool, dict[int, dict]]
    _texts: dict = field(default_factory=dict)

    def text_for(self, track_id: Optional[int], staff: bool, skip: set[int]) -> Optional[str]:
        """The SSE message for one stream, or None when nothing in it concerns the stream."""
        changes = [c for c in self.changes if c["id"] not in skip and (
            track_id is None or c["track_id"] in (None, track_id))]
        if not changes:
            return None
        key = (track_id, staff, len(changes))
        if key not in self._texts:
            states = self.states[staff]
            proposals = {pid: states[pid] for pid in {c["proposal_id"] for c in changes}
                         if pid in states}
            data = {"cursor": self.cursor, "more": False, "reset": False, "changes": changes,
                    "proposals": proposals}
            self._texts[key] = sse_message(self.cursor, data)
        return self._texts[key]


def sse_message(cursor: int, data: dict) -> str:
    return f"id: {cursor}\nevent: changes\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


class Subscription:
    def __init__(self, hub: "Hub", event_id: int):
        self.hub, self.event_id = hub, event_id
        self.queue: queue.Queue = queue.Queue()

    def get(self, timeout: float) -> Optional[Batch]:
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self.hub.unsubscribe(self)


class Hub:
    """Fans each event's new changes out to the streams open in this process."""

    def __init__(self, app: Flask):
        self.app = app
        self.lock = threading.Lock()
        self.subscribers: dict[int, set[Subscription]] = {}
        self.cursors: dict[int, int] = {}
        self.thread: Optional[threading.Thread] = None

    @property
    def open_streams(self) -> int:
        with self.lock:
            return sum(len(s) for s in self.subscribers.values())

    def subscribe(self, event_id: int) -> Subscription:
        """Register a stream; call inside a request (it reads the event's position)."""
        subscription = Subscription(self, event_id)
        position = None if event_id in self.cursors else latest_cursor(event_id)
        with self.lock:
            if event_id not in self.cursors:
                self.cursors[event_id] = position
            self.subscribers.setdefault(event_id, set()).add(subscription)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="live-hub", daemon=True)
                self.thread.start()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self.lock:
            subs = self.subscribers.get(subscription.event_id)
            if subs is not None:
                subs.discard(subscription)
                if not subs:
                    del self.subscribers[subscription.event_id]
                    self.cursors.pop(subscription.event_id, None)

    def _run(self) -> None:
        broker = broker_for(self.app)
        while True:
            with self.lock:
                watched = set(self.subscribers)
                if not watched:  # the last stream closed: stop; the next one starts a watcher
                    self.thread = None
                    return
            try:
                for event_id in broker.wait(watched, timeout=REDIS_SAFETY_S):
                    self._deliver(event_id)
            except Exception:  # noqa: BLE001 - the watcher must outlive a database hiccup
                logger.exception("live hub: reading changes failed")
                time.sleep(1.0)

    def _deliver(self, event_id: int) -> None:
        with self.app.app_context():
            try:
                for _page in range(50):  # bounded: at most 50 x MAX_BATCH changes at once
                    cursor = self.cursors.get(event_id)
                    if cursor is None or latest_cursor(event_id) == cursor:
                        return
                    rows = changes_since(event_id, cursor)
                    if not rows:
                        return
                    ids = {c.proposal_id for c in rows if c.proposal_id}
                    batch = Batch(event_id, rows[-1].id, [serialise(c) for c in rows],
                                  {False: proposal_states(ids, False),
                                   True: proposal_states(ids, True)})
                    with self.lock:
                        if event_id not in self.cursors:
                            return
                        self.cursors[event_id] = batch.cursor
                        targets = list(self.subscribers.get(event_id, ()))
                    for subscription in targets:
                        subscription.queue.put(batch)
                    if len(rows) < MAX_BATCH:
                        return
            finally:
                db.session.remove()


def hub_for(app: Flask) -> Hub:
    """The app's hub (one per process); pass the real app, not the current_app proxy."""
    state = app.extensions.setdefault("live", {})
    if "hub" not in state:
        state["hub"] = Hub(app)
    return state["hub"]


# --- announcing commits -------------------------------------------------------------------------

def _remember_events(session: Session, flush_context) -> None:
    touched = session.info.setdefault("live_touched_events", set())
    touched.update(obj.event_id for obj in session.new if isinstance(obj, Change))


def _forget(session: Session) -> None:
    session.info.pop("live_touched_events", None)


def _announce_after_commit(session: Session) -> None:
    """After the commit, tell the broker which events changed (best effort)."""
    events = session.info.pop("live_touched_events", set())
    if not events:
        return
    try:
        app = current_app._get_current_object()
    except RuntimeError:  # no app context (a bare script): nobody to tell
        return
    broker_for(app).publish(events)


def init_app(app: Flask) -> None:
    """Install the session hooks once per process."""
    if getattr(init_app, "installed", False):
        return
    sa_event.listen(Session, "after_flush", _remember_events)
    sa_event.listen(Session, "after_commit", _announce_after_commit)
    sa_event.listen(Session, "after_rollback", _forget)
    init_app.installed = True
