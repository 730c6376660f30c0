"""Real server processes for browser and live-update tests: a seeded database, then
`flask run` or gunicorn with several workers, on a free port of 127.0.0.1."""
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
DEMO_PASSWORD = "demo-strategy-2026"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def maintenance_engine(url):
    """An autocommit engine on the server's `postgres` database (CREATE and DROP DATABASE)."""
    import sqlalchemy as sa

    from strategy import database_url

    return sa.create_engine(database_url(url.set(database="postgres").render_as_string(
        hide_password=False)), isolation_level="AUTOCOMMIT")


def database_of_this_worker(variable: str) -> None:
    """Under pytest-xdist, point the PostgreSQL URL in `variable` at a database of this worker's
    own (created when absent): each test empties its database, so two workers cannot share one."""
    url = os.environ.get(variable)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker or not url.startswith(("postgresql", "postgres:")):
        return
    import sqlalchemy as sa

    own = sa.engine.make_url(url)  # the scheme stays as written (postgresql:// is tested)
    own = own.set(database=f"{own.database}_{worker}")
    server = maintenance_engine(own)
    with server.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                              {"name": own.database}).scalar()
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{own.database}"'))
    server.dispose()
    os.environ[variable] = own.render_as_string(hide_password=False)


def server_env(database_url: str) -> dict:
    env = dict(os.environ)
    env.update({"DATABASE_URL": database_url, "FLASK_APP": "app",
                "FLASK_SECRET_KEY": "browser-test-secret", "PYTHONUNBUFFERED": "1"})
    return env


