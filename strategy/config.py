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
    # Over HTTPS a write must also carry our own page as its Referer (Flask-WTF); every write
    # naming another site as its Origin is refused (strategy/core/hardening.py).
    WTF_CSRF_SSL_STRICT = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 30
    # Every limiter counter lives here. With REDIS_URL all server processes share it; with
    # memory:// each gunicorn worker counts on its own (a limit below is then per process).
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL", "memory://")
    RATELIMIT_KEY_PREFIX = "strategy-limits"
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_HEADERS_ENABLED = True
    # The event code is on the projector: it is no secret, so a right one is never refused.
    # Wrong ones are slowed per browser (a random id in the signed session cookie); the
    # per-address ceiling is far above what a hall of 300 behind one NAT mistypes.
    WRONG_EVENT_CODE_BROWSER_LIMIT = "10 per minute"
    WRONG_EVENT_CODE_ADDRESS_LIMIT = "600 per minute"
    # Return codes are secrets (about 59 bits): once over the limit, even a right one waits.
    RETURN_CODE_BROWSER_LIMIT = "10 per minute;30 per hour"
    RETURN_CODE_ADDRESS_LIMIT = "60 per minute"
    # Against stuffing (public code): new identities per browser, and per address sized for a
    # hall (300 joining in 5 minutes pass; a script making 100 a minute is stopped).
    JOIN_BROWSER_LIMIT = "5 per day"
    JOIN_ADDRESS_LIMIT = "360 per 5 minutes;1000 per day"
    # Per participant (keyed on the account, not the address): writing and supporting.
    PROPOSAL_LIMIT = "5 per minute;30 per hour"
    COMMENT_LIMIT = "10 per minute;100 per hour"
    SUPPORT_LIMIT = "30 per minute"
    # Invitation links and the older generic limit (kept for the invitation link).
    CODE_ATTEMPT_LIMIT = "20 per minute"
    SIGNIN_ATTEMPT_LIMIT = "10 per minute"
    # A participant's first support of a proposal through the API is answered in front of Flask
    # (strategy/supports/lane.py; same rules, rows and answer). False sends every click through
    # the full app.
    SUPPORT_LANE = True
    REDIS_URL = os.environ.get("REDIS_URL")
    # Long work (grouping, the DOCX draft) goes to `flask worker` through RQ on REDIS_URL.
    # JOBS_IN_PROCESS runs it in a thread of the web worker instead (also the fallback whenever
    # Redis is unset or unreachable); None means "in process when TESTING". JOBS_QUEUE names the
    # queue (one per installation sharing a Redis).
    JOBS_IN_PROCESS = None
    JOBS_QUEUE = "strategy"
    # From this many published proposals the downloads page prepares the DOCX in the worker
    # («скачать, когда готово») instead of building it inside the request.
    DOCX_PREPARE_FROM = 1000
    # Where prepared files wait for their download (a day); unset: instance/exports.
    EXPORTS_DIR = os.environ.get("EXPORTS_DIR")
    # The address phones in the hall open, e.g. https://strategy.library.ru or
    # http://192.168.1.20:5000: used for the projector's QR code and join address, invitation and
    # return links. Unset, links follow the address each page was opened with.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "")
    # Number of reverse proxies in front of the app (nginx: 1). Exactly that many
    # X-Forwarded-For/-Proto/-Host hops are believed; 0 trusts none (direct connections).
    PROXY_FIX = int(os.environ.get("PROXY_FIX", "0"))
    # SQLite durability (README «Backups and durability»): NORMAL, or FULL to lose nothing
    # acknowledged even on a power cut, at the price of one more disk sync per write.
    SQLITE_SYNCHRONOUS = os.environ.get("SQLITE_SYNCHRONOUS", "NORMAL")
    SQLITE_BUSY_TIMEOUT = 15
    PROPOSALS_PER_PAGE = 20
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024


class TestingConfig(Config):
    """A temporary SQLite file (set by the fixture) or TEST_DATABASE_URL for PostgreSQL."""

    TESTING = True
    RATELIMIT_STORAGE_URI = "memory://"
