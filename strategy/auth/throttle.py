"""Counters for codes typed, identities made and actions taken, keyed on what they limit.

Flask-Limiter's decorators count per address and decide before the view runs, which is wrong
for a hall behind one NAT: the right event code must pass whatever others typed. So the views
ask here after they know whether the code was right. The counters live in the limiter's storage
(Redis where REDIS_URL is set, shared by every server process; memory:// counts per process).
"""
import secrets

from flask import Flask, current_app, session
from flask_limiter.util import get_remote_address
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import STRATEGIES

BROWSER_KEY = "browser"


def init_app(app: Flask) -> None:
    """One storage per app (tests build several apps; workers share it through Redis)."""
    uri = app.config["RATELIMIT_STORAGE_URI"]
    options = {}
    if uri.startswith(("redis", "rediss")):
        options["key_prefix"] = app.config.get("RATELIMIT_KEY_PREFIX") or "strategy-limits"
    storage = storage_from_string(uri, **options)
    strategy = STRATEGIES[app.config.get("RATELIMIT_STRATEGY") or "moving-window"]
    app.extensions["throttle"] = strategy(storage)


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
