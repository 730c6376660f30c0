"""The app against its own ceiling: the same stack without the app, measured in the same run.

Two servers start side by side with the same gunicorn settings (gunicorn.conf.py, 4 workers):
the seeded demo app and benchmarks/bare_app.py (one Flask route inserting a (user, proposal)
row into SQLite WAL and bumping a counter, a bare 304 poller and a bare SSE streamer). The same
generator loads both (wrk where installed, else Python threads; asyncio for the screens), in
interleaved A/B rounds; each figure is the median of its rounds, printed as one JSON line:
{"figure", "value", "unit", "baseline", "ratio", "rounds", "note"}. Nothing is read from a file.

Figures:
  support_post_*     POST a first support at 100 connections: req/s, p99, errors; counts exact
  live_poll_304_*    an idle live poll (304 from an ETag) at 100 connections: req/s, p99
  live_sse_*         1,000 open screens on the stream while a participant supports every 0.5 s:
                     p95 from the support's answer to each screen, every change seen
  live_polling_*     the same with 1,000 screens polling the feed every 1.5 s (the fallback)
  worker_rss_mb      memory per worker with 1,000 streams open
  track_page_*       a track of 5,000 proposals and 100,000 supports read by 200 signed-in
                     readers (closed loop, pages 1-50): req/s, p95, p99, errors
  track_page_open_*  the same 200 readers as people: each loads a page, then thinks (exponential,
                     mean 2 s), so about 100 pages/s are offered whatever the server does (open
                     loop); p95, p99, errors, answered req/s; bare at the same offered rate
  track_page_busy_*  the same readers while a participant supports every 0.5 s in that track
                     (each support makes every stored list stale)
  support_post_postgresql_w*  the same support load on the app over PostgreSQL against the
                     app over SQLite, at 2 and 4 workers (the baseline is SQLite); needs a
                     PostgreSQL server: BENCH_POSTGRES_URL, else TEST_DATABASE_URL, else
                     postgresql://postgres@127.0.0.1:5432/strategy_bench (created if absent)
  bare_support_postgresql_w*  the same for the bare support app (plain psycopg against plain
                     sqlite3): the ceiling this machine gives PostgreSQL against SQLite
  support_post_postgresql_split_w2  the app's 2 workers pinned to CPU 0, the PostgreSQL server
                     and the generator to CPU 1 (a database host of its own), against the same
                     workers over SQLite

Run: python -m benchmarks.bench_app [--quick] [--only support,poll,live,track,engines]
"""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import bare_app, loadgen  # noqa: E402
from strategy import database_url  # noqa: E402  (postgresql:// as the app reads it)
from tests import servers  # noqa: E402  (the project's own helpers: seed, ports, env)

EVENT_CODE = "BAIKAL26"
HOST = "127.0.0.1"
WORKERS = 4
WRITE_INTERVAL = 0.5
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')

# Enough participants that no round runs out of fresh (person, proposal) pairs (59 proposals
# each): a repeated pair is a 409, counted as an error.
FULL = {"participants": 1000, "rounds": 3, "post_seconds": 6, "poll_seconds": 6,
        "screens": 1000, "live_seconds": 15, "live_rounds": 2, "readers": 200,
        "open_seconds": 20}
QUICK = {"participants": 300, "rounds": 2, "post_seconds": 3, "poll_seconds": 3,
         "screens": 300, "live_seconds": 8, "live_rounds": 1, "readers": 200,
         "open_seconds": 10}
TRACK_PROPOSALS, TRACK_SUPPORTS = 5_000, 100_000
THINK_S = 2.0  # a reader's mean pause between two pages of the track (open loop)


def emit(figure, value, unit, baseline=None, note="", **extra):
    value = round(value, 4) if isinstance(value, float) else value
    baseline = round(baseline, 4) if isinstance(baseline, float) else baseline
    ratio = round(value / baseline, 4) if baseline not in (None, 0) and value is not None \
        else None
    line = {"figure": figure, "value": value, "unit": unit, "baseline": baseline,
            "ratio": ratio, **extra}
    if note:
        line["note"] = note
    print(json.dumps(line, ensure_ascii=False), flush=True)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# --- servers -------------------------------------------------------------------------------------

