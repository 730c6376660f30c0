"""Request hardening the whole app shares: where writes may come from, ids the database can
hold, characters a database can store, and how many form fields a request may carry."""
from flask import Flask, current_app, request
from flask_wtf.csrf import CSRFError

from strategy.core.errors import origin_of, request_is_same_origin

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def check_origin() -> None:
    """A write whose browser names another site as its origin is refused, token or not."""
    if request.method not in UNSAFE_METHODS or not current_app.config.get("WTF_CSRF_ENABLED",
                                                                           True):
        return
    origin = request.headers.get("Origin")
    if not origin:
        return  # no Origin (old browser, same-origin GET-like): the CSRF token decides
    public = origin_of(current_app.config.get("PUBLIC_URL") or "")
    if request_is_same_origin() or (public and origin_of(origin) == public):
        return
    raise CSRFError("The request came from another site.")


def read_only(view):
    """Mark a POST view that only reads (e.g. similarity hints for a long text), so SQLite does
    not make it take the write lock first (see strategy.bind_sqlite_engine)."""
    view.read_only = True
    return view


def init_app(app: Flask) -> None:
    app.before_request(check_origin)
