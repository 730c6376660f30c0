"""The whole app under a hall's load, over real HTTP: gunicorn with 4 workers on 127.0.0.1,
the seeded demo (SQLite in a temporary directory; TEST_DATABASE_URL for PostgreSQL), and
participants who joined through the real /join form, each with its own cookies and CSRF token.

Phases:
  1. supports  - N participants each support up to K proposals at once ("vote now!"):
                 req/s, p50/p95/p99, errors; then support_count == support rows, from the DB.
  2. live poll - S open screens poll /events/<id>/feed with If-None-Match every 1.5 s (as
                 static/js/live.js does) while a writer adds a support every 0.5 s: req/s,
                 p50/p99, and the delay from a support to the first poll of each screen that
                 sees it; then a short closed-loop burst of 304 polls (capacity).
  3. pages     - C clients load a track page as fast as they can: req/s, p95.

Prints one JSON line per figure: {"figure", "value", "unit", "baseline", "ratio", "note"}.
Baselines come from /work/shared/FACTS.md where one exists (wrk on the same machine); targets
(e.g. 2.0 s for the live delay) where FACTS.md has none; null otherwise.
The load generator is Python (threads + http.client keep-alive) in this process on the same
2-core machine as the server, so it takes CPU the server would otherwise have; every note says
how many cores it used during that phase. Every loop is bounded in count and in time.

Run: python -m benchmarks.bench_app [--quick]
"""
import argparse
import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests import servers  # noqa: E402  (the project's own helper: seed + gunicorn)

EVENT_CODE = "BAIKAL26"
HOST = "127.0.0.1"
POLL_INTERVAL = 1.5
WRITE_INTERVAL = 0.5

# From /work/shared/FACTS.md (one run each, wrk 2 threads on the same 2-core machine).
FACTS_WRITE_RPS, FACTS_WRITE_P50_MS, FACTS_WRITE_P99_MS = 1444.0, 68.0, 133.0
FACTS_POLL_RPS, FACTS_POLL_P99_MS = 3051.0, 87.0
LIVE_DELAY_TARGET_S = 2.0

FULL = {"participants": 200, "supports_each": 20, "screens": 300, "live_seconds": 20.0,
        "capacity_clients": 100, "capacity_seconds": 6.0, "page_clients": 50,
        "page_seconds": 10.0}
QUICK = {"participants": 60, "supports_each": 10, "screens": 100, "live_seconds": 8.0,
         "capacity_clients": 50, "capacity_seconds": 3.0, "page_clients": 20,
         "page_seconds": 4.0}

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
SERVER_PATTERNS = {"tracebacks": "Traceback", "database_locked": "database is locked",
                   "unhandled": "Unhandled error", "worker_timeout": "WORKER TIMEOUT"}


# --- a tiny keep-alive HTTP client with its own cookie jar ---------------------------------

class Response:
    __slots__ = ("status", "headers", "body", "seconds", "sent", "received")

    def __init__(self, status, headers, body, sent, received):
        self.status, self.headers, self.body = status, headers, body
        self.sent, self.received, self.seconds = sent, received, received - sent


