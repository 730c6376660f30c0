"""The strategy workshop platform: application factory."""
import os
import secrets
import time
from pathlib import Path

from flask import Flask, current_app, g, has_request_context, request, session
from flask_login import current_user
from sqlalchemy import event as sa_event

from strategy.config import Config

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app. Config order: Config class, instance/config.py, FLASK_* env, test_config."""
    app = Flask(__name__, instance_path=str(ROOT / "instance"), instance_relative_config=True,
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    app.config.from_object(Config)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env()
    else:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    normalise_database_url(app)
    ensure_secret_key(app)
    configure_sqlite(app)
    trust_proxies(app)

    init_extensions(app)
    bind_sqlite_engine(app)
    strip_nul_for_postgresql(app)
    install_url_converters(app)
    register_blueprints(app)

    from strategy.api import setup as api_setup

    api_setup.init_app(app)

    from strategy import cli
    from strategy.core import errors, hardening, templating

    errors.register_error_handlers(app)
    hardening.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    register_request_hooks(app)
    return app


def normalise_database_url(app: Flask) -> None:
    """``postgresql://`` and ``postgres://`` (as hosting panels and libpq write them) use the
    psycopg 3 driver we install; SQLAlchemy alone would look for psycopg2."""
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config["SQLALCHEMY_DATABASE_URI"])


def database_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def ensure_secret_key(app: Flask) -> None:
    """Use the configured key, else one generated once into instance/secret_key (never in git)."""
    if app.config.get("SECRET_KEY"):
        return
    key_file = Path(app.instance_path) / "secret_key"
    try:
        # O_EXCL: when several server processes start at once, exactly one writes the key.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    for _attempt in range(50):  # another process may be between creating and writing it
        key = key_file.read_text().strip()
        if key:
            break
        time.sleep(0.02)
    app.config["SECRET_KEY"] = key


def trust_proxies(app: Flask) -> None:
    """Behind PROXY_FIX reverse proxies, believe exactly that many X-Forwarded-* hops: the
    client's address (limits), scheme (Secure cookies) and host. Without it, none are trusted."""
    from strategy.supports.lane import SupportLane

    # inside ProxyFix: both see the real scheme and host
    app.wsgi_app = SupportLane(app, app.wsgi_app)
    app.wsgi_app = SecureCookiesOverTLS(app.wsgi_app)
    hops = int(app.config.get("PROXY_FIX") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_port=hops, x_prefix=hops)


def configure_sqlite(app: Flask) -> None:
    """SQLite gets a busy timeout so concurrent writers wait instead of failing."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        timeout = app.config.get("SQLITE_BUSY_TIMEOUT", 15)
        options.setdefault("connect_args", {"timeout": timeout, "check_same_thread": False})
        if ":memory:" not in uri and uri.rstrip("/") not in ("sqlite:", "sqlite+pysqlite:"):
            # A file on this host cannot drop the connection: no ping before each checkout.
            # Greenlets waiting for the write turn keep their connection, so the pool is as
            # large as a worker's writers; a smaller one closed its overflow connections and
            # opened new ones (PRAGMAs and a schema parse each) all the time under load.
            options["pool_pre_ping"] = False
            options.setdefault("pool_size", 32)
            options.setdefault("max_overflow", 32)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def bind_sqlite_engine(app: Flask) -> None:
    """Our pragmas and transaction rules on the app's own engine only (never on every Engine
    of the process). Write requests begin with BEGIN IMMEDIATE: they take the write lock at
    their first statement and wait for it there (busy timeout), instead of reading a snapshot
    that a concurrent commit makes stale, which SQLite refuses at once ("database is locked")
    and which let the dot-voting count be read before another click's insert. Reads, and
    requests marked read-only, never wait for writers (WAL).
    This is the pysqlite recipe of SQLAlchemy's SQLite dialect documentation."""
    from strategy.core.db import begin_immediate, install_write_gate
    from strategy.extensions import db

    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    install_write_gate(engine)

    @sa_event.listens_for(engine, "connect")
    def sqlite_pragmas(dbapi_connection, connection_record):
        busy_ms = int(float(app.config.get("SQLITE_BUSY_TIMEOUT", 15)) * 1000)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers go on while one writes
        cursor.execute("PRAGMA foreign_keys=ON")  # off by default in SQLite
        cursor.execute(f"PRAGMA synchronous={sqlite_synchronous(app)}")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.close()

    @sa_event.listens_for(engine, "begin")
    def sqlite_begin(connection):
        dbapi_connection = connection.connection.dbapi_connection
        if request_writes():
            dbapi_connection.isolation_level = None  # pysqlite's own BEGIN off: we emit ours
            begin_immediate(connection, float(app.config.get("SQLITE_BUSY_TIMEOUT", 15)))
        else:
            # pysqlite's own mode: each read sees the latest commit, and a deferred BEGIN comes
            # just before the first write (CLI, background runs).
            dbapi_connection.isolation_level = ""


