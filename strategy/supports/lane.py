"""The support click's short lane: a signed-in participant's first support of a proposal,
answered without building Flask's request, the ORM's objects or the session's new cookie.

A hall's "vote now!" is hundreds of these a minute, and in the full app each one cost about
2 ms of Python before and after its four statements (the user, proposal, event and track
loaded as ORM objects, the session opened and saved, the CSRF check, the envelope's schema),
five times the bare stack's insert. The lane keeps every rule where it is: it reads the same
columns in one query, checks them with the models' own methods and the same operation's
checks (ensure_can_support), writes the same rows in one short transaction and answers the
same JSON. Whatever it is not sure of (no or a bad cookie or token, another site's Origin, a
vote budget, a refusal of any kind, a body, a bearer token, an error) goes to the
full app untouched, which answers it as before, with its message in the person's language.
"""
import logging
import re
from datetime import datetime
from functools import cached_property

import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale, gettext as _

from strategy.auth.models import Role, User
from strategy.core.errors import OperationError
from strategy.core.sessions import csrf_token_matches, session_from_environ
from strategy.events.models import Event, EventStatus, Track
from strategy.extensions import db
from strategy.live.broker import broker_for
from strategy.proposals.models import Proposal, ProposalStatus
from strategy.supports.operations import (ensure_can_support, write_first_support_pg,
                                          write_first_support_sqlite)

logger = logging.getLogger(__name__)
#: Connections of the lane's PostgreSQL pool per process (and as many more at a burst): a
#: click holds one for two round trips, so a few serve thousands of clicks a second.
LANE_POOL_SIZE = 8
POOL_OPTIONS = ("pool_pre_ping", "pool_size", "max_overflow", "pool_timeout", "poolclass",
                "isolation_level")
PATH = re.compile(r"/api/v1/events/(\d{1,18})/proposals/(\d{1,18})/support")
SECURITY_HEADERS = ("X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options",
                    "Permissions-Policy")

READ = """
SELECT u.session_version, u.role, u.event_id, u.is_approved, u.suspended_at, u.deleted_at,
       e.status, e.allow_self_support, e.title,
       p.status, p.author_id, p.track_id,
       t.support_open, t.support_ends_at, t.support_budget, t.hide_counts, t.title
FROM proposals p JOIN events e ON e.id = p.event_id JOIN tracks t ON t.id = p.track_id,
     users u
WHERE p.id = ? AND p.event_id = ? AND u.id = ?
"""


class Row:
    """Columns of one query row, carrying the model methods the checks call on them."""

    def __init__(self, **columns):
        self.__dict__.update(columns)


def row_class(model, *names, **extra):
    """A Row class carrying ``model``'s methods and properties ``names``: the rules stay on the
    model, and the lane calls the same code on the columns it read."""
    borrowed = {name: getattr(model, name) for name in names}
    return type(f"{model.__name__}Row", (Row,), {**borrowed, **extra})


UserRow = row_class(User, "is_staff", "is_suspended", "acts_in", "acts_in_event_id",
                    is_authenticated=True)
EventRow = row_class(Event, "AFTER_FINISH", "is_draft", "can_view", "can_take_part",
                     "closed_notice")
TrackRow = row_class(Track, "accepts_supports", "counts_visible_to")
ProposalRow = row_class(Proposal, "can_view")


def stored_time(value):
    return datetime.fromisoformat(value) if isinstance(value, str) else value