class Client:
    """One browser: one keep-alive connection (reopened if the server closed it) and cookies."""

    def __init__(self, port: int, timeout: float = 30.0):
        self.port, self.timeout = port, timeout
        self.conn = None
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.reconnects = 0

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _store_cookies(self, msg) -> None:
        for header in msg.get_all("Set-Cookie") or []:
            first, _, attrs = header.partition(";")
            name, _, value = first.strip().partition("=")
            if "max-age=0" in attrs.lower() or "1970" in attrs:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> Response:
        hdrs = {"Host": f"{HOST}:{self.port}", "Accept-Language": "ru"}
        hdrs.update(headers or {})
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            reused = self.conn.sock is not None
            sent = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                resp = self.conn.getresponse()
                data = resp.read()
            except (http.client.RemoteDisconnected, http.client.CannotSendRequest,
                    http.client.BadStatusLine, ConnectionResetError, BrokenPipeError):
                self.close()
                # The server closed an idle keep-alive connection before reading the request:
                # it was never processed, so send it once more (as browsers do).
                if attempt == 0 and reused:
                    self.reconnects += 1
                    continue
                raise
            received = time.perf_counter()
            self._store_cookies(resp.msg)
            if resp.will_close:
                self.close()
            return Response(resp.status, resp.msg, data, sent, received)
        raise RuntimeError("unreachable")

    def get(self, path: str, headers: dict | None = None) -> Response:
        return self.request("GET", path, headers=headers)

    def post_form(self, path: str, fields: dict) -> Response:
        body = urllib.parse.urlencode(fields).encode()
        return self.request("POST", path, body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded"})


def csrf_from(html: bytes) -> str:
    match = CSRF_META.search(html.decode("utf-8", "replace"))
    if not match:
        raise RuntimeError("no <meta name=csrf-token> on the page")
    return match.group(1)


def join(port: int, i: int) -> tuple[Client, float]:
    """GET /join, POST /join with the event code, GET /welcome: a signed-in participant."""
    client = Client(port)
    started = time.perf_counter()
    page = client.get("/join")
    if page.status != 200:
        raise RuntimeError(f"GET /join -> {page.status}")
    posted = client.post_form("/join", {
        "csrf_token": csrf_from(page.body), "event_code": EVENT_CODE,
        "display_name": f"Участник нагрузки {i}", "library": f"Библиотека №{i % 40 + 1}",
        "municipality": f"Район {i % 25 + 1}", "consent_public_affiliation": "y"})
    if posted.status != 302 or "/welcome" not in (posted.headers.get("Location") or ""):
        raise RuntimeError(f"POST /join -> {posted.status}")
    welcome = client.get("/welcome")
    if welcome.status != 200:
        raise RuntimeError(f"GET /welcome -> {welcome.status}")
    client.csrf = csrf_from(welcome.body)
    client.close()  # the phases open their own connection when they start
    return client, time.perf_counter() - started


def support(client: Client, event_id: int, proposal_id: int) -> Response:
    return client.request("POST", f"/events/{event_id}/proposals/{proposal_id}/support",
                          body=b"", headers={"Accept": "application/json",
                                             "X-CSRFToken": client.csrf,
                                             "Content-Length": "0"})


# --- figures ---------------------------------------------------------------------------------

def pct(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile, q in [0, 100]."""
    if not values:
        return None
    s = sorted(values)
    pos = (len(s) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def emit(figure: str, value, unit: str, baseline=None, note: str = "", **extra) -> None:
    if isinstance(value, float):
        value = round(value, 4)
    ratio = None
    if baseline not in (None, 0) and value is not None:
        ratio = round(value / baseline, 4)
    line = {"figure": figure, "value": value, "unit": unit, "baseline": baseline,
            "ratio": ratio}
    line.update(extra)
    if note:
        line["note"] = note
    print(json.dumps(line, ensure_ascii=False), flush=True)


def tree_cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of a process and its children (the gunicorn workers)."""
    if not pid:
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:  # fields[1] is the parent pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


class CpuMeter:
    """Cores this process (the load generator) and the server used during a phase."""

    server_pid: int | None = None

    def __enter__(self):
        t = os.times()
        self.cpu, self.wall = t.user + t.system, time.perf_counter()
        self.server = tree_cpu_seconds(self.server_pid)
        return self

    def __exit__(self, *exc):
        t = os.times()
        wall = max(time.perf_counter() - self.wall, 1e-9)
        self.cores = (t.user + t.system - self.cpu) / wall
        self.server_cores = (tree_cpu_seconds(self.server_pid) - self.server) / wall
        return False

    def note(self) -> str:
        return (f"load generator: Python threads + http.client in the same process, on the same "
                f"{os.cpu_count()}-core machine as the server (unlike wrk in FACTS.md); it used "
                f"{self.cores:.2f} cores during this phase, the server {self.server_cores:.2f}")


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000.0


# --- the server, with its output drained -----------------------------------------------------

class ServerLog:
    """Counts the lines that matter in the server's log (served_app writes it to a file)."""

    def __init__(self, path: Path):
        self.path = path
        self.counts = Counter()
        self.samples: list[str] = []

    def read(self) -> None:
        if not self.path.exists():
            return
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            for key, needle in SERVER_PATTERNS.items():
                if needle in line:
                    self.counts[key] += 1
                    if len(self.samples) < 20:
                        self.samples.append(line.strip()[:300])


@contextmanager
def running_app(tmp_dir: Path, workers: int):
    """tests/servers.served_app (seed + gunicorn), killed whatever happens."""
    started: list[subprocess.Popen] = []
    log = ServerLog(tmp_dir / "server.log")
    with servers.served_app(tmp_dir, workers=workers, on_start=started.append) as base:
        try:
            CpuMeter.server_pid = started[0].pid if started else None
            yield base, log
        finally:
            for process in started:
                if process.poll() is None:
                    process.terminate()


def database_url(tmp_dir: Path) -> str:
    # The URL served_app used; not database_url_for() again: on PostgreSQL it empties the schema.
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_dir / 'served.sqlite'}"


# --- phase 1: supports -----------------------------------------------------------------------

def phase_supports(port, event_id, proposal_ids, clients, per_person, rng):
    plans = [rng.sample(proposal_ids, min(per_person, len(proposal_ids))) for _ in clients]
    latencies: list[float] = []
    statuses = Counter()
    failures = Counter()
    lock = threading.Lock()
    gate = threading.Barrier(len(clients) + 1)
    deadline_box = {}

    def person(client: Client, plan: list[int]) -> None:
        try:
            gate.wait(timeout=60)
        except threading.BrokenBarrierError:
            return
        mine, codes, bad = [], Counter(), Counter()
        for pid in plan:  # bounded: len(plan) requests, and a wall-clock deadline
            if time.perf_counter() > deadline_box["t"]:
                bad["deadline"] += 1
                break
            try:
                r = support(client, event_id, pid)
            except Exception as exc:  # timeouts, refused connections
                bad[type(exc).__name__] += 1
                continue
            mine.append(r.seconds)
            codes[r.status] += 1
            if r.status != 200:
                body = r.body[:200].decode("utf-8", "replace")
                bad[f"{r.status}: {body}"] += 1
        client.close()
        with lock:
            latencies.extend(mine)
            statuses.update(codes)
            failures.update(bad)

    threads = [threading.Thread(target=person, args=(c, p), daemon=True)
               for c, p in zip(clients, plans)]
    for t in threads:
        t.start()
    with CpuMeter() as cpu:
        deadline_box["t"] = time.perf_counter() + 120
        started = time.perf_counter()
        gate.wait(timeout=60)
        for t in threads:
            t.join(timeout=max(0.1, deadline_box["t"] + 35 - time.perf_counter()))
        wall = time.perf_counter() - started
    attempted = sum(len(p) for p in plans)
    return {"latencies": latencies, "statuses": statuses, "failures": failures, "wall": wall,
            "attempted": attempted, "cpu": cpu}


def verify_counts(url: str, event_id: int) -> dict:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT p.id, p.support_count, "
                "(SELECT count(*) FROM supports s WHERE s.proposal_id = p.id) "
                "FROM proposals p WHERE p.event_id = :e"), {"e": event_id}).all()
            changes = conn.execute(sa.text(
                "SELECT count(*) FROM changes WHERE event_id = :e AND kind = 'support'"),
                {"e": event_id}).scalar()
            supports = conn.execute(sa.text("SELECT count(*) FROM supports")).scalar()
            dup = conn.execute(sa.text(
                "SELECT count(*) FROM (SELECT proposal_id, user_id FROM supports "
                "GROUP BY proposal_id, user_id HAVING count(*) > 1) d")).scalar()
    finally:
        engine.dispose()
    wrong = [(pid, count, real) for pid, count, real in rows if count != real]
    return {"proposals": len(rows), "wrong": wrong, "supports": supports,
            "support_changes": changes, "duplicates": dup}


