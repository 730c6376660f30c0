"""Two hosts behind nginx (docs/deploy.md): Debian's nginx, run as this user from a config in
tmp_path, in front of two gunicorn instances sharing one PostgreSQL database and one Redis.

nginx listens on three ports: the public one balances over both instances (as in production),
and one per instance, so the test can say "through A" and "through B" and still go through
nginx (X-Forwarded-For, buffering off for the stream). Shown: a support posted through A reaches
a live stream connected to B; a session signed in through A works through B; the wrong-code
limit counts across both. Skipped without nginx, PostgreSQL or Redis."""
import json
import os
import queue
import re
import shutil
import subprocess
import threading
import time
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import redis
import requests
import sqlalchemy as sa

from strategy import database_url as normalised
from tests.servers import free_port, seed, serve

# Written as hosting panels write it: the app must accept postgresql:// as it is.
DATABASE_URL = os.environ.get("TEST_TWO_HOSTS_DATABASE_URL",
                              "postgresql://postgres@127.0.0.1:5432/strategy_test_jobs")
REDIS_URL = "redis://127.0.0.1:6379/12"
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
EVENT_CODE = "BAIKAL26"
# One worker runs these (make test uses pytest-xdist): they share Redis db 12 and its limits.
pytestmark = pytest.mark.xdist_group("two_hosts")
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def reachable_postgresql() -> bool:
    try:
        engine = sa.create_engine(normalised(DATABASE_URL), connect_args={"connect_timeout": 3})
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001  (any failure means: no database to test against)
        return False


NGINX_CONF = """
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    upstream strategy {{ server 127.0.0.1:{a}; server 127.0.0.1:{b}; keepalive 16;
                         keepalive_timeout 60s; }}
    upstream host_a {{ server 127.0.0.1:{a}; }}
    upstream host_b {{ server 127.0.0.1:{b}; }}
    server {{ listen 127.0.0.1:{public}; location / {{ proxy_pass http://strategy; {proxy} }} }}
    server {{ listen 127.0.0.1:{via_a}; location / {{ proxy_pass http://host_a; {proxy} }} }}
    server {{ listen 127.0.0.1:{via_b}; location / {{ proxy_pass http://host_b; {proxy} }} }}
}}
"""
PROXY = ("proxy_http_version 1.1; proxy_set_header Connection \"\"; "
         "proxy_set_header Host $http_host; "
         "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; "
         "proxy_set_header X-Forwarded-Proto $scheme; proxy_set_header X-Forwarded-Host $host; "
         "proxy_buffering off; proxy_read_timeout 3600s;")


@contextmanager
def nginx(tmp_path: Path, a: int, b: int):
    prefix = tmp_path / "nginx"
    (prefix / "tmp").mkdir(parents=True)
    (prefix / "logs").mkdir()
    ports = {"public": free_port(), "via_a": free_port(), "via_b": free_port()}
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=prefix, a=a, b=b, proxy=PROXY, **ports))
    process = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(prefix)],
                               stdout=subprocess.DEVNULL, stderr=open(prefix / "stderr", "w"))
    try:
        for port in ports.values():
            wait_for_port(port, process, prefix)
        yield {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for_port(port: int, process: subprocess.Popen, prefix: Path) -> None:
    deadline = time.time() + 10
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError("nginx exited: " + (prefix / "stderr").read_text()[-2000:])
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"nginx did not listen on {port}")


def port_of(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


@pytest.fixture
def two_hosts(tmp_path):
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx)")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    if not reachable_postgresql():
        pytest.skip(f"PostgreSQL is not reachable at {DATABASE_URL}")
    prefix = f"test-two-hosts-{uuid.uuid4().hex[:10]}"
    env = {"REDIS_URL": REDIS_URL, "FLASK_RATELIMIT_KEY_PREFIX": prefix,
           "FLASK_JOBS_QUEUE": prefix, "PROXY_FIX": "1", "FLASK_LIVE_SSE_SECONDS": "30"}
    seed(DATABASE_URL)
    with ExitStack() as stack:
        a = stack.enter_context(serve(DATABASE_URL, tmp_path, workers=2, name="host-a", env=env))
        b = stack.enter_context(serve(DATABASE_URL, tmp_path, workers=2, name="host-b", env=env))
        yield stack.enter_context(nginx(tmp_path, port_of(a), port_of(b)))
    connection = redis.Redis.from_url(REDIS_URL)
    for key in connection.scan_iter(f"*{prefix}*"):
        connection.delete(key)