class SupportLane:
    """WSGI middleware in front of the app (inside ProxyFix, so it sees the real scheme)."""

    def __init__(self, app: Flask, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app
        self.served = 0  # supports answered here (tests look)
        app.extensions["support_lane"] = self

    def __call__(self, environ, start_response):
        answer = self.try_support(environ) if self.applies(environ) else None
        if answer is None:
            return self.wsgi_app(environ, start_response)
        self.served += 1
        start_response("200 OK", answer[1])
        return [answer[0]]

    @property
    def enabled(self) -> bool:
        """SUPPORT_LANE (on unless set false), on the two databases the app runs on."""
        return bool(self.app.config.get("SUPPORT_LANE", True)) and \
            self.dialect in ("sqlite", "postgresql")

    @cached_property
    def read_statement(self) -> str:
        return READ.replace("?", "%s") if self.dialect == "postgresql" else READ

    @cached_property
    def engine(self):
        """The app's engine, taken once: pushing an app context per click to look it up cost
        a tenth of the lane's work (the rules, messages and broker need none)."""
        with self.app.app_context():
            return db.engine

    @cached_property
    def autocommit_engine(self):
        """PostgreSQL: the lane's own small pool, in autocommit from the start and without the
        app pool's ping before each checkout. The ping was a third of a click's round trips to
        the server; a connection the server dropped raises instead, and that click goes to the
        full app (whose pool pings) while SQLAlchemy replaces the connection. Disposed with the
        app's engine."""
        options = {key: value for key, value in
                   self.app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).items()
                   if key not in POOL_OPTIONS}
        engine = sa.create_engine(self.engine.url, isolation_level="AUTOCOMMIT",
                                  pool_pre_ping=False, pool_size=LANE_POOL_SIZE,
                                  max_overflow=LANE_POOL_SIZE, pool_timeout=5, **options)
        sa.event.listen(self.engine, "engine_disposed", lambda _engine: engine.dispose())
        return engine

    @cached_property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def applies(self, environ) -> bool:
        return (environ.get("REQUEST_METHOD") == "POST"
                and PATH.fullmatch(environ.get("PATH_INFO", "")) is not None
                and environ.get("CONTENT_LENGTH") in (None, "", "0")
                and "HTTP_AUTHORIZATION" not in environ and not environ.get("QUERY_STRING")
                and self.enabled)

    def try_support(self, environ):
        """The answer (body, headers), or None for the full app to handle the request."""
        try:
            caller = self.caller(environ)
            if caller is None:
                return None
            event_id, proposal_id = map(int, PATH.fullmatch(environ["PATH_INFO"]).groups())
            return self.support(caller, event_id, proposal_id)
        except Exception:  # the full app answers, with its own error handling
            logger.warning("support lane handed a request on", exc_info=True)
            return None

    def caller(self, environ):
        """(user id, session version, language) of a session whose CSRF token and Origin pass
        the checks the full app makes (Flask-WTF's, strategy.core.hardening's)."""
        app = self.app
        if not same_site(environ):
            return None
        session = session_from_environ(app, environ)
        if not session:
            return None
        if app.config.get("WTF_CSRF_ENABLED", True) and not csrf_token_matches(
                app, session, environ.get("HTTP_X_CSRFTOKEN") or environ.get("HTTP_X_CSRF_TOKEN")):
            return None
        user_id, _, version = str(session.get("_user_id") or "").partition(".")
        if not (user_id.isdigit() and version.isdigit()) or len(user_id) > 18:
            return None
        lang = session.get("lang") if session.get("lang") in ("ru", "en") else "ru"
        return int(user_id), int(version), lang

    def support(self, caller, event_id: int, proposal_id: int):
        user_id, version, lang = caller
        engine = self.engine
        if self.dialect == "postgresql":
            # the read needs no snapshot and the write is one statement
            with self.autocommit_engine.connect() as connection:
                checked = self.read_and_check(connection.connection.dbapi_connection,
                                              user_id, version, event_id, proposal_id)
                counted = checked and write_first_support_pg(connection, checked[1], user_id)
        else:  # the driver's connection straight from the pool: no Core round trips
            pooled = engine.raw_connection()
            try:
                checked = self.read_and_check(pooled.dbapi_connection, user_id, version,
                                              event_id, proposal_id)
                timeout = float(self.app.config.get("SQLITE_BUSY_TIMEOUT", 15))
                counted = checked and write_first_support_sqlite(engine, pooled, checked[1],
                                                                 user_id, timeout)
            finally:
                pooled.close()
        if counted is None or not checked:
            return None
        broker_for(self.app).publish({event_id})
        user, proposal = checked
        return self.answer(proposal, user, counted, lang)

    def read_and_check(self, driver, user_id, version, event_id, proposal_id):
        """(user, proposal) rows read in one query, when every rule lets this support
        through; else None."""
        row = driver.execute(self.read_statement, (proposal_id, event_id, user_id)).fetchone()
        return self.checked(row, user_id, version, event_id, proposal_id)

    def checked(self, row, user_id, version, event_id, proposal_id):
        """(user, proposal) rows when every rule lets this support through, else None."""
        if row is None:
            return None
        (session_version, role, user_event, approved, suspended, deleted, event_status,
         self_support, event_title, status, author_id, track_id, support_open, ends_at,
         budget, hide_counts, track_title) = row
        if session_version != version or deleted is not None or budget is not None:
            return None
        user = UserRow(id=user_id, role=Role[role], event_id=user_event,
                       is_approved=bool(approved), suspended_at=suspended)
        event = EventRow(id=event_id, status=EventStatus[event_status], title=event_title,
                         allow_self_support=bool(self_support))
        track = TrackRow(id=track_id, event=event, support_open=bool(support_open),
                         support_ends_at=stored_time(ends_at), support_budget=budget,
                         hide_counts=bool(hide_counts), title=track_title)
        proposal = ProposalRow(id=proposal_id, event_id=event_id, event=event, track=track,
                               track_id=track_id, status=ProposalStatus[status],
                               author_id=author_id)
        if not (event.can_view(user) and proposal.can_view(user)):
            return None
        try:
            ensure_can_support(proposal, user)
        except OperationError:
            return None
        return user, proposal

    def answer(self, proposal, user, counted: int, lang: str):
        count = counted if proposal.track.counts_visible_to(user) else None
        body = (self.bodies[lang] % (proposal.id, "null" if count is None else int(count))).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                   *self.security_headers, ("Vary", "Cookie")]
        return body, headers

    @cached_property
    def bodies(self) -> dict:
        """The answer's JSON in each language with two slots (proposal id, count), made by the
        app's JSON provider once: the full app's envelope, byte for byte."""
        bodies = {}
        for lang, message in self.messages.items():
            text = self.app.json.dumps({
                "success": True, "meta": {"message": message},
                "data": {"proposal_id": 111111111, "supported": True, "votes_left": None,
                         "support_count": 222222222}}, separators=(",", ":"))
            text = text.replace("%", "%%").replace("111111111", "%d", 1)
            bodies[lang] = text.replace("222222222", "%s", 1)
        return bodies

    @cached_property
    def messages(self) -> dict:
        """The answer's message in each language (the full app's own catalogue entry)."""
        messages = {}
        for lang in ("ru", "en"):
            with self.app.test_request_context(), force_locale(lang):
                messages[lang] = _("Вы поддержали предложение.")
        return messages

    @cached_property
    def security_headers(self) -> list:
        """The headers the app's after_request adds to a JSON answer (taken from it once)."""
        with self.app.test_request_context("/api/v1/"):
            response = self.app.process_response(
                self.app.response_class("{}", mimetype="application/json"))
        return [(name, response.headers[name]) for name in SECURITY_HEADERS
                if name in response.headers]


def same_site(environ) -> bool:
    """No Origin, or our own (strategy.core.hardening refuses another site's); over HTTPS also a
    Referer of our own host, as Flask-WTF's strict check asks. Anything else: the full app."""
    scheme, host = environ.get("wsgi.url_scheme", "http"), environ.get("HTTP_HOST", "")
    origin = environ.get("HTTP_ORIGIN")
    if origin and origin != f"{scheme}://{host}":
        return False
    if scheme == "https":
        referer = environ.get("HTTP_REFERER", "")
        return referer.startswith(f"https://{host}/")
    return True