# --- phase 2: live poll ----------------------------------------------------------------------

def latest_change(url: str, event_id: int) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM changes "
                                        "WHERE event_id = :e"), {"e": event_id}).scalar()
    finally:
        engine.dispose()


def phase_live(port, event_id, proposal_ids, writers, screens, seconds, cursor0):
    """Screens poll like static/js/live.js; a writer supports a proposal every 0.5 s."""
    stop_at = time.perf_counter() + seconds
    write_until = stop_at - 2 * POLL_INTERVAL  # leave time for every screen to see the last
    written: dict[int, float] = {}  # proposal id -> when the support was sent (button press)
    written_lock = threading.Lock()
    writer_result = {"ok": 0, "errors": Counter()}
    poll_lat: list[float] = []
    delays: list[float] = []
    seen_pairs = Counter()
    statuses = Counter()
    failures = Counter()
    lock = threading.Lock()
    # A proposal is written at most once in this phase, so a change's proposal id names its write.
    plan = [(writers[i // len(proposal_ids)], proposal_ids[i % len(proposal_ids)])
            for i in range(min(len(writers) * len(proposal_ids),
                               int(seconds / WRITE_INTERVAL) + 1))]

    def writer():
        next_at = time.perf_counter() + WRITE_INTERVAL
        for client, pid in plan:  # bounded by the plan and by the clock
            delay = next_at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            if time.perf_counter() > write_until:
                break
            sent = time.perf_counter()
            with written_lock:
                written[pid] = sent
            try:
                r = support(client, event_id, pid)
                if r.status == 200:
                    writer_result["ok"] += 1
                else:
                    writer_result["errors"][r.status] += 1
                    with written_lock:
                        written.pop(pid, None)
            except Exception as exc:
                writer_result["errors"][type(exc).__name__] += 1
                with written_lock:
                    written.pop(pid, None)
            next_at += WRITE_INTERVAL

    def screen(index: int):
        client = Client(port, timeout=15)
        cursor, etag = cursor0, None
        lat, mine, codes, bad, seen = [], [], Counter(), Counter(), 0
        next_at = time.perf_counter() + POLL_INTERVAL * index / max(screens, 1)
        max_polls = int(seconds / POLL_INTERVAL * 4) + 20
        for _ in range(max_polls):  # bounded in count and by the clock
            wait = next_at - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            if time.perf_counter() >= stop_at:
                break
            headers = {"Accept": "application/json"}
            if etag:
                headers["If-None-Match"] = etag
            more = False
            try:
                r = client.get(f"/events/{event_id}/feed?since={cursor}", headers)
            except Exception as exc:
                bad[type(exc).__name__] += 1
                next_at = time.perf_counter() + POLL_INTERVAL * 2
                continue
            lat.append(r.seconds)
            codes[r.status] += 1
            if r.status == 200:
                etag = r.headers.get("ETag")
                data = json.loads(r.body)["data"]
                with written_lock:
                    known = dict(written)
                if not data["changes"]:
                    codes["200_empty"] += 1
                for change in data["changes"]:
                    if change.get("kind") == "support" and change.get("proposal_id") in known:
                        mine.append(r.received - known[change["proposal_id"]])
                        seen += 1
                cursor, more = data["cursor"], data["more"]
            elif r.status != 304:
                bad[f"{r.status}"] += 1
            next_at = time.perf_counter() if more else r.sent + POLL_INTERVAL
        client.close()
        with lock:
            poll_lat.extend(lat)
            delays.extend(mine)
            statuses.update(codes)
            failures.update(bad)
            seen_pairs[index] = seen

    with CpuMeter() as cpu:
        started = time.perf_counter()
        threads = [threading.Thread(target=screen, args=(i,), daemon=True)
                   for i in range(screens)]
        threads.append(threading.Thread(target=writer, daemon=True))
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=max(0.1, stop_at + 20 - time.perf_counter()))
        wall = time.perf_counter() - started
    expected = writer_result["ok"] * screens
    return {"latencies": poll_lat, "delays": delays, "statuses": statuses,
            "failures": failures, "wall": wall, "writes": writer_result,
            "seen": sum(seen_pairs.values()), "expected_seen": expected, "cpu": cpu}


def phase_closed_loop(port, clients, seconds, path, headers_for, ok_status):
    """Each client sends its next request as soon as the last answer arrived, for `seconds`."""
    latencies, statuses, failures = [], Counter(), Counter()
    lock = threading.Lock()
    stop_box = {}
    gate = threading.Barrier(len(clients) + 1)

    def loop(client: Client):
        try:
            gate.wait(timeout=30)
        except threading.BrokenBarrierError:
            return
        lat, codes, bad = [], Counter(), Counter()
        for _ in range(100_000):  # bounded in count and by the clock
            if time.perf_counter() >= stop_box["t"]:
                break
            try:
                r = client.get(path, headers_for(client))
            except Exception as exc:
                bad[type(exc).__name__] += 1
                continue
            lat.append(r.seconds)
            codes[r.status] += 1
            if r.status != ok_status:
                bad[str(r.status)] += 1
        client.close()
        with lock:
            latencies.extend(lat)
            statuses.update(codes)
            failures.update(bad)

    threads = [threading.Thread(target=loop, args=(c,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    with CpuMeter() as cpu:
        stop_box["t"] = time.perf_counter() + seconds
        started = time.perf_counter()
        gate.wait(timeout=30)
        for t in threads:
            t.join(timeout=max(0.1, stop_box["t"] + 35 - time.perf_counter()))
        wall = time.perf_counter() - started
    return {"latencies": latencies, "statuses": statuses, "failures": failures, "wall": wall,
            "cpu": cpu}


# --- main ------------------------------------------------------------------------------------

def run(cfg: dict, seed: int) -> int:
    rng = random.Random(seed)
    t_start = time.perf_counter()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench_app_") as tmp:
        tmp_dir = Path(tmp)
        url = database_url(tmp_dir)
        with running_app(tmp_dir, workers=4) as (base, log):
            port = int(base.rsplit(":", 1)[1])
            engine = sa.create_engine(url)
            try:
                with engine.connect() as conn:
                    event_id = conn.execute(sa.text("SELECT id FROM events WHERE code = :c"),
                                            {"c": EVENT_CODE}).scalar_one()
                    proposal_ids = list(conn.execute(sa.text(
                        "SELECT id FROM proposals WHERE event_id = :e AND status = 'published' "
                        "ORDER BY id"), {"e": event_id}).scalars())
                    track_slug = conn.execute(sa.text(
                        "SELECT slug FROM tracks WHERE event_id = :e ORDER BY position, id "
                        "LIMIT 1"), {"e": event_id}).scalar_one()
            finally:
                engine.dispose()

            # Participants through the real form, 16 at a time.
            n_writers = 2
            total = cfg["participants"] + n_writers
            joined, join_secs, join_errors = [], [], Counter()
            with CpuMeter() as join_cpu, ThreadPoolExecutor(16) as pool:
                started = time.perf_counter()
                futures = [pool.submit(join, port, i) for i in range(total)]
                for future in futures:
                    try:
                        client, secs = future.result(timeout=120)
                        joined.append(client)
                        join_secs.append(secs)
                    except Exception as exc:
                        join_errors[str(exc)[:120]] += 1
                join_wall = time.perf_counter() - started
            emit("joins_per_s", len(joined) / join_wall, "participants/s", None,
                 f"GET /join + POST /join + GET /welcome per participant, 16 at a time; "
                 f"{join_cpu.note()}", joined=len(joined), errors=sum(join_errors.values()),
                 p95_ms=round(ms(pct(join_secs, 95)) or 0, 1))
            if join_errors:
                print(json.dumps({"join_errors": dict(join_errors)}, ensure_ascii=False))
            if len(joined) < n_writers + 1:
                raise RuntimeError("too few participants joined")
            writers, people = joined[:n_writers], joined[n_writers:]

            # 1. supports: the burst after "vote now".
            s = phase_supports(port, event_id, proposal_ids, people, cfg["supports_each"], rng)
            ok = s["statuses"][200]
            done = len(s["latencies"])
            errors = s["attempted"] - ok
            note = (f"{len(people)} participants x {cfg['supports_each']} proposals, all at "
                    f"once, one keep-alive connection each (FACTS.md: bare insert route, wrk 100 "
                    f"connections); {s['cpu'].note()}")
            emit("supports_req_per_s", done / s["wall"], "req/s", FACTS_WRITE_RPS, note,
                 requests=done, wall_s=round(s["wall"], 2))
            emit("supports_p50", ms(pct(s["latencies"], 50)), "ms", FACTS_WRITE_P50_MS, note)
            emit("supports_p95", ms(pct(s["latencies"], 95)), "ms", None,
                 "FACTS.md gives p50 and p99 only")
            emit("supports_p99", ms(pct(s["latencies"], 99)), "ms", FACTS_WRITE_P99_MS, note)
            emit("supports_errors", errors, "requests", 0,
                 "any answer but 200 (or none) to a first support of a proposal",
                 attempted=s["attempted"], statuses={str(k): v for k, v in s["statuses"].items()},
                 failures=dict(s["failures"].most_common(8)))
            v = verify_counts(url, event_id)
            exact = int(not v["wrong"] and not v["duplicates"])
            emit("support_counts_exact", exact, "bool", 1,
                 "every proposal's support_count equals its rows in supports (read from the DB)",
                 proposals=v["proposals"], wrong=v["wrong"][:10], duplicate_pairs=v["duplicates"],
                 support_rows=v["supports"], support_changes=v["support_changes"])

            # 2. live poll: open screens while the writer supports every 0.5 s.
            cursor0 = latest_change(url, event_id)
            live = phase_live(port, event_id, proposal_ids, writers, cfg["screens"],
                              cfg["live_seconds"], cursor0)
            polls = len(live["latencies"])
            offered = cfg["screens"] / POLL_INTERVAL
            note = (f"{cfg['screens']} screens polling every {POLL_INTERVAL} s (offered "
                    f"{offered:.0f} req/s: a paced rate, not a capacity figure; see "
                    f"live_poll_304_capacity) while a support is added every "
                    f"{WRITE_INTERVAL} s; {live['cpu'].note()}")
            st = live["statuses"]
            emit("live_poll_req_per_s", polls / live["wall"], "req/s", FACTS_POLL_RPS, note,
                 offered_req_per_s=round(offered, 1), polls=polls,
                 statuses={str(k): v for k, v in st.items() if k != "200_empty"},
                 share_304=round(st[304] / polls, 3) if polls else None,
                 empty_200=st["200_empty"],
                 errors=sum(live["failures"].values()), failures=dict(live["failures"]))
            emit("live_poll_p50", ms(pct(live["latencies"], 50)), "ms", None,
                 "FACTS.md gives p99 only")
            emit("live_poll_p99", ms(pct(live["latencies"], 99)), "ms", FACTS_POLL_P99_MS, note)
            dnote = (f"from sending the support (button press) to the first poll of each screen "
                     f"that saw it; target {LIVE_DELAY_TARGET_S} s; polls every {POLL_INTERVAL} "
                     f"s, so about half of that is the polling interval itself")
            emit("live_delay_p50", pct(live["delays"], 50), "s", LIVE_DELAY_TARGET_S, dnote,
                 writes_ok=live["writes"]["ok"], write_errors=dict(live["writes"]["errors"]))
            emit("live_delay_p95", pct(live["delays"], 95), "s", LIVE_DELAY_TARGET_S, dnote,
                 seen=live["seen"], expected=live["expected_seen"],
                 max_s=round(max(live["delays"]), 3) if live["delays"] else None)

            # 2b. capacity of the idle poll (closed loop, always 304), comparable to FACTS.md.
            latest = latest_change(url, event_id)
            feed = f"/events/{event_id}/feed?since={latest}"
            probe = Client(port)
            etag = probe.get(feed, {"Accept": "application/json"}).headers.get("ETag")
            probe.close()
            cap = phase_closed_loop(
                port, [Client(port) for _ in range(cfg["capacity_clients"])],
                cfg["capacity_seconds"], feed,
                lambda c: {"Accept": "application/json", "If-None-Match": etag}, 304)
            n = len(cap["latencies"])
            note = (f"{cfg['capacity_clients']} connections, closed loop, every answer a 304 "
                    f"(FACTS.md: 200 wrk connections on a bare /changes route); "
                    f"{cap['cpu'].note()}")
            emit("live_poll_304_capacity", n / cap["wall"], "req/s", FACTS_POLL_RPS, note,
                 errors=sum(cap["failures"].values()), failures=dict(cap["failures"]))
            emit("live_poll_304_p99", ms(pct(cap["latencies"], 99)), "ms", FACTS_POLL_P99_MS,
                 note)

            # 3. page loads: a track page, signed-in participants.
            page_clients = people[:cfg["page_clients"]]
            path = f"/events/{event_id}/tracks/{track_slug}"
            pg = phase_closed_loop(port, page_clients, cfg["page_seconds"], path,
                                   lambda c: {"Accept": "text/html"}, 200)
            n = len(pg["latencies"])
            note = (f"GET {path} (20 proposals, signed-in participants), {len(page_clients)} "
                    f"clients in a closed loop; FACTS.md has no page figure; {pg['cpu'].note()}")
            emit("page_req_per_s", n / pg["wall"], "req/s", None, note,
                 errors=sum(pg["failures"].values()), failures=dict(pg["failures"]))
            emit("page_p95", ms(pct(pg["latencies"], 95)), "ms", None, note,
                 p50_ms=round(ms(pct(pg["latencies"], 50)) or 0, 1))

            reconnects = sum(c.reconnects for c in joined)
            log.read()
            emit("server_log_problems", sum(log.counts.values()), "lines", 0,
                 "lines in the server's output with Traceback / database is locked / "
                 "Unhandled error / WORKER TIMEOUT", counts=dict(log.counts),
                 samples=log.samples[:5], client_keepalive_resends=reconnects)
    emit("bench_app_wall", time.perf_counter() - t_start, "s", None,
         "the whole run: seed, start, joins, three phases; the load average says how much "
         "else ran on this machine at the time (figures are noisy when it is above the cores)",
         load_avg_1min_before=round(load_before, 2),
         load_avg_1min_after=round(os.getloadavg()[0], 2), cores=os.cpu_count())
    return 0 if exact else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller numbers, about 30 s")
    parser.add_argument("--seed", type=int, default=0)
    args, _unknown = parser.parse_known_args()  # `make bench` passes its own arguments on
    # SIGTERM (e.g. a CI timeout) unwinds like Ctrl+C, so the finally blocks stop the server.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    return run(QUICK if args.quick else FULL, args.seed)


if __name__ == "__main__":
    sys.exit(main())