@contextmanager
def gunicorn(app_spec: str, env: dict, log_path: Path, workers: int = WORKERS,
             cpus: str | None = None):
    """gunicorn with the project's settings (gunicorn.conf.py) on a free port of 127.0.0.1
    (on the CPUs ``cpus`` names, e.g. "0", when given)."""
    port = servers.free_port()
    log = open(log_path, "w")
    pin = ["taskset", "-c", cpus] if cpus is not None else []
    process = subprocess.Popen(
        pin + [str(servers.BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--workers",
         str(workers), "--bind", f"{HOST}:{port}", app_spec],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield port, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def worker_rss_mb(master_pid: int) -> list[float]:
    """Resident memory of each gunicorn worker (the master's children), in MB."""
    sizes = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(master_pid):
            sizes.append(int(fields["VmRSS"].split()[0]) / 1024.0)
    return sizes


def app_env(database_url: str) -> dict:
    """The served app's environment: the bench's whole hall joins from 127.0.0.1, so the
    per-address join ceiling (360 per 5 minutes, per process with memory:// storage) is raised;
    every other limit stays as configured."""
    return {**servers.server_env(database_url),
            "FLASK_JOIN_ADDRESS_LIMIT": "100000 per 5 minutes;100000 per day"}


# --- participants through the real forms ----------------------------------------------------

class Person:
    def __init__(self, cookies: dict, csrf: str):
        self.cookies, self.csrf = cookies, csrf

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


def http_request(port, method, path, body=None, headers=None, cookies=None):
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    hdrs = dict(headers or {})
    if cookies:
        hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    conn.request(method, path, body=body, headers=hdrs)
    response = conn.getresponse()
    data = response.read()
    for header in response.msg.get_all("Set-Cookie") or []:
        name, _, value = header.split(";", 1)[0].strip().partition("=")
        if cookies is not None:
            cookies[name] = value
    conn.close()
    return response, data


def join(port: int, i: int) -> Person:
    cookies: dict = {}
    _, page = http_request(port, "GET", "/join", cookies=cookies)
    token = CSRF_META.search(page.decode()).group(1)
    body = urllib.parse.urlencode({
        "csrf_token": token, "event_code": EVENT_CODE, "display_name": f"Участник нагрузки {i}",
        "library": f"Библиотека №{i % 40 + 1}", "municipality": f"Район {i % 25 + 1}",
        "consent_public_affiliation": "y"})
    response, _ = http_request(port, "POST", "/join", body, {
        "Content-Type": "application/x-www-form-urlencoded"}, cookies)
    if response.status != 302:
        raise RuntimeError(f"POST /join -> {response.status}")
    _, welcome = http_request(port, "GET", "/welcome", cookies=cookies)
    return Person(cookies, CSRF_META.search(welcome.decode()).group(1))


def support_line(event_id, person, pid):
    """A phone's support click: the page's script POSTs to the API (static/js/app.js)."""
    return (f"/api/v1/events/{event_id}/proposals/{pid}/support",
            {"Cookie": person.cookie_header, "X-CSRFToken": person.csrf,
             "Accept": "application/json", "Content-Length": "0"}, "")


# --- figures ---------------------------------------------------------------------------------

SETTLE_S = 3.0  # let requests a load generator left queued drain before the next round


def ab_rounds(rounds: int, run_app, run_bare):
    """Interleaved A/B rounds (the order alternates, so drift hits both alike)."""
    app_results, bare_results = [], []
    for r in range(rounds):
        order = [(run_app, app_results), (run_bare, bare_results)]
        for runner, results in (order if r % 2 == 0 else order[::-1]):
            time.sleep(SETTLE_S)
            results.append(runner(r))
    return app_results, bare_results


def emit_closed_loop(name, app_runs, bare_runs, note,
                     keys=(("req_per_s", "req/s"), ("p99_ms", "ms"), ("errors", "requests"))):
    generator = app_runs[0]["generator"]
    for key, unit in keys:
        emit(f"{name}_{key}", median([r[key] for r in app_runs]), unit,
             median([r[key] for r in bare_runs]), f"{note}; load by {generator}",
             rounds=len(app_runs), app_rounds=[round(r[key], 1) for r in app_runs],
             bare_rounds=[round(r[key], 1) for r in bare_runs])


def live_round(port, path, screens, mode, ids_of, write, seconds, rss_of=None):
    """Open ``screens`` screens, write every WRITE_INTERVAL s, return delays and memory."""
    idle_rss = rss_of() if rss_of else []
    crowd = loadgen.Screens(port, path, screens, mode, ids_of)
    crowd.start()
    time.sleep(1.0)
    answered: dict[int, float] = {}
    attempted = 0
    stop_writing = time.perf_counter() + seconds
    next_at = time.perf_counter()
    for _ in range(int(seconds / WRITE_INTERVAL) + 1):  # bounded by count and clock
        if time.perf_counter() >= stop_writing:
            break
        time.sleep(max(0.0, next_at - time.perf_counter()))
        attempted += 1
        result = write()
        if result is not None:
            change_id, at = result
            answered[change_id] = at
        next_at += WRITE_INTERVAL
    time.sleep(3.0 if mode == "sse" else 4.0)  # let the last change reach every screen
    rss = rss_of() if rss_of else []
    crowd.close()
    delays, seen, expected = crowd.delays(answered)
    return {"p95": loadgen.pct(delays, 95), "p50": loadgen.pct(delays, 50), "seen": seen,
            "expected": expected, "connected": crowd.connected, "rss": rss,
            "stream_rss": [after - before for before, after in zip(sorted(idle_rss), sorted(rss))],
            "errors": dict(crowd.errors.most_common(5)), "writes": len(answered),
            "failed_writes": attempted - len(answered)}


PHASES = ("support", "poll", "live", "track", "engines")


def run(cfg: dict, seed: int, phases=PHASES) -> int:
    rng = random.Random(seed)
    exact = True
    started = time.perf_counter()
    if set(phases) <= {"engines"}:  # its own servers only
        engines_phase(cfg, rng)
        emit_wall(started)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench_app_") as tmp, ExitStack() as stack:
        tmp_dir = Path(tmp)
        app_url = servers.database_url_for(tmp_dir)
        servers.seed(app_url)
        bare_db = tmp_dir / "bare.sqlite"
        bare_app.init(str(bare_db))
        app_port, app_proc = stack.enter_context(
            gunicorn("app:app", app_env(app_url), tmp_dir / "app.log"))
        bare_env = dict(os.environ, BARE_DB=str(bare_db), PYTHONUNBUFFERED="1")
        bare_port, bare_proc = stack.enter_context(
            gunicorn("benchmarks.bare_app:app", bare_env, tmp_dir / "bare.log"))
        servers.wait_until_up(f"http://{HOST}:{app_port}/", app_proc, timeout=120)
        servers.wait_until_up(f"http://{HOST}:{bare_port}/changes", bare_proc, timeout=120)

        engine = sa.create_engine(app_url)
        with engine.connect() as conn:
            event_id = conn.execute(sa.text("SELECT id FROM events WHERE code = :c"),
                                    {"c": EVENT_CODE}).scalar_one()
            proposal_ids = list(conn.execute(sa.text(
                "SELECT id FROM proposals WHERE event_id = :e AND status = 'published' "
                "ORDER BY id"), {"e": event_id}).scalars())
        with ThreadPoolExecutor(8) as pool:
            people = list(pool.map(lambda i: join(app_port, i), range(cfg["participants"])))

        # Disjoint (person, proposal) pairs: each round and the live writer get their own.
        pairs = [(p, pid) for p in people for pid in proposal_ids]
        rng.shuffle(pairs)
        writer_pairs = pairs[:400]
        per_round = (len(pairs) - 400) // cfg["rounds"]
        bare_per_round = 40_000

        def post_app(r):
            chunk = pairs[400 + r * per_round: 400 + (r + 1) * per_round]
            return loadgen.closed_loop(app_port, "POST", [support_line(event_id, p, pid)
                                                          for p, pid in chunk],
                                       100, cfg["post_seconds"])

        def post_bare(r):
            lines = [("/support", {"Content-Type": "application/x-www-form-urlencoded"},
                      f"user={r * bare_per_round + k}&proposal={k % 200 + 1}")
                     for k in range(bare_per_round)]
            return loadgen.closed_loop(bare_port, "POST", lines, 100, cfg["post_seconds"])

        if "support" in phases:
            app_runs, bare_runs = ab_rounds(cfg["rounds"], post_app, post_bare)
            emit_closed_loop("support_post", app_runs, bare_runs,
                             "first supports of distinct (participant, proposal) pairs, 100 "
                             "connections, closed loop; bare: the one-route insert app")
            exact = counts_exact(engine, event_id)
            emit("support_counts_exact", int(exact), "bool", 1,
                 "every proposal's support_count equals its rows in supports, after the load")

        # Idle live poll: every answer a 304.
        latest = latest_change(engine, event_id)
        feed = f"/events/{event_id}/feed?since={latest}"
        app_tag = http_request(app_port, "GET", feed)[0].getheader("ETag")
        bare_tag = http_request(bare_port, "GET", "/changes")[0].getheader("ETag")
        app_runs, bare_runs = ab_rounds(
            cfg["rounds"] if "poll" in phases else 0,
            lambda r: loadgen.closed_loop(app_port, "GET", [(feed, {
                "If-None-Match": app_tag, "Accept": "application/json"}, "")], 100,
                cfg["poll_seconds"]),
            lambda r: loadgen.closed_loop(bare_port, "GET", [("/changes", {
                "If-None-Match": bare_tag}, "")], 100, cfg["poll_seconds"]))
        if "poll" in phases:
            emit_closed_loop("live_poll_304", app_runs, bare_runs,
                             "idle feed poll answered 304 from the ETag, 100 connections; "
                             "bare: 304 from max(id) of a change table")

        # A thousand screens: pushed (SSE) and polled, each against its bare twin.
        writers = iter(writer_pairs)
        bare_writes = iter(range(10_000_000, 10_100_000))

        def write_app():
            person, pid = next(writers)
            path, headers, _ = support_line(event_id, person, pid)
            try:
                response, _ = http_request(app_port, "POST", path, b"", headers)
            except OSError:  # a server saturated by the screens: the round says so
                return None
            answered = time.perf_counter()
            if response.status != 200:
                return None
            with engine.connect() as conn:
                change_id = conn.execute(sa.text(
                    "SELECT max(id) FROM changes WHERE kind = 'support' AND proposal_id = :p"),
                    {"p": pid}).scalar()
            return change_id, answered

        def write_bare():
            try:
                response, data = bare_support(bare_port, next(bare_writes))
            except OSError:
                return None
            answered = time.perf_counter()
            return (json.loads(data)["change"], answered) if response.status == 200 else None

        def app_ids(data):
            data = data.get("data", data)
            return [c["id"] for c in data["changes"] if c["kind"] == "support"]

        def bare_ids(data):
            return data if isinstance(data, list) else [c[0] for c in data["changes"]]

        screens, seconds = cfg["screens"], cfg["live_seconds"]
        for mode, app_path, bare_path, name in (
                ("sse", f"/events/{event_id}/stream", "/stream", "live_sse"),
                ("poll", None, None, "live_polling"))[:2 if "live" in phases else 0]:
            if mode == "poll":
                app_path = f"/events/{event_id}/feed?since={latest_change(engine, event_id)}"
                bare_path = f"/changes?since={bare_latest(bare_db)}"
            app_runs, bare_runs = ab_rounds(
                cfg["live_rounds"],
                lambda r: live_round(app_port, app_path, screens, mode, app_ids, write_app,
                                     seconds, lambda: worker_rss_mb(app_proc.pid)),
                lambda r: live_round(bare_port, bare_path, screens, mode, bare_ids,
                                     write_bare, seconds, lambda: worker_rss_mb(bare_proc.pid)))
            how = ("server-sent events, one stream per screen" if mode == "sse" else
                   "polling every 1.5 s with If-None-Match, keep-alive")
            note = (f"{screens} screens ({how}) while a participant supports every "
                    f"{WRITE_INTERVAL} s for {seconds} s; from the support's answer to each "
                    f"screen's first sight of it; bare: the same against bare_app")
            extra = {"rounds": len(app_runs),
                     "seen": [r["seen"] for r in app_runs],
                     "expected": [r["expected"] for r in app_runs],
                     "connected": [r["connected"] for r in app_runs],
                     "screen_errors": [r["errors"] for r in app_runs],
                     "failed_writes": [r["failed_writes"] for r in app_runs],
                     "bare_seen": [r["seen"] for r in bare_runs],
                     "bare_expected": [r["expected"] for r in bare_runs]}
            emit(f"{name}_p95_s", median([r["p95"] for r in app_runs]), "s",
                 median([r["p95"] for r in bare_runs]), note, **extra)
            emit(f"{name}_p50_s", median([r["p50"] for r in app_runs]), "s",
                 median([r["p50"] for r in bare_runs]), note)
            complete = all(r["seen"] == r["expected"] for r in app_runs)
            emit(f"{name}_every_change_seen", int(complete), "bool", 1,
                 "each screen saw every support written during the round")
            if mode == "sse":
                app_rss = [max(r["rss"]) for r in app_runs if r["rss"]]
                bare_rss = [max(r["rss"]) for r in bare_runs if r["rss"]]
                emit("worker_rss_mb", median(app_rss), "MB", median(bare_rss),
                     f"largest gunicorn worker's resident memory with {screens} streams open "
                     f"({WORKERS} workers): mostly the app's imports (pandas, matplotlib, "
                     f"scikit-learn once a page used it), see worker_stream_rss_mb",
                     app_workers=[round(x, 1) for x in (app_runs[-1]["rss"] or [])])
                emit("worker_stream_rss_mb",
                     median([max(r["stream_rss"]) for r in app_runs if r["stream_rss"]]), "MB",
                     median([max(r["stream_rss"]) for r in bare_runs if r["stream_rss"]]),
                     f"what the open streams add to a worker (largest increase over the idle "
                     f"worker, {screens // WORKERS} streams each); target under 50 MB")
        if "track" in phases:
            track_phase(cfg, rng, engine, event_id, app_port, bare_port, bare_db, people)
        engine.dispose()
    if "engines" in phases:
        engines_phase(cfg, rng)
    emit_wall(started)
    return 0 if exact else 1


def emit_wall(started: float) -> None:
    emit("bench_app_wall", time.perf_counter() - started, "s", None,
         "the whole run; figures are noisy when the load average is above the cores",
         load_avg_1min=round(os.getloadavg()[0], 2), cores=os.cpu_count())


def track_phase(cfg, rng, engine, event_id, app_port, bare_port, bare_db, people):
    """5,000 proposals and 100,000 supports in one track, the same in the bare twin; 200
    signed-in readers load its pages (1-50, as readers page through) in a closed loop."""
    slug, track_id, proposals, supports = fill_app_track(engine, event_id, rng)
    bare_app.fill_track(str(bare_db), proposals, supports)
    app_lines = [(f"/events/{event_id}/tracks/{slug}?page={page}",
                  {"Cookie": people[k % len(people)].cookie_header}, "")
                 for k, page in enumerate(rng.choices(range(1, 51), k=2000))]
    bare_lines = [(f"/track?page={page}&user={k % len(people) + 1}", {}, "")
                  for k, page in enumerate(rng.choices(range(1, 51), k=2000))]
    # Warm-up, the same for both: each page 8 times (a stored list is per worker, 4 workers).
    warm = [page for page in range(1, 51) for _ in range(2 * WORKERS)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: http_request(app_port, "GET", app_lines[0][0].split("?")[0]
                                             + f"?page={warm[k]}", None, app_lines[k][1]),
                      range(len(warm))))
        list(pool.map(lambda k: http_request(bare_port, "GET", f"/track?page={warm[k]}&user=1"),
                      range(len(warm))))

    # A slow server is still working off a round's queued pages when the next one starts.
    def quiet(port, line, run):
        loadgen.wait_quiet(port, line[0], line[1])
        return run()

    app_runs, bare_runs = ab_rounds(
        cfg["rounds"],
        lambda r: quiet(app_port, app_lines[0], lambda: loadgen.closed_loop(
            app_port, "GET", app_lines, cfg["readers"], cfg["poll_seconds"])),
        lambda r: quiet(bare_port, bare_lines[0], lambda: loadgen.closed_loop(
            bare_port, "GET", bare_lines, cfg["readers"], cfg["poll_seconds"])))
    emit_closed_loop(
        "track_page", app_runs, bare_runs,
        f"track page of {len(proposals)} proposals and {len(supports)} supports, "
        f"{cfg['readers']} signed-in readers, closed loop, after a warm-up of {len(warm)} "
        f"page loads (each page 8 times); bare: one Flask route with the "
        f"same rows in plain SQLite (count, a page of 20 by support, the reader's supports "
        f"among them) rendered with Jinja",
        keys=(("req_per_s", "req/s"), ("p95_ms", "ms"), ("p99_ms", "ms"),
              ("errors", "requests")))

    # The same readers as people: a page, a pause to read it, the next page.
    readers = cfg["readers"]
    app_readers = [[(f"/events/{event_id}/tracks/{slug}?page={page}",
                     {"Cookie": people[i % len(people)].cookie_header})
                    for page in rng.choices(range(1, 51), k=50)] for i in range(readers)]
    bare_readers = [[(f"/track?page={page}&user={i % len(people) + 1}", {})
                     for page in rng.choices(range(1, 51), k=50)] for i in range(readers)]
    app_runs, bare_runs = ab_rounds(
        cfg["rounds"],
        lambda r: quiet(app_port, app_readers[0][0], lambda: loadgen.open_loop(
            app_port, app_readers, THINK_S, cfg["open_seconds"], seed=r)),
        lambda r: quiet(bare_port, bare_readers[0][0], lambda: loadgen.open_loop(
            bare_port, bare_readers, THINK_S, cfg["open_seconds"], seed=r)))
    offered = median([r["offered_per_s"] for r in app_runs])
    note = (f"{readers} signed-in readers ({len(people)} participants' sessions) each loading "
            f"a page of the same track, then thinking (exponential, mean {THINK_S} s): about "
            f"{offered:.0f} pages/s offered for {cfg['open_seconds']} s, open loop (arrivals "
            f"planned in advance; latency from the planned arrival, a page given up after 10 s "
            f"counts as 10 s); bare: the same readers "
            f"and arrivals against the bare twin; load average "
            f"{os.getloadavg()[0]:.1f} at the end")
    emit_open_loop("track_page_open", app_runs, bare_runs, note)

    # The same readers while the hall supports: every support moves the event's cursor, so
    # each stored list is read and rendered again on its next load.
    supporter = join(app_port, len(people))
    with engine.connect() as conn:
        app_ids = iter(list(conn.execute(sa.text(
            "SELECT id FROM proposals WHERE track_id = :t AND status = 'published' ORDER BY id"),
            {"t": track_id}).scalars()))
    bare_writes = iter(range(20_000_000, 20_100_000))

    def support_app():
        path, headers, _ = support_line(event_id, supporter, next(app_ids))
        return http_request(app_port, "POST", path, b"", headers)[0].status == 200

    def support_bare():
        return bare_support(bare_port, next(bare_writes))[0].status == 200

    app_runs, bare_runs = ab_rounds(
        cfg["rounds"],
        lambda r: quiet(app_port, app_readers[0][0], lambda: while_writing(
            support_app, lambda: loadgen.open_loop(app_port, app_readers, THINK_S,
                                                   cfg["open_seconds"], seed=100 + r))),
        lambda r: quiet(bare_port, bare_readers[0][0], lambda: while_writing(
            support_bare, lambda: loadgen.open_loop(bare_port, bare_readers, THINK_S,
                                                    cfg["open_seconds"], seed=100 + r))))
    emit_open_loop("track_page_busy", app_runs, bare_runs,
                   f"{note}; meanwhile a participant supports a proposal of this track every "
                   f"{WRITE_INTERVAL} s (each support moves the cursor: every stored list is "
                   f"read and rendered anew); bare: the same supports to its /support",
                   supports=[r["writes"] for r in app_runs],
                   failed_supports=[r["failed_writes"] for r in app_runs])


def bare_support(port: int, k: int):
    """Participant ``k`` of the bare twin supports one of its 200 proposals: (response, body)."""
    return http_request(port, "POST", "/support", f"user={k}&proposal={k % 200 + 1}",
                        {"Content-Type": "application/x-www-form-urlencoded"})


def while_writing(write, run) -> dict:
    """``run()`` while a thread calls ``write()`` every WRITE_INTERVAL seconds; its result with
    the number of writes and of failed ones."""
    done = threading.Event()
    counts = {"writes": 0, "failed_writes": 0}

    def writer():
        while not done.wait(WRITE_INTERVAL):
            try:
                ok = write()
            except OSError:
                ok = False
            counts["writes"] += 1
            counts["failed_writes"] += not ok

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        result = run()
    finally:
        done.set()
        thread.join()
    return {**result, **counts}


def emit_open_loop(name, app_runs, bare_runs, note, **extra) -> None:
    for key, unit in (("p95_ms", "ms"), ("p99_ms", "ms"), ("errors", "requests"),
                      ("answered_per_s", "req/s")):
        emit(f"{name}_{key}", median([r[key] for r in app_runs]), unit,
             median([r[key] for r in bare_runs]), f"{note}; load by {app_runs[0]['generator']}",
             rounds=len(app_runs), app_rounds=[round(r[key], 1) for r in app_runs],
             bare_rounds=[round(r[key], 1) for r in bare_runs],
             **({"error_kinds": [r["error_kinds"] for r in app_runs],
                 "send_late_p99_ms": [round(r["send_late_p99_ms"], 1) for r in app_runs],
                 **extra} if key == "errors" else {}))


# --- PostgreSQL against SQLite ------------------------------------------------------------------

DEFAULT_BENCH_POSTGRES = "postgresql://postgres@127.0.0.1:5432/strategy_bench"
ENGINE_WORKERS = (2, 4)


def bench_postgres_url() -> str | None:
    """A PostgreSQL database of the bench's own (emptied), or None when no server answers."""
    url = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_DATABASE_URL") \
        or DEFAULT_BENCH_POSTGRES
    if not url.startswith("postgres"):
        return None
    try:
        ensure_database(url)
        engine = sa.create_engine(database_url(url))
        servers.drop_postgres_schema(engine)
        engine.dispose()
    except sa.exc.SQLAlchemyError:
        return None
    return url


def ensure_database(url: str) -> None:
    """CREATE DATABASE when the server answers and the bench's database is missing."""
    target = sa.engine.make_url(database_url(url))
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"),
                                  {"d": target.database}).scalar()
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def engines_phase(cfg, rng) -> None:
    """The support load on the app over PostgreSQL and over SQLite, interleaved, at each worker
    count: the issue asks for PostgreSQL at least as fast, and faster with more workers."""
    pg_url = bench_postgres_url()
    if pg_url is None:
        emit("support_post_postgresql_req_per_s", None, "req/s", None,
             "skipped: no PostgreSQL server answers (set BENCH_POSTGRES_URL)")
        return
    for workers in ENGINE_WORKERS:
        with tempfile.TemporaryDirectory(prefix="bench_engines_") as tmp, ExitStack() as stack:
            sqlite_url = f"sqlite:///{Path(tmp) / 'engines.sqlite'}"
            loads = {}
            for name, url in (("postgresql", pg_url), ("sqlite", sqlite_url)):
                if name == "postgresql":
                    servers.drop_postgres_schema(sa.create_engine(database_url(url)))
                loads[name] = stack.enter_context(
                    support_load(url, Path(tmp) / f"{name}.log", workers, cfg, rng))
            pg_runs, sqlite_runs = ab_rounds(cfg["rounds"], loads["postgresql"], loads["sqlite"])
            emit_closed_loop(
                f"support_post_postgresql_w{workers}", pg_runs, sqlite_runs,
                f"the support load of support_post_* on the app over PostgreSQL ({workers} "
                f"workers, same host as the server); baseline: the app over SQLite, same "
                f"workers, same run", keys=(("req_per_s", "req/s"), ("p99_ms", "ms"),
                                            ("errors", "requests")))
            # The same comparison for the bare stack: what this machine allows PostgreSQL at all.
            bare = {name: stack.enter_context(bare_support_load(
                        name, pg_url, Path(tmp), workers, cfg)) for name in ("postgresql", "sqlite")}
            pg_runs, sqlite_runs = ab_rounds(cfg["rounds"], bare["postgresql"], bare["sqlite"])
            emit_closed_loop(
                f"bare_support_postgresql_w{workers}", pg_runs, sqlite_runs,
                f"the bare one-route support app ({workers} workers) writing to PostgreSQL with "
                f"plain psycopg (one autocommitted statement); baseline: the same bare app on "
                f"SQLite WAL, same run: the ceiling of PostgreSQL against SQLite on this machine",
                keys=(("req_per_s", "req/s"), ("p99_ms", "ms"), ("errors", "requests")))
    split_cores_phase(cfg, rng, pg_url)


