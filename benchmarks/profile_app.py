"""Where the app's time goes under load: py-spy samples every gunicorn worker while wrk (or
the Python generator) loads one path; prints the functions that dominate, one JSON line each.

Not part of `make bench` (it needs ptrace, which containers may forbid). Run:
  python -m benchmarks.profile_app [--seconds 10] [--phase support|poll|stream]
The shares are of wall-clock samples (py-spy --idle), so waiting on a lock counts too.
"""
import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import bench_app, loadgen  # noqa: E402
from tests import servers  # noqa: E402

TOP = 12
IDLE = ["--idle"]  # --cpu drops it: on-CPU samples only
# Library frames worth seeing inclusively: SQL execution, commits, socket writes, templates.
LIBRARY_KEYS = ("do_execute ", "do_commit ", "SocketMixin.send ", "Template.render ",
                "handle_request ", "QueuePool._do_get ", "_ConnectionFairy._checkout ", "Queue.get ")


def worker_pids(master: int) -> list[int]:
    out = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines()
                          if ":" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(master):
            out.append(int(status.parent.name))
    return out


def record(pid: int, seconds: float, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(servers.BIN / "py-spy"), "record", "--pid", str(pid), "--duration",
         str(int(seconds)), "--rate", "200", *IDLE, "--format", "raw", "--output", str(out),
         "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def label(frame: str) -> str:
    """ "func (path/file.py:123)" -> "func (file.py)": lines of one function count together."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit('/', 1)[-1].split(':')[0]})"


def summarise(files: list[Path]) -> tuple[Counter, Counter, int]:
    """Inclusive samples per project function, and per leaf (where the CPU or wait is)."""
    inclusive, leaf, total = Counter(), Counter(), 0
    for path in files:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            total += n
            frames = stack.split(";")
            leaf[label(frames[-1])] += n
            for name in {label(f) for f in frames if "site-packages" not in f and "strategy/" in f
                         or any(key in f for key in LIBRARY_KEYS)}:
                inclusive[name] += n
    return inclusive, leaf, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--phase", choices=["support", "poll"], default="support")
    parser.add_argument("--cpu", action="store_true",
                        help="sample only while on CPU (without it, waiting counts too)")
    args = parser.parse_args()
    if args.cpu:
        IDLE.clear()
    with tempfile.TemporaryDirectory(prefix="profile_app_") as tmp:
        tmp_dir = Path(tmp)
        url = servers.database_url_for(tmp_dir)
        servers.seed(url)
        with bench_app.gunicorn("app:app", bench_app.app_env(url), tmp_dir / "app.log") as (
                port, proc):
            servers.wait_until_up(f"http://127.0.0.1:{port}/", proc, timeout=120)
            engine = sa.create_engine(url)
            with engine.connect() as conn:
                pids = list(conn.execute(sa.text(
                    "SELECT id FROM proposals WHERE status = 'published'")).scalars())
                latest = conn.execute(sa.text("SELECT max(id) FROM changes")).scalar()
            engine.dispose()
            if args.phase == "support":
                with ThreadPoolExecutor(8) as pool:
                    people = list(pool.map(lambda i: bench_app.join(port, i), range(200)))
                pairs = [(p, pid) for p in people for pid in pids]
                random.Random(0).shuffle(pairs)
                lines = [bench_app.support_line(1, p, pid) for p, pid in pairs]
                method = "POST"
            else:
                feed = f"/events/1/feed?since={latest}"
                tag = bench_app.http_request(port, "GET", feed)[0].getheader("ETag")
                lines = [(feed, {"If-None-Match": tag, "Accept": "application/json"}, "")]
                method = "GET"
            outputs = [tmp_dir / f"spy-{pid}.txt" for pid in worker_pids(proc.pid)]
            spies = [record(int(p.stem.split("-")[1]), args.seconds, p) for p in outputs]
            time.sleep(0.5)
            load = loadgen.closed_loop(port, method, lines, 100, args.seconds - 1)
            for spy in spies:
                spy.wait(timeout=args.seconds + 30)
            inclusive, leaf, total = summarise(outputs)
    print(json.dumps({"phase": args.phase, "load": {k: round(v, 1) if isinstance(v, float)
                                                    else v for k, v in load.items()},
                      "samples": total}, ensure_ascii=False))
    for kind, counter in (("inclusive", inclusive), ("leaf", leaf)):
        for name, n in counter.most_common(TOP):
            print(json.dumps({"kind": kind, "share": round(n / max(total, 1), 3),
                              "function": name}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