def install_url_converters(app: Flask) -> None:
    from strategy.core import hardening

    hardening.install_url_converters(app)


def strip_nul_for_postgresql(app: Flask) -> None:
    """PostgreSQL refuses NUL in text ("cannot contain NUL characters"); requests are cleaned
    already (strategy.core.hardening), this keeps imported files and CLI input from failing."""
    from strategy.core.db import begin_immediate
    from strategy.extensions import db

    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        return

    @sa_event.listens_for(engine, "before_cursor_execute", retval=True)
    def without_nul(conn, cursor, statement, parameters, context, executemany):
        return statement, strip_nul(parameters)


def strip_nul(parameters):
    if isinstance(parameters, str):
        return parameters.replace("\x00", "") if "\x00" in parameters else parameters
    if isinstance(parameters, dict):
        return {key: strip_nul(value) for key, value in parameters.items()}
    if isinstance(parameters, (list, tuple)):
        return type(parameters)(strip_nul(value) for value in parameters)
    return parameters


def sqlite_synchronous(app: Flask) -> str:
    """NORMAL (default) or FULL; see README «Backups and durability»."""
    value = str(app.config.get("SQLITE_SYNCHRONOUS") or "NORMAL").upper()
    return value if value in ("NORMAL", "FULL", "EXTRA") else "NORMAL"


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_writes() -> bool:
    """Whether this request's transactions may write: unsafe methods, unless the view is
    marked read-only (strategy.core.hardening.read_only) or takes the lock itself just before
    its writes (strategy.core.db.lock_late). Outside requests (CLI, background runs)
    transactions stay deferred: a long grouping run must not hold the write lock."""
    if not has_request_context():
        return False
    if request.method in READ_METHODS:
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return not (getattr(view, "read_only", False) or getattr(view, "lock_late", False))


def init_extensions(app: Flask) -> None:
    from flask_babel import lazy_gettext

    from strategy import models  # noqa: F401  (every table known before migrations run)
    from strategy.auth import throttle
    from strategy.core.sessions import DailyRefreshedSessionInterface
    from strategy.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    throttle.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone,
                   default_translation_directories=str(ROOT / "translations"))
    login_manager.init_app(app)
    app.session_interface = DailyRefreshedSessionInterface()
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Войдите, чтобы продолжить.")
    login_manager.login_message_category = "info"


def select_locale() -> str:
    """Russian by default; the language switch stores the choice in the session."""
    if not has_request_context():
        return "ru"  # CLI and background jobs write Russian
    lang = session.get("lang")
    return lang if lang in ("ru", "en") else "ru"


def select_timezone() -> str:
    return getattr(g, "event_tz", None) or "Asia/Irkutsk"


DOMAINS = ("auth", "events", "proposals", "supports", "comments", "moderation", "live",
           "workspace", "export", "imports", "programme", "review", "polls",
           "notifications", "jobs", "discussion")


def register_blueprints(app: Flask) -> None:
    """Import each domain's routes (which attach views to its bp), then register the bp."""
    import importlib

    for domain in DOMAINS:
        importlib.import_module(f"strategy.{domain}.routes")
        app.register_blueprint(importlib.import_module(f"strategy.{domain}").bp)


def register_request_hooks(app: Flask) -> None:
    from strategy.core.writes import autocommit_short_writes

    # first of all hooks: the throttle's reads already use the request's connection
    app.before_request_funcs.setdefault(None, []).insert(0, autocommit_short_writes)

    @app.context_processor
    def inject_globals():
        from flask_babel import get_locale

        return {"current_lang": str(get_locale()), "current_user": current_user}

    app.after_request(security_headers)


# Scripts and styles only from our own files (no inline code, no eval); images may be data: URIs
# (the QR code is inline SVG markup, not an image, so it needs nothing).
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "font-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'self'",
    "form-action 'self'", "frame-ancestors 'self'"))
PERMISSIONS_POLICY = ("camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
                      "serial=(), bluetooth=(), midi=(), magnetometer=(), gyroscope=()")


def security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    if request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "public, max-age=3600")
    return response


class SecureCookiesOverTLS:
    """Over HTTPS (directly or through PROXY_FIX) every cookie is marked Secure. Done in WSGI
    because Flask saves the session, and Flask-Login the remember cookie, after our hooks."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("wsgi.url_scheme") != "https":
            return self.wsgi_app(environ, start_response)

        def start_secure(status, headers, exc_info=None):
            headers = [(name, value + "; Secure")
                       if name.lower() == "set-cookie" and "; secure" not in value.lower()
                       else (name, value) for name, value in headers]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start_secure)
