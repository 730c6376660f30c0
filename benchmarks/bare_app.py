"""The bare ceiling of this stack for `make bench`: Flask + gunicorn + SQLite (WAL), no app.

Served with the same gunicorn settings as the app (gunicorn.conf.py), it answers what the
stack itself can do, so each figure of the app comes with a baseline measured in the same run:
  POST /support   form user=<id>&proposal=<id>: insert the (user, proposal) row, bump the
                  proposal's counter and append a change row, in one short transaction;
                  answers {"change": id}
  GET  /changes   the newest change id as an ETag: 304 when the client's tag is current
  GET  /stream    server-sent events: one watcher per worker reads max(id) every 200 ms and
                  wakes every open stream, which sends the new change ids
BARE_DB names the SQLite file; `python -m benchmarks.bare_app init PATH` creates it. With
BARE_POSTGRES (a postgresql:// URL) POST /support writes to PostgreSQL instead, with plain psycopg:
the support, the counter and the change in one autocommitted statement of data-modifying CTEs,
as the app's support does there (init_postgres creates the tables).
"""
import json
import os
import queue
import sqlite3
import sys
import threading
import time

from flask import Flask, Response, request

SCHEMA = """
CREATE TABLE IF NOT EXISTS proposals (id INTEGER PRIMARY KEY, support_count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS supports (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL,
    proposal_id INTEGER NOT NULL, UNIQUE (user_id, proposal_id));
CREATE TABLE IF NOT EXISTS changes (id INTEGER PRIMARY KEY, proposal_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS track_proposals (id INTEGER PRIMARY KEY, track_id INTEGER NOT NULL,
    title TEXT NOT NULL, body TEXT NOT NULL, author TEXT NOT NULL, is_pinned INTEGER NOT NULL,
    support_count INTEGER NOT NULL, comment_count INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS track_order ON track_proposals
    (track_id, is_pinned DESC, support_count DESC, id DESC);
CREATE TABLE IF NOT EXISTS track_supports (user_id INTEGER NOT NULL, proposal_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, proposal_id));
"""
TRACK_PAGE = """<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Трек</title></head>
<body><main><h1>Трек {{ track }}</h1><p>Предложений: {{ total }}</p><ol>
{% for p in rows %}<li><article><h2><a href="/proposals/{{ p[0] }}">{{ p[1] }}</a></h2>
<p>{{ p[2][:300] }}</p><p>{{ p[3] }} · поддержали {{ p[4] }} · комментариев {{ p[5] }}</p>
<form method="post" action="/proposals/{{ p[0] }}/support"><button>{{ "Отозвать" if p[0] in mine
else "Поддержать" }}</button></form></article></li>{% endfor %}</ol>
<nav>{% for n in range(1, pages + 1) if n < 8 or n == pages %}<a href="?page={{ n }}">{{ n }}</a>
{% endfor %}</nav></main></body></html>"""
WATCH_S = 0.2
STREAM_SECONDS = 300
app = Flask(__name__)
_local = threading.local()


def connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=15, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def db() -> sqlite3.Connection:
    if getattr(_local, "conn", None) is None:
        _local.conn = connect(os.environ["BARE_DB"])
    return _local.conn


def init(path: str, proposals: int = 200) -> None:
    conn = connect(path)
    conn.executescript(SCHEMA)
    conn.executemany("INSERT OR IGNORE INTO proposals (id, support_count) VALUES (?, 0)",
                     [(i,) for i in range(1, proposals + 1)])
    conn.close()


def latest() -> int:
    return db().execute("SELECT coalesce(max(id), 0) FROM changes").fetchone()[0]


PG_SCHEMA = """
DROP TABLE IF EXISTS bare_supports, bare_proposals, bare_changes;
CREATE TABLE bare_proposals (id integer PRIMARY KEY, support_count integer NOT NULL);
CREATE TABLE bare_supports (id serial PRIMARY KEY, user_id integer NOT NULL,
    proposal_id integer NOT NULL, UNIQUE (user_id, proposal_id));
CREATE TABLE bare_changes (id serial PRIMARY KEY, proposal_id integer NOT NULL);
"""
PG_SUPPORT = """
WITH s AS (INSERT INTO bare_supports (user_id, proposal_id) VALUES (%s, %s)
           RETURNING proposal_id),
     p AS (UPDATE bare_proposals SET support_count = support_count + 1
           WHERE id IN (SELECT proposal_id FROM s) RETURNING id),
     c AS (INSERT INTO bare_changes (proposal_id) SELECT id FROM p RETURNING id)
SELECT id FROM c"""
PG_POOL_SIZE = 16  # per worker; the app's own pool is about as large
_pg_pool: "queue.Queue | None" = None


def init_postgres(url: str, proposals: int = 200) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(PG_SCHEMA)
        with conn.cursor() as cursor:
            cursor.executemany("INSERT INTO bare_proposals VALUES (%s, 0)",
                               [(i,) for i in range(1, proposals + 1)])


def pg_connection():
    """A connection of the worker's small pool (a gevent queue under gevent)."""
    global _pg_pool
    import psycopg

    if _pg_pool is None:
        _pg_pool = queue.Queue()
        for _ in range(PG_POOL_SIZE):
            _pg_pool.put(psycopg.connect(os.environ["BARE_POSTGRES"], autocommit=True))
    return _pg_pool.get()


