"""Counters for codes typed, identities made and actions taken, keyed on what they limit.

Flask-Limiter's decorators count per address and decide before the view runs, which is wrong
for a hall behind one NAT: the right event code must pass whatever others typed. So the views
ask here after they know whether the code was right. The counters live in the limiter's storage
(Redis where REDIS_URL is set, shared by every server process; memory:// counts per process).
"""
import secrets
import time

from flask import Flask, current_app, g, jsonify, render_template, request, session
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from limits import parse_many
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import STRATEGIES

from strategy.core.errors import wants_json

BROWSER_KEY = "browser"


def init_app(app: Flask) -> None:
    """One storage per app (tests build several apps; workers share it through Redis)."""
    uri = app.config["RATELIMIT_STORAGE_URI"]
    options = {}
    if uri.startswith(("redis", "rediss")):
        options["key_prefix"] = app.config.get("RATELIMIT_KEY_PREFIX") or "strategy-limits"
    storage = InlineExpiryMemoryStorage() if uri == "memory://" else \
        storage_from_string(uri, **options)
    strategy = STRATEGIES[app.config.get("RATELIMIT_STRATEGY") or "moving-window"]
    app.extensions["throttle"] = strategy(storage)
    app.before_request(limit_participant_actions)


class InlineExpiryMemoryStorage(MemoryStorage):
    """limits' memory storage, sweeping expired entries inline about once a second instead of
    starting a timer thread after every quiet 10 ms: under load each counted request started a
    thread (a greenlet under gevent) and waited for it to start, a tenth of a support's CPU
    (benchmarks/profile_app.py). Counting is unchanged: a window reads only its own entries."""

    SWEEP_S = 1.0

    def __init__(self, *args, **kwargs):
        self._next_sweep = 0.0
        super().__init__(*args, **kwargs)

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the private timer start
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_S
            self._MemoryStorage__expire_events()


def _strategy():
    return current_app.extensions["throttle"]


def _items(config_key: str):
    return parse_many(current_app.config[config_key])


def browser_id() -> str:
    """A random id of this browser, kept in its signed session cookie (not a secret)."""
    value = session.get(BROWSER_KEY)
    if not value:
        value = secrets.token_urlsafe(12)
        session[BROWSER_KEY] = value
    return value


def client_address() -> str:
    """The client's address as the proxy chain (PROXY_FIX) tells it."""
    return get_remote_address() or "unknown"


def over(config_key: str, key: str) -> bool:
    """Whether the key has used up any window of the configured limit (nothing is counted)."""
    return not all(_strategy().test(item, config_key, key) for item in _items(config_key))


def count(config_key: str, key: str) -> bool:
    """Count one use; False when this use went over a window of the limit."""
    strategy = _strategy()
    # Every window is hit even when an earlier one refuses, so all of them stay honest.
    results = [strategy.hit(item, config_key, key) for item in _items(config_key)]
    return all(results)


# Writes limited per participant (keyed on the account, so a hall behind one address is not
# affected, and a script with one identity cannot post hundreds of proposals).
ACTION_LIMITS = {"proposals.create": "PROPOSAL_LIMIT", "comments.create": "COMMENT_LIMIT",
                 "supports.support": "SUPPORT_LIMIT"}


def limit_participant_actions():
    if request.method != "POST" or request.endpoint not in ACTION_LIMITS:
        return None
    if not current_user.is_authenticated:
        return None
    if count(ACTION_LIMITS[request.endpoint], f"user:{current_user.id}"):
        return None
    return too_fast()


def too_fast():
    """429 that keeps the typed text: the same form, offered again with this session's token."""
    message = _("Слишком часто: подождите минуту и отправьте ещё раз. Ничего не потеряно.")
    if wants_json():
        return jsonify({"success": False, "error": 429, "message": message}), 429
    fields = [(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"]
    g.pop("csrf_token", None)
    return render_template("errors/csrf.html", message=message, fields=fields,
                           action=request.path, token=generate_csrf()), 429
