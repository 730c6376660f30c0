"""The signed session cookie, set again only when it says something new."""
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