def drop_postgres_schema(engine) -> None:
    """DROP SCHEMA, ending first any connection a previous test left behind.

    A background thread of an earlier test's app (a grouping run, the live hub) may still hold
    a lock on a table; DROP then deadlocks with it (seen once in CI). Its connections belong to
    a finished test, so they are ended and the drop retried."""
    import sqlalchemy as sa

    for attempt in range(5):
        try:
            with engine.begin() as conn:
                conn.execute(sa.text("SET LOCAL lock_timeout = '5s'"))
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            return
        except sa.exc.OperationalError:
            if attempt == 4:
                raise
            with engine.begin() as conn:
                conn.execute(sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            engine.dispose()  # the pool's own idle connections may have been among them


def engine_for(url: str):
    """An engine of the test's own on ``url`` as people write it (``postgresql://`` means
    psycopg 3 here, as for the app, not SQLAlchemy's default psycopg2)."""
    import sqlalchemy as sa

    from strategy import database_url

    return sa.create_engine(database_url(url))


def database_url_for(tmp_dir: Path) -> str:
    """A fresh SQLite file; with TEST_DATABASE_URL the PostgreSQL test database (emptied)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        engine = engine_for(url)  # the served app reads it as written
        drop_postgres_schema(engine)
        engine.dispose()
        return url
    return f"sqlite:///{tmp_dir / 'served.sqlite'}"


def run_seed_demo(database_url: str) -> None:
    subprocess.run([str(BIN / "flask"), "seed-demo", "--password", DEMO_PASSWORD], cwd=ROOT,
                   env=server_env(database_url), check=True, capture_output=True)


# The demo seeded once per test process, then copied: seeding runs six groupings (about 20 s),
# and some 25 tests start from the demo. tests/test_cli.py runs the real command on its own.
_seeded_templates: dict[str, str] = {}


def seed(database_url: str) -> None:
    """Fill an empty database with the demo: a copy of a file seeded once (SQLite) or a
    database created from a seeded template (PostgreSQL; the target is dropped and recreated)."""
    if database_url.startswith("sqlite:///"):
        copy_seeded_sqlite(Path(database_url[len("sqlite:///"):]))
    elif database_url.startswith(("postgresql", "postgres:")):
        clone_seeded_postgresql(database_url)
    else:
        run_seed_demo(database_url)


def copy_seeded_sqlite(target: Path) -> None:
    import sqlite3
    import tempfile

    if "sqlite" not in _seeded_templates:
        template = Path(tempfile.mkdtemp(prefix="seeded-demo-")) / "demo.sqlite"
        run_seed_demo(f"sqlite:///{template}")
        _seeded_templates["sqlite"] = str(template)
    # The backup API copies a consistent database, whatever is still in the WAL.
    source = sqlite3.connect(_seeded_templates["sqlite"])
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


def clone_seeded_postgresql(database_url: str) -> None:
    import sqlalchemy as sa

    target = sa.engine.make_url(database_url)
    template = target.set(database=f"{target.database}_seeded")  # the first target names it
    server = maintenance_engine(target)
    try:
        with server.connect() as conn:
            if "postgresql" not in _seeded_templates:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{template.database}" WITH (FORCE)'))
                conn.execute(sa.text(f'CREATE DATABASE "{template.database}"'))
                run_seed_demo(template.render_as_string(hide_password=False))
                _seeded_templates["postgresql"] = template.database
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}" '
                                 f'TEMPLATE "{_seeded_templates["postgresql"]}"'))
    finally:
        server.dispose()


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode}; see its log")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not start in {timeout} s")


@contextmanager
def served_app(tmp_dir: Path, workers: int = 0, on_start=None):
    """Yield the base URL of the seeded demo app; workers > 0 means gunicorn with that many.
    The server's output goes to tmp_dir/server.log; on_start(process) sees the process."""
    database_url = database_url_for(tmp_dir)
    seed(database_url)
    with serve(database_url, tmp_dir, workers=workers, on_start=on_start) as base:
        yield base


@contextmanager
def serve(database_url: str, tmp_dir: Path, workers: int = 0, on_start=None,
          name: str = "server", env: dict | None = None):
    """One app instance on a free port against an existing database (several may share it:
    the two-host test). Output goes to tmp_dir/<name>.log."""
    port = free_port()
    if workers:
        command = [str(BIN / "gunicorn"), "--workers", str(workers), "--threads", "8",
                   "--bind", f"127.0.0.1:{port}", "app:app"]
    else:
        command = [str(BIN / "flask"), "run", "--host", "127.0.0.1", "--port", str(port)]
    # The server writes to a file, not a pipe nobody reads: a full pipe would block workers.
    log = open(Path(tmp_dir) / f"{name}.log", "w")
    process = subprocess.Popen(command, cwd=ROOT, env={**server_env(database_url), **(env or {})},
                               stdout=log, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    if on_start is not None:
        on_start(process)
    try:
        wait_until_up(base + "/", process)
        yield base
    finally:
        if process.poll() is None:
            # SIGINT is gunicorn's quick shutdown: SIGTERM would wait for open live streams.
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@contextmanager
def chromium():
    """Debian's Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


ARTIFACTS = ROOT / "test-artifacts"


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def join_in_browser(page, base_url: str, name: str, library: str = "Библиотека села Хомутово",
                    municipality: str = "Иркутский район", code: str = "BAIKAL26") -> None:
    """A participant joins the demo event through its join form and sees their return code."""
    from playwright.sync_api import expect

    page.goto(f"{base_url}/join/{code}")
    page.get_by_label("Как вас представить (имя и фамилия)").fill(name)
    page.get_by_label("Библиотека", exact=True).fill(library)
    page.get_by_label("Муниципальное образование").fill(municipality)
    page.get_by_role("button", name="Войти в мероприятие").click()
    expect(page.locator("[data-return-code]")).to_be_visible()


def sign_in_in_browser(page, base_url: str, email: str) -> None:
    """A demo staff member signs in with the demo password."""
    from playwright.sync_api import expect

    page.goto(base_url + "/login")
    page.get_by_label("Электронная почта").fill(email)
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page.locator("form[action$='/logout']")).to_be_attached()


FORM_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def form_token(html: str) -> str:
    """The CSRF token of the first form of a page."""
    return FORM_TOKEN.search(html).group(1)


def staff_over_http(base: str, email: str = "metod@strategy.demo"):
    """A demo staff member's own HTTP session, signed in through the login form."""
    import requests

    staff = requests.Session()
    html = staff.get(f"{base}/login", timeout=60).text
    signed = staff.post(f"{base}/login", timeout=60, allow_redirects=False, data={
        "csrf_token": form_token(html), "email": email, "password": DEMO_PASSWORD})
    assert signed.status_code == 302, signed.text[:300]
    return staff


def join_over_http(base: str, name: str, code: str = "BAIKAL26"):
    """A phone of its own (an HTTP session) that joins the event through the join form."""
    import requests

    phone = requests.Session()
    html = phone.get(f"{base}/join", timeout=60).text
    joined = phone.post(f"{base}/join", timeout=60, allow_redirects=False, data={
        "csrf_token": form_token(html), "event_code": code, "display_name": name,
        "library": "Библиотека", "municipality": "Иркутск"})
    assert joined.status_code == 302, joined.text[:300]
    return phone


def fresh_connection(session) -> None:
    """Drop the session's pooled keep-alive connection (its cookies stay). A storm's phones
    fetch their pages one after another, then wait for the start: on a slow machine gunicorn
    may have closed the first phones' idle connections by then, and a POST sent on such a
    socket is reset, which a browser retries but requests does not."""
    session.close()
