"""Load generators for `make bench`: wrk where installed (else Python threads), and asyncio
clients for a thousand open live screens (server-sent events or polling).

Every loop is bounded in count and in time, and every target is 127.0.0.1.
"""
import asyncio
import http.client
import json
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Callable, Optional

HOST = "127.0.0.1"
SEP = "\x01"

# One request per call of request(): the next (headers, path, body) of this thread's share of
# a file of lines "path<TAB>header: value<SEP>header: value<TAB>body" (SEP is \x01: cookies may
# hold "|"). done() prints the figures.
WRK_LUA = r"""
local lines, n, i = {}, 0, 0
local method = "%(method)s"
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  local k = 0
  for line in io.lines("%(file)s") do
    if k %% %(threads)d == tid then
      local path, hdrs, body = line:match("^([^\t]*)\t([^\t]*)\t?(.*)$")
      local headers = {}
      for h in hdrs:gmatch("[^\1]+") do
        local name, value = h:match("^([^:]+): (.*)$")
        headers[name] = value
      end
      n = n + 1
      lines[n] = wrk.format(method, path, headers, body ~= "" and body or nil)
    end
    k = k + 1
  end
end
wraps = 0
function request()
  i = i + 1
  if i > n then i = 1; wraps = wraps + 1 end
  return lines[i]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p95_us": %%d, "p99_us": %%d, ' ..
    '"status_errors": %%d, "socket_errors": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def closed_loop(port: int, method: str, lines: list[tuple[str, dict, str]], connections: int,
                seconds: float) -> dict:
    """Send the requests of ``lines`` (cycling) from ``connections`` keep-alive clients for
    ``seconds``: wrk when installed, else Python threads. Returns req/s, p50/p95/p99 ms, errors."""
    if have_wrk():
        return _wrk(port, method, lines, connections, seconds)
    return _python_loop(port, method, lines, connections, seconds)


def _wrk(port, method, lines, connections, seconds) -> dict:
    threads = 2
    with tempfile.TemporaryDirectory(prefix="wrk_") as tmp:
        data = Path(tmp) / "requests.tsv"
        data.write_text("".join(
            f"{path}\t{SEP.join(f'{k}: {v}' for k, v in headers.items())}\t{body}\n"
            for path, headers, body in lines))
        script = Path(tmp) / "script.lua"
        script.write_text(WRK_LUA % {"method": method, "threads": threads, "file": data})
        out = subprocess.run(
            ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
             "--timeout", "10s", "-s", str(script), f"http://{HOST}:{port}/"],
            capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no figures: {out.stdout[-500:]} {out.stderr[-500:]}")
    raw = json.loads(line[len("WRKJSON "):])
    return {"req_per_s": raw["requests"] / (raw["duration_us"] / 1e6),
            "p50_ms": raw["p50_us"] / 1000.0, "p95_ms": raw["p95_us"] / 1000.0,
            "p99_ms": raw["p99_us"] / 1000.0,
            "errors": raw["status_errors"] + raw["socket_errors"], "requests": raw["requests"],
            "generator": "wrk"}


def _python_loop(port, method, lines, connections, seconds) -> dict:
    latencies, errors, lock = [], Counter(), threading.Lock()
    stop_at = time.perf_counter() + seconds

    def loop(offset: int):
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        mine, bad = [], 0
        for k in range(offset, offset + 1_000_000, connections):  # bounded, and by the clock
            if time.perf_counter() >= stop_at:
                break
            path, headers, body = lines[k % len(lines)]
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body or None, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=10)
                continue
            mine.append(time.perf_counter() - started)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors["n"] += bad

    started = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 30)
    wall = time.perf_counter() - started
    return {"req_per_s": len(latencies) / wall, "p50_ms": pct(latencies, 50) * 1000,
            "p95_ms": pct(latencies, 95) * 1000, "p99_ms": pct(latencies, 99) * 1000, "errors": errors["n"],
            "requests": len(latencies), "generator": "python threads"}


def pct(values, q: float) -> Optional[float]:
    if not values:
        return None
    s = sorted(values)
    pos = (len(s) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


# --- a thousand screens -----------------------------------------------------------------------

class Screens:
    """``n`` screens on one asyncio loop in a thread, each recording when it first saw each
    change id. ``mode`` is "sse" (one streaming GET each) or "poll" (a GET every
    ``interval`` s with If-None-Match). ``ids_of(data)`` extracts change ids from a message."""

    def __init__(self, port: int, path: str, n: int, mode: str,
                 ids_of: Callable[[object], list[int]], interval: float = 1.5):
        self.port, self.path, self.n, self.mode = port, path, n, mode
        self.ids_of, self.interval = ids_of, interval
        self.seen: list[dict[int, float]] = [dict() for _ in range(n)]
        self.connected = 0
        self.errors = Counter()
        self.stop = False
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._main, daemon=True)

    def start(self, timeout: float = 60) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while self.connected < self.n and time.monotonic() < deadline:
            time.sleep(0.1)

    def close(self, timeout: float = 30) -> None:
        self.stop = True
        self.thread.join(timeout=timeout)

    def _main(self) -> None:
        self.loop.run_until_complete(self._all())

    async def _all(self) -> None:
        tasks = []
        for i in range(self.n):
            runner = self._sse if self.mode == "sse" else self._poll
            tasks.append(asyncio.ensure_future(runner(i)))
            if i % 50 == 49:
                await asyncio.sleep(0.05)  # open gradually, as a hall does
        while not self.stop:
            await asyncio.sleep(0.1)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _record(self, i: int, payload: bytes) -> None:
        now = time.perf_counter()
        try:
            ids = self.ids_of(json.loads(payload))
        except ValueError:
            self.errors["bad json"] += 1
            return
        seen = self.seen[i]
        for change_id in ids:
            seen.setdefault(change_id, now)

    async def _sse(self, i: int) -> None:
        try:
            reader, writer = await asyncio.open_connection(HOST, self.port)
            # HTTP/1.0: the server streams without chunked encoding and closes at the end.
            writer.write(f"GET {self.path} HTTP/1.0\r\nHost: {HOST}\r\n"
                         f"Accept: text/event-stream\r\n\r\n".encode())
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            if b" 200 " not in head.split(b"\r\n", 1)[0]:
                self.errors[head.split(b"\r\n", 1)[0].decode(errors="replace")] += 1
                return
            self.connected += 1
            buffer = b""
            while not self.stop:
                chunk = await reader.read(65536)
                if not chunk:
                    self.errors["stream closed"] += 1
                    return
                buffer += chunk
                while b"\n\n" in buffer:
                    block, buffer = buffer.split(b"\n\n", 1)
                    for line in block.split(b"\n"):
                        if line.startswith(b"data: "):
                            self._record(i, line[6:])
        except asyncio.CancelledError:
            raise
        except (OSError, asyncio.IncompleteReadError) as exc:
            self.errors[type(exc).__name__] += 1

    async def _poll(self, i: int) -> None:
        etag, cursor_path = None, self.path
        try:
            reader, writer = await asyncio.open_connection(HOST, self.port)
            self.connected += 1
            await asyncio.sleep(self.interval * i / self.n)
            for _ in range(100_000):  # bounded, and ends when told to stop
                if self.stop:
                    return
                sent = time.perf_counter()
                extra = f"If-None-Match: {etag}\r\n" if etag else ""
                writer.write(f"GET {cursor_path} HTTP/1.1\r\nHost: {HOST}\r\n"
                             f"Accept: application/json\r\n{extra}\r\n".encode())
                await writer.drain()
                head = (await reader.readuntil(b"\r\n\r\n")).decode(errors="replace")
                status = int(head.split(" ", 2)[1])
                length = 0
                for line in head.split("\r\n")[1:]:
                    name, _, value = line.partition(": ")
                    if name.lower() == "content-length":
                        length = int(value)
                    elif name.lower() == "etag":
                        etag = value
                body = await reader.readexactly(length) if length else b""
                if status == 200:
                    self._record(i, body)
                    data = json.loads(body)
                    cursor = data.get("data", data).get("cursor")
                    base = self.path.split("since=")[0]
                    cursor_path = f"{base}since={cursor}"
                elif status != 304:
                    self.errors[str(status)] += 1
                await asyncio.sleep(max(0.0, sent + self.interval - time.perf_counter()))
        except asyncio.CancelledError:
            raise
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            self.errors[type(exc).__name__] += 1

    def delays(self, answered: dict[int, float]) -> tuple[list[float], int, int]:
        """Delay from each change's answer to each screen's first sight of it; seen, expected."""
        out, seen = [], 0
        for screen in self.seen:
            for change_id, answered_at in answered.items():
                if change_id in screen:
                    out.append(screen[change_id] - answered_at)
                    seen += 1
        return out, seen, len(answered) * self.n


# --- readers with think time (open loop) --------------------------------------------------------

def open_loop(port: int, readers: list[list[tuple[str, dict]]], think_s: float, seconds: float,
              seed: int = 0, timeout: float = 10.0) -> dict:
    """``len(readers)`` people, each loading their own pages (path, headers) one after another
    with an exponential think time (mean ``think_s``) between *arrivals*: reader i's arrivals are
    a Poisson process, fixed in advance and independent of the answers, so the offered rate is
    len(readers) / think_s whatever the server does (no coordinated omission). A page whose
    predecessor is still loading goes on a second connection, as a second tab would. Latency is
    from the planned arrival to the last byte of the answer; a page that times out counts with
    the time it was given up at (a lower bound), so an overloaded server shows in p95 and p99
    instead of leaving them to the few pages that came back. Returns p50/p95/p99 ms, errors
    (status >= 400, resets, timeouts), offered and answered req/s, and how late the sends were."""
    import random

    rng = random.Random(seed)
    plans = []
    for pages in readers:
        at, plan = rng.expovariate(1.0 / think_s), []
        while at < seconds and len(plan) < 100_000:
            plan.append((at, pages[len(plan) % len(pages)]))
            at += rng.expovariate(1.0 / think_s)
        plans.append(plan)
    result = {"latencies": [], "errors": Counter(), "late": []}
    asyncio.run(_open_loop_all(port, plans, result, timeout))
    lat = result["latencies"]
    planned = sum(len(p) for p in plans)
    answered = len(lat) - result["errors"]["TimeoutError"]
    return {"p50_ms": (pct(lat, 50) or 0) * 1000, "p95_ms": (pct(lat, 95) or 0) * 1000,
            "p99_ms": (pct(lat, 99) or 0) * 1000, "errors": sum(result["errors"].values()),
            "error_kinds": dict(result["errors"].most_common(4)), "requests": planned,
            "offered_per_s": planned / seconds, "answered_per_s": answered / seconds,
            "send_late_p99_ms": (pct(result["late"], 99) or 0) * 1000,
            "generator": "python asyncio (open loop)"}


async def _open_loop_all(port, plans, result, timeout) -> None:
    start = time.perf_counter() + 0.2
    await asyncio.gather(*(_reader(port, plan, start, result, timeout) for plan in plans))


async def _reader(port, plan, start, result, timeout) -> None:
    idle: list = []  # this reader's keep-alive connections not in use
    pending = []
    for at, (path, headers) in plan:
        delay = start + at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        pending.append(asyncio.ensure_future(
            _page(port, path, headers, start + at, idle, result, timeout)))
    await asyncio.gather(*pending)
    for _reader_, writer in idle:
        writer.close()


async def _page(port, path, headers, planned, idle, result, timeout) -> None:
    result["late"].append(max(0.0, time.perf_counter() - planned))
    request = (f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\n"
               + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()
    while idle:  # a kept-alive connection, unless the server has closed it meanwhile
        conn = idle.pop()
        if not conn[0].at_eof():
            break
        conn[1].close()
    else:
        conn = None
    for attempt in (1, 2):  # the server may close an idle connection as the page goes out:
        reused = conn is not None  # a browser then sends it again on a new one
        try:
            if conn is None:
                conn = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
            conn[1].write(request)
            await conn[1].drain()
            status, keep = await asyncio.wait_for(_read_answer(conn[0]), timeout)
            break
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
            if conn is not None:
                conn[1].close()
                conn = None
            if reused and attempt == 1 and isinstance(exc, (OSError, asyncio.IncompleteReadError)):
                continue
            result["errors"][type(exc).__name__] += 1
            if isinstance(exc, asyncio.TimeoutError):  # it took at least this long
                result["latencies"].append(time.perf_counter() - planned)
            return
    result["latencies"].append(time.perf_counter() - planned)
    if status >= 400:
        result["errors"][str(status)] += 1
    if keep:
        idle.append(conn)
    else:
        conn[1].close()


async def _read_answer(reader) -> tuple[int, bool]:
    """Read one HTTP/1.1 answer (Content-Length or chunked): its status, and whether the
    connection stays open."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    status = int(head.split(" ", 2)[1])
    fields = {}
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    if "content-length" in fields:
        await reader.readexactly(int(fields["content-length"]))
    elif fields.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status, fields.get("connection", "").lower() != "close"


def wait_quiet(port: int, path: str, headers: Optional[dict] = None, within_s: float = 1.0,
               limit_s: float = 90.0) -> float:
    """Wait until the server answers ``path`` within ``within_s`` (it may still be working off
    what an earlier round left queued); at most ``limit_s``. Returns the seconds waited."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit_s:
        sent = time.perf_counter()
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=limit_s)
            conn.request("GET", path, headers=headers or {})
            conn.getresponse().read()
            conn.close()
        except (OSError, http.client.HTTPException):
            pass
        if time.perf_counter() - sent < within_s:
            break
        time.sleep(0.5)
    return time.perf_counter() - started