def split_cores_phase(cfg, rng, pg_url: str, workers: int = 2) -> None:
    """The database on a core of its own, as on a host of its own: the app's workers on CPU 0
    over PostgreSQL (server and load generator on CPU 1) against the app's workers on CPU 0
    over SQLite (which writes inside the workers; the generator on CPU 1)."""
    if len(os.sched_getaffinity(0)) < 2 or not shutil.which("taskset"):
        emit("support_post_postgresql_split_w2_req_per_s", None, "req/s", None,
             "skipped: needs two CPUs and taskset")
        return
    with tempfile.TemporaryDirectory(prefix="bench_split_") as tmp, ExitStack() as stack:
        if not stack.enter_context(postgres_on_cpu(1)):
            emit("support_post_postgresql_split_w2_req_per_s", None, "req/s", None,
                 "skipped: the PostgreSQL server's processes cannot be pinned from here")
            return
        stack.enter_context(own_cpus({1}))  # the bench and wrk, which it starts
        sqlite_url = f"sqlite:///{Path(tmp) / 'split.sqlite'}"
        servers.drop_postgres_schema(sa.create_engine(database_url(pg_url)))
        loads = {name: stack.enter_context(support_load(
                    url, Path(tmp) / f"{name}.log", workers, cfg, rng, cpus="0"))
                 for name, url in (("postgresql", pg_url), ("sqlite", sqlite_url))}
        pg_runs, sqlite_runs = ab_rounds(cfg["rounds"], loads["postgresql"], loads["sqlite"])
    emit_closed_loop(
        f"support_post_postgresql_split_w{workers}", pg_runs, sqlite_runs,
        f"the support load on the app's {workers} workers pinned to CPU 0 over PostgreSQL, its "
        f"server and the load generator on CPU 1 (a database host of its own, as far as two "
        f"cores allow); baseline: the same workers on CPU 0 over SQLite, generator on CPU 1",
        keys=(("req_per_s", "req/s"), ("p99_ms", "ms"), ("errors", "requests")))