def token(html: str) -> str:
    return TOKEN.search(html).group(1)


def join(browser: requests.Session, base: str, code: str = EVENT_CODE, name: str = "Участница"):
    page = browser.get(f"{base}/join", timeout=30).text
    return browser.post(f"{base}/join", timeout=30, allow_redirects=False, data={
        "csrf_token": token(page), "event_code": code, "display_name": name,
        "library": "Центральная библиотека", "municipality": "Иркутск"})


def a_proposal() -> tuple[int, int]:
    engine = sa.create_engine(normalised(DATABASE_URL))
    with engine.connect() as conn:
        row = conn.execute(sa.text(
            "SELECT p.id, t.event_id FROM proposals p JOIN tracks t ON t.id = p.track_id "
            "WHERE p.status = 'published' ORDER BY p.id LIMIT 1")).one()
    engine.dispose()
    return row.id, row.event_id


def listen(url: str, seen: queue.Queue, stop: threading.Event) -> None:
    """Read a server-sent event stream; put each data: payload on ``seen``."""
    try:
        with requests.get(url, stream=True, timeout=(5, 30),
                          headers={"Accept": "text/event-stream"}) as response:
            seen.put(("status", response.status_code))
            for line in response.iter_lines(decode_unicode=True):
                if stop.is_set():
                    return
                if line and line.startswith("data:"):
                    seen.put(("data", json.loads(line[5:])))
    except requests.RequestException as error:
        seen.put(("error", repr(error)))


def test_support_through_a_reaches_a_stream_on_b(two_hosts):
    proposal_id, event_id = a_proposal()
    seen, stop = queue.Queue(), threading.Event()
    threading.Thread(target=listen, daemon=True, args=(
        f"{two_hosts['via_b']}/events/{event_id}/stream", seen, stop)).start()
    assert seen.get(timeout=10) == ("status", 200)
    browser = requests.Session()
    assert join(browser, two_hosts["via_a"]).status_code == 302
    page = browser.get(f"{two_hosts['via_a']}/events/{event_id}/proposals/{proposal_id}",
                       timeout=30).text
    response = browser.post(f"{two_hosts['via_a']}/events/{event_id}/proposals/{proposal_id}"
                            "/support", data={"csrf_token": token(page)}, timeout=30,
                            allow_redirects=False)
    assert response.status_code == 302
    deadline = time.time() + 10
    found = False
    while not found and time.time() < deadline:
        try:
            kind, payload = seen.get(timeout=max(0.1, deadline - time.time()))
        except queue.Empty:
            break
        assert kind == "data", payload
        found = any(c.get("proposal_id") == proposal_id for c in payload.get("changes", []))
    stop.set()
    assert found, "the support through A never reached the stream on B"


def test_a_session_signed_in_through_a_works_through_b(two_hosts):
    browser = requests.Session()
    assert join(browser, two_hosts["via_a"], name="Читатель").status_code == 302
    welcome = browser.get(f"{two_hosts['via_b']}/welcome", timeout=30, allow_redirects=False)
    assert welcome.status_code == 200 and "Читатель" in welcome.text
    for _ in range(6):  # and through the balanced entry, whichever instance answers
        assert browser.get(f"{two_hosts['public']}/welcome", timeout=30,
                           allow_redirects=False).status_code == 200


def test_the_wrong_code_limit_counts_across_both_instances(two_hosts):
    browser = requests.Session()
    statuses = [join(browser, two_hosts["via_a" if n % 2 else "via_b"], code="NOSUCH99")
                .status_code for n in range(10)]
    assert statuses == [404] * 10  # ten mistypes, five on each instance: all still answered
    over = join(browser, two_hosts["via_a"], code="NOSUCH99")
    assert over.status_code == 429  # the eleventh: the per-browser limit is 10 per minute
    assert "Слишком много неверных кодов" in over.text
    assert join(browser, two_hosts["via_b"], code="NOSUCH99").status_code == 429