def support_postgres(user: int, proposal: int):
    import psycopg

    conn = pg_connection()
    try:
        change = conn.execute(PG_SUPPORT, (user, proposal)).fetchone()[0]
    except psycopg.errors.UniqueViolation:
        return {"error": "already supported"}, 409
    finally:
        _pg_pool.put(conn)
    return {"change": change}


@app.post("/support")
def support():
    user, proposal = int(request.form["user"]), int(request.form["proposal"])
    if os.environ.get("BARE_POSTGRES"):
        return support_postgres(user, proposal)
    conn = db()
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("INSERT INTO supports (user_id, proposal_id) VALUES (?, ?)", (user, proposal))
        conn.execute("UPDATE proposals SET support_count = support_count + 1 WHERE id = ?",
                     (proposal,))
        change = conn.execute("INSERT INTO changes (proposal_id) VALUES (?)",
                              (proposal,)).lastrowid
        conn.execute("COMMIT")
    except sqlite3.IntegrityError:
        conn.execute("ROLLBACK")
        return {"error": "already supported"}, 409
    return {"change": change}


def fill_track(path: str, proposals: list[tuple], supports: list[tuple]) -> None:
    """The track page's twin data: (id, track_id, title, body, author, support_count) rows and
    (user_id, proposal_id) supports, the same sizes as the app's."""
    conn = connect(path)
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO track_proposals VALUES (?, ?, ?, ?, ?, 0, ?, 0)", proposals)
    conn.executemany("INSERT INTO track_supports VALUES (?, ?)", supports)
    conn.execute("COMMIT")
    conn.close()


@app.get("/track")
def track():
    """One page of 20 of a track's proposals by support, its total, the reader's supports
    among them, rendered with Jinja: what the app's track page does, in plain SQL."""
    page = max(1, request.args.get("page", type=int) or 1)
    user = request.args.get("user", type=int) or 0
    conn = db()
    total = conn.execute("SELECT count(*) FROM track_proposals WHERE track_id = 1").fetchone()[0]
    rows = conn.execute(
        "SELECT id, title, body, author, support_count, comment_count FROM track_proposals "
        "WHERE track_id = 1 ORDER BY is_pinned DESC, support_count DESC, id DESC "
        "LIMIT 20 OFFSET ?", ((page - 1) * 20,)).fetchall()
    ids = [r[0] for r in rows]
    mine = {r[0] for r in conn.execute(
        f"SELECT proposal_id FROM track_supports WHERE user_id = ? AND proposal_id IN "
        f"({','.join('?' * len(ids))})", (user, *ids))} if ids else set()
    return track_template().render(track=1, total=total, rows=rows, mine=mine,
                                   pages=(total + 19) // 20)


_templates: dict = {}


def track_template():
    """Compiled once per process, as Flask's loader caches the app's templates."""
    if "track" not in _templates:
        _templates["track"] = app.jinja_env.from_string(TRACK_PAGE)
    return _templates["track"]


@app.get("/changes")
def changes():
    since = request.args.get("since", type=int) or 0
    newest = latest()
    etag = f'"{newest}"'
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers={"ETag": etag})
    rows = db().execute("SELECT id, proposal_id FROM changes WHERE id > ? ORDER BY id LIMIT 200",
                        (since,)).fetchall()
    body = {"cursor": rows[-1][0] if rows else newest, "changes": [list(r) for r in rows]}
    return Response(json.dumps(body), mimetype="application/json", headers={"ETag": etag})


class Watcher:
    """One reader of the change table per worker: it reads new ids once for every stream."""

    def __init__(self):
        self.cond = threading.Condition()
        self.newest = None
        self.recent: list[int] = []
        self.thread = None

    def ensure(self):
        with self.cond:
            if self.thread is None:
                self.newest = latest()
                self.thread = threading.Thread(target=self.run, daemon=True)
                self.thread.start()

    def run(self):
        conn = connect(os.environ["BARE_DB"])
        while True:
            time.sleep(WATCH_S)
            rows = conn.execute("SELECT id FROM changes WHERE id > ? ORDER BY id",
                                (self.newest,)).fetchall()
            if rows:
                with self.cond:
                    self.recent = (self.recent + [r[0] for r in rows])[-1000:]
                    self.newest = rows[-1][0]
                    self.cond.notify_all()


watcher = Watcher()


@app.get("/stream")
def stream():
    watcher.ensure()
    cursor = watcher.newest

    def generate():
        nonlocal cursor
        yield "retry: 1000\n\n"
        deadline = time.monotonic() + STREAM_SECONDS
        while time.monotonic() < deadline:
            with watcher.cond:
                watcher.cond.wait_for(lambda: watcher.newest != cursor, timeout=15)
                new = [i for i in watcher.recent if i > cursor]
            if not new:
                yield ": ping\n\n"
                continue
            cursor = new[-1]
            yield f"id: {cursor}\nevent: changes\ndata: {json.dumps(new)}\n\n"

    return Response(generate(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache"})


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "init":
    init(sys.argv[2])