@contextmanager
def own_cpus(cpus: set):
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


@contextmanager
def postgres_on_cpu(cpu: int):
    """Pin the local PostgreSQL server's processes (new backends inherit it from the
    postmaster) to one CPU for the phase, and give them every CPU back afterwards. Yields
    False where that is not allowed (another user's server, or no local server)."""
    def server_pids():
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and (entry / "comm").read_text().strip() == "postgres":
                    yield int(entry.name)
            except OSError:
                continue
    everything = os.sched_getaffinity(0)
    pinned, refused = 0, False
    for pid in server_pids():
        try:
            os.sched_setaffinity(pid, {cpu})
            pinned += 1
        except ProcessLookupError:
            continue  # a backend that ended meanwhile
        except OSError:
            refused = True
    try:
        yield pinned > 0 and not refused
    finally:
        for pid in server_pids():
            try:
                os.sched_setaffinity(pid, everything)
            except OSError:
                pass


@contextmanager
def support_load(url: str, log: Path, workers: int, cfg, rng, cpus: str | None = None):
    """The seeded app over ``url`` and a function running one round of first supports."""
    servers.seed(url)
    with gunicorn("app:app", app_env(url), log, workers, cpus) as (port, process):
        servers.wait_until_up(f"http://{HOST}:{port}/", process, timeout=120)
        engine = sa.create_engine(database_url(url))
        with engine.connect() as conn:
            event_id = conn.execute(sa.text("SELECT id FROM events WHERE code = :c"),
                                    {"c": EVENT_CODE}).scalar_one()
            proposal_ids = list(conn.execute(sa.text(
                "SELECT id FROM proposals WHERE event_id = :e AND status = 'published'"),
                {"e": event_id}).scalars())
        engine.dispose()
        with ThreadPoolExecutor(8) as pool:
            people = list(pool.map(lambda i: join(port, i), range(cfg["participants"])))
        pairs = [(p, pid) for p in people for pid in proposal_ids]
        rng.shuffle(pairs)
        per_round = len(pairs) // cfg["rounds"]

        def one_round(r):
            chunk = pairs[r * per_round:(r + 1) * per_round]
            return loadgen.closed_loop(port, "POST", [support_line(event_id, p, pid)
                                                      for p, pid in chunk],
                                       100, cfg["post_seconds"])
        yield one_round


