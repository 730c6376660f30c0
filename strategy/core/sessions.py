"""The signed session cookie, set again only when it says something new."""
import time
from datetime import datetime, timezone

from flask.sessions import SecureCookieSessionInterface

REFRESHED_ON_KEY = "_refreshed_on"


def today_ordinal() -> int:
    return datetime.now(timezone.utc).date().toordinal()


class DailyRefreshedSessionInterface(SecureCookieSessionInterface):
    """Flask re-signs and re-sends a permanent session's cookie on every response, so that its
    30 days count from the last visit. That was a twentieth of a support's time. Here the
    cookie is set when the session changed and otherwise once a day: the expiry still slides
    with use, by days instead of by requests."""

    def should_set_cookie(self, app, session) -> bool:
        today = today_ordinal()
        refresh = session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"] and \
            session.get(REFRESHED_ON_KEY) != today
        if not (session.modified or refresh):
            return False
        if session.permanent:
            session[REFRESHED_ON_KEY] = today  # goes into the cookie about to be written
        return True


# --- reading a request's session outside Flask's request context (the support lane) -------------

class Verified:
    """Signed values this process has verified lately, until their expiry: a hall's phone sends
    the same cookie and token with every click, and checking both signatures again was a
    third of a support's work in the lane. The same bytes always verify alike."""

    LIMIT = 20_000

    def __init__(self):
        self.values: dict = {}

    def get(self, key):
        found = self.values.get(key)
        if found is None or found[1] <= time.time():
            return None
        return found[0]

    def put(self, key, value, expires_at: float):
        if len(self.values) >= self.LIMIT:
            self.values.clear()
        self.values[key] = (value, expires_at)


_sessions, _tokens = Verified(), Verified()


def session_from_environ(app, environ) -> dict | None:
    """The signed session cookie of a WSGI request, checked as Flask's open_session checks it
    (same serializer, keys and maximum age); None when it is absent or its signature fails.
    The dict is shared with later requests of the same cookie: read it, never change it."""
    from itsdangerous import BadSignature
    from werkzeug.http import parse_cookie

    header = environ.get("HTTP_COOKIE", "")
    known = _sessions.get((id(app), header))  # the same phone sends the same header
    if known is not None:
        return known
    interface = app.session_interface
    value = parse_cookie(header).get(interface.get_cookie_name(app))
    if not value:
        return None
    serializer = interface.get_signing_serializer(app)
    if serializer is None:
        return None
    max_age = int(app.permanent_session_lifetime.total_seconds())
    try:
        data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
    except BadSignature:
        return None
    _sessions.put((id(app), header), data, signed_at.timestamp() + max_age)
    return data


def csrf_token_matches(app, session: dict, token: str | None) -> bool:
    """Whether ``token`` is the session's CSRF token as Flask-WTF's validate_csrf decides it
    (same secret, salt, field and time limit)."""
    import hmac

    from itsdangerous import BadData, URLSafeTimedSerializer

    field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if not token or field not in session:
        return False
    key = (id(app), token, session[field])
    if _tokens.get(key):
        return True
    secret = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
    limit = app.config.get("WTF_CSRF_TIME_LIMIT", 3600)
    try:
        signed, signed_at = URLSafeTimedSerializer(secret, salt="wtf-csrf-token").loads(
            token, max_age=limit, return_timestamp=True)
    except BadData:
        return False
    if not hmac.compare_digest(session[field], signed):
        return False
    _tokens.put(key, True, signed_at.timestamp() + limit if limit else float("inf"))
    return True
