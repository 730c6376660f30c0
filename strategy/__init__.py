"""The strategy workshop platform: application factory."""
import os
import secrets
import time
from pathlib import Path

from flask import Flask, g, has_request_context, request, session
from flask_login import current_user
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine

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
    ensure_secret_key(app)
    configure_sqlite(app)

    init_extensions(app)
    register_blueprints(app)

    from strategy import cli
    from strategy.core import errors, templating

    errors.register_error_handlers(app)
    templating.init_app(app)
    cli.init_app(app)
    register_request_hooks(app)
    return app


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


def configure_sqlite(app: Flask) -> None:
    """SQLite gets a busy timeout so concurrent writers wait instead of failing."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        options.setdefault("connect_args", {"timeout": 15, "check_same_thread": False})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


@sa_event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL lets readers go on while one writes; foreign keys are off in SQLite by default."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()


def init_extensions(app: Flask) -> None:
    from flask_babel import lazy_gettext

    from strategy import models  # noqa: F401  (every table known before migrations run)
    from strategy.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone,
                   default_translation_directories=str(ROOT / "translations"))
    login_manager.init_app(app)
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
           "workspace", "export", "imports", "programme")


def register_blueprints(app: Flask) -> None:
    """Import each domain's routes (which attach views to its bp), then register the bp."""
    import importlib

    for domain in DOMAINS:
        importlib.import_module(f"strategy.{domain}.routes")
        app.register_blueprint(importlib.import_module(f"strategy.{domain}").bp)


def register_request_hooks(app: Flask) -> None:
    @app.context_processor
    def inject_globals():
        from flask_babel import get_locale

        return {"current_lang": str(get_locale()), "current_user": current_user}

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "public, max-age=3600")
        return response