@contextmanager
def bare_support_load(name: str, pg_url: str, tmp: Path, workers: int, cfg):
    """The bare support app over SQLite or PostgreSQL and a function running one round."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", BARE_DB=str(tmp / "bare_engines.sqlite"))
    bare_app.init(env["BARE_DB"])
    if name == "postgresql":
        plain = sa.engine.make_url(database_url(pg_url)).set(drivername="postgresql")
        env["BARE_POSTGRES"] = plain.render_as_string(hide_password=False)
        bare_app.init_postgres(env["BARE_POSTGRES"])
    with gunicorn("benchmarks.bare_app:app", env, tmp / f"bare_{name}.log", workers) \
            as (port, process):
        servers.wait_until_up(f"http://{HOST}:{port}/changes", process, timeout=120)
        per_round = 40_000

        def one_round(r):
            lines = [("/support", {"Content-Type": "application/x-www-form-urlencoded"},
                      f"user={r * per_round + k}&proposal={k % 200 + 1}")
                     for k in range(per_round)]
            return loadgen.closed_loop(port, "POST", lines, 100, cfg["post_seconds"])
        yield one_round


def fill_app_track(engine, event_id, rng):
    """Copy one published proposal of a track until it holds TRACK_PROPOSALS, then give
    TRACK_SUPPORTS supports from the event's participants; counters kept exact."""
    proposals_table = sa.table("proposals", *[sa.column(c) for c in PROPOSAL_COLUMNS])
    with engine.begin() as conn:
        track_id, slug = conn.execute(sa.text(
            "SELECT id, slug FROM tracks WHERE event_id = :e AND support_budget IS NULL "
            "ORDER BY position, id LIMIT 1"), {"e": event_id}).one()
        template = conn.execute(sa.text(
            f"SELECT {', '.join(PROPOSAL_COLUMNS)} FROM proposals WHERE track_id = :t "
            f"AND status = 'published' ORDER BY id LIMIT 1"), {"t": track_id}).mappings().one()
        have = conn.execute(sa.text("SELECT count(*) FROM proposals WHERE track_id = :t"),
                            {"t": track_id}).scalar_one()
        rows = [dict(template, title=f"{template['title'][:180]} — вариант {k}",
                     support_count=0, comment_count=0)
                for k in range(max(0, TRACK_PROPOSALS - have))]
        if rows:
            conn.execute(sa.insert(proposals_table), rows)
        ids = list(conn.execute(sa.text(
            "SELECT id FROM proposals WHERE track_id = :t AND status = 'published'"),
            {"t": track_id}).scalars())
        users = list(conn.execute(sa.text(
            "SELECT id FROM users WHERE event_id = :e AND role = 'participant'"),
            {"e": event_id}).scalars())
        taken = set(conn.execute(sa.text(
            "SELECT user_id, proposal_id FROM supports WHERE track_id = :t"), {"t": track_id}))
        wanted: set = set()
        while len(wanted) < TRACK_SUPPORTS:
            pair = (rng.choice(users), rng.choice(ids))
            if pair not in taken:
                wanted.add(pair)
        now = template["created_at"]
        conn.execute(sa.text(
            "INSERT INTO supports (user_id, proposal_id, track_id, created_at, updated_at) "
            "VALUES (:u, :p, :t, :n, :n)"),
            [{"u": u, "p": p, "t": track_id, "n": now} for u, p in wanted])
        conn.execute(sa.text(
            "UPDATE proposals SET support_count = (SELECT count(*) FROM supports "
            "WHERE supports.proposal_id = proposals.id) WHERE track_id = :t"), {"t": track_id})
        counts = dict(conn.execute(sa.text(
            "SELECT id, support_count FROM proposals WHERE track_id = :t "
            "AND status = 'published'"), {"t": track_id}).all())
    bare_ids = {pid: k + 1 for k, pid in enumerate(sorted(ids))}
    proposals = [(bare_ids[pid], 1, f"{template['title'][:180]} — вариант {k}", template["body"],
                  "Участник, библиотека", counts[pid]) for k, pid in enumerate(sorted(ids))]
    user_ids = {u: k + 1 for k, u in enumerate(sorted(users))}
    supports = [(user_ids[u], bare_ids[p]) for u, p in wanted]
    return slug, track_id, proposals, supports


