"""Configuration classes. Order of precedence is written down in create_app()."""
import os


class Config:
    """Defaults for every environment; secrets come from instance/ or the environment."""

    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite:///strategy.sqlite")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    BABEL_DEFAULT_LOCALE = "ru"
    BABEL_DEFAULT_TIMEZONE = "Asia/Irkutsk"
    LANGUAGES = ("ru", "en")
    # A phone left open for hours in the hall must still be able to post: tokens live as
    # long as the session instead of the default hour.
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_SSL_STRICT = False
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 30
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Wrong event or return codes per client address; a hall behind one NAT still fits.
    CODE_ATTEMPT_LIMIT = "20 per minute"
    SIGNIN_ATTEMPT_LIMIT = "10 per minute"
    REDIS_URL = os.environ.get("REDIS_URL")
    PROPOSALS_PER_PAGE = 20
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024


class TestingConfig(Config):
    """A temporary SQLite file (set by the fixture) or TEST_DATABASE_URL for PostgreSQL."""

    TESTING = True
    RATELIMIT_STORAGE_URI = "memory://"