PROPOSAL_COLUMNS = ("event_id", "track_id", "author_id", "title", "body", "kind",
                    "expected_result", "partners", "status", "hidden_reason", "is_pinned",
                    "support_count", "comment_count", "join_count", "flag_count", "search_text",
                    "source", "created_at", "updated_at")


def counts_exact(engine, event_id) -> bool:
    with engine.connect() as conn:
        wrong = conn.execute(sa.text(
            "SELECT count(*) FROM proposals p WHERE p.event_id = :e AND p.support_count <> "
            "(SELECT count(*) FROM supports s WHERE s.proposal_id = p.id)"),
            {"e": event_id}).scalar()
    return wrong == 0


def latest_change(engine, event_id) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM changes WHERE "
                                    "event_id = :e"), {"e": event_id}).scalar()


def bare_latest(path: Path) -> int:
    conn = bare_app.connect(str(path))
    try:
        return conn.execute("SELECT coalesce(max(id), 0) FROM changes").fetchone()[0]
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller numbers, about a minute")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default=",".join(PHASES),
                        help="comma-separated phases: support, poll, live")
    args, _unknown = parser.parse_known_args()  # `make bench` passes its own arguments on
    # SIGTERM (e.g. a CI timeout) unwinds like Ctrl+C, so the servers are stopped.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    return run(QUICK if args.quick else FULL, args.seed, tuple(args.only.split(",")))


if __name__ == "__main__":
    sys.exit(main())
