"""Fixtures: a fresh app and database per test (SQLite file, or TEST_DATABASE_URL), clients,
and small factory fixtures that build data through the real operations."""
import os
import re

from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from strategy import create_app
from strategy.auth.models import Role
from strategy.auth.operations import create_user as create_user_op
from strategy.auth.operations import join_event
from strategy.events.models import Event, Track
from strategy.extensions import db
from strategy.proposals.operations import create_proposal as create_proposal_op
from tests.servers import database_of_this_worker, drop_postgres_schema

database_of_this_worker("TEST_DATABASE_URL")
database_of_this_worker("TEST_TWO_HOSTS_DATABASE_URL")
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
PASSWORD = "test-password-1"


def database_uri(tmp_path) -> str:
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path / 'test.sqlite'}"


def reset_schema() -> None:
    """Drop everything (also tables left by a migration test) and create the schema."""
    if db.engine.dialect.name == "postgresql":
        drop_postgres_schema(db.engine)
    db.create_all()


@pytest.fixture
def app_config(tmp_path):
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_uri(tmp_path),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": "localhost",
    }


@pytest.fixture
def app(app_config):
    app = create_app(app_config)

    def forget_signed_in_user():
        # The fixture keeps one app context open, so flask.g outlives a request; without this
        # the user signed in by one test client would leak into another client's request.
        from flask import g
        from flask_babel import refresh

        g.pop("_login_user", None)
        refresh()  # likewise the locale Flask-Babel caches per context

    # First of all hooks: the app's own (e.g. per-participant limits) may ask who is signed in.
    app.before_request_funcs.setdefault(None, []).insert(0, forget_signed_in_user)

    @app.teardown_request
    def end_the_requests_transaction(_error):
        # For the same reason the session outlives a request here; a write request's
        # transaction (BEGIN IMMEDIATE on SQLite) would keep the write lock after the answer
        # and lock out background runs. Served apps end it when the app context ends.
        db.session.rollback()

    with app.app_context():
        reset_schema()
        yield app
        db.session.remove()
        wait_for_background_runs()
        db.engine.dispose()


def wait_for_background_runs(timeout_s: float = 60.0) -> None:
    """Let grouping runs a test started finish, so they do not write into the next test's DB."""
    import threading
    import time

    deadline = time.monotonic() + timeout_s
    for thread in threading.enumerate():
        if thread.name.startswith("grouping-run-"):
            thread.join(max(0.0, deadline - time.monotonic()))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def create_event(app):
    """Returns a callable making an event with tracks (all open by default)."""
    counter = {"n": 0}

    def make(code="TEST26", tracks=("genius-loci", "social-hub"), **fields) -> Event:
        counter["n"] += 1
        event = Event(slug=f"event-{counter['n']}-{code.lower()}", code=code,
                      title=fields.pop("title", "Стратегия развития библиотек Иркутской области"),
                      **fields)
        db.session.add(event)
        db.session.flush()
        titles = {"genius-loci": "Гений места", "social-hub": "Библиотека – социальный хаб"}
        for position, slug in enumerate(tracks):
            db.session.add(Track(event_id=event.id, slug=slug, title=titles.get(slug, slug),
                                 position=position))
        db.session.commit()
        return event

    return make


@pytest.fixture
def event(create_event):
    return create_event()


@pytest.fixture
def create_participant(app):
    def make(event, name="Мария Иванова", library="ЦБС Ангарска",
             municipality="Ангарский городской округ", consent=True):
        user, code = join_event(event, display_name=name, library=library,
                                municipality=municipality, consent_public_affiliation=consent)
        user.plain_code = code
        return user

    return make


@pytest.fixture
def create_staff(app):
    def make(role=Role.facilitator, email=None, event=None):
        email = email or f"{role.value}@example.org"
        user, _ = create_user_op(display_name=f"Тест {role.value}", role=role, email=email,
                                 password=PASSWORD, event=event)
        return user

    return make


@pytest.fixture
def create_proposal(app):
    def make(track, author, title="Краеведческий клуб для подростков",
             body="Ежемесячные встречи со старожилами и экскурсии по селу.", **data):
        payload = {"title": title, "body": body, "kind": data.pop("kind", "idea"), **data}
        return create_proposal_op(track, author, payload)

    return make


def cheap_staff(role, email):
    """Staff made through the real operation; the password hash is a fast one, because the
    route × role tables sign in hundreds of times (check_password accepts any werkzeug method)."""
    user, _code = create_user_op(display_name=f"Тест {email}", role=role, email=email)
    user.password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    return user


@dataclass
class RoleWorld:
    """The visitors of a route × role table: two events, and people of each kind."""

    event: Event
    other_event: Event
    tracks: dict[str, Track]
    people: dict[str, object]


@pytest.fixture
def role_world(app, create_event, create_participant):
    """Returns a callable building the event (with the given fields), another event, and the
    people the route × role tables ask as: a participant of each event, the other event's
    organiser, the social hub's facilitator, the genius loci's facilitator and an organiser.
    A table adds its own extra people (experts, a colleague) to ``people``."""

    def build(**event_fields) -> RoleWorld:
        event = create_event(**event_fields)
        other_event = create_event(code="OTHER27", tracks=("genius-loci",))
        tracks = {t.slug: t for t in event.tracks}
        other_organiser = cheap_staff(Role.organiser, "other-org@example.org")
        other_organiser.event_id = other_event.id
        organiser = cheap_staff(Role.organiser, "org@example.org")
        facilitator = cheap_staff(Role.facilitator, "hub@example.org")
        facilitator.facilitated_tracks.append(tracks["social-hub"])
        other_facilitator = cheap_staff(Role.facilitator, "loci@example.org")
        other_facilitator.facilitated_tracks.append(tracks["genius-loci"])
        db.session.commit()
        people = {"participant": create_participant(event),
                  "other_participant": create_participant(other_event, name="Чужой Участник"),
                  "other_organiser": other_organiser, "other_facilitator": other_facilitator,
                  "facilitator": facilitator, "organiser": organiser}
        return RoleWorld(event, other_event, tracks, people)

    return build


def fill(text: str, ids: dict) -> str:
    """A table's URL or form value with its {placeholders} replaced by the world's ids."""
    for key, value in ids.items():
        text = text.replace("{" + key + "}", str(value))
    return text


class Auth:
    """Sign in as a participant (return link) or as staff (password form)."""

    def __init__(self, client):
        self.client = client

    def as_participant(self, user):
        return self.client.post(f"/r/{user.plain_code}")

    def as_staff(self, user, password=PASSWORD):
        return self.client.post("/login", data={"email": user.email, "password": password})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


# How long a test waits for another process's write to end (PostgreSQL's feed horizon).
HORIZON_WAIT_S = 60.0


def settle_feed(event_id: int, timeout_s: float = HORIZON_WAIT_S) -> None:
    """Wait until the change feed's horizon has passed every change of the event (PostgreSQL).

    There the feed, and the track page's stored list keyed by it, reads only changes below the
    oldest write transaction running on the server, in any database: another test process's
    write holds back what this test just committed (strategy/live/broker.py). SQLite: at once.
    The wait is generous: on a loaded machine the other process's write lasted over 10 s."""
    import time

    from strategy.live.broker import PG_HORIZON
    from strategy.live.models import Change

    if db.engine.dialect.name != "postgresql":
        return
    pending = sa.select(sa.func.count()).select_from(Change).where(
        Change.event_id == event_id,
        Change.txid >= PG_HORIZON)
    deadline = time.monotonic() + timeout_s
    while db.session.scalar(pending) and time.monotonic() < deadline:
        db.session.rollback()
        time.sleep(0.05)
    db.session.rollback()


def pytest_collection_modifyitems(config, items):
    """Browser tests need Debian's Chromium. On a developer machine without it they are skipped
    with the reason printed; in CI (CI=true) they run and fail loudly instead."""
    from tests.servers import CHROMIUM

    if os.path.exists(CHROMIUM) or os.environ.get("CI"):
        return
    marker = pytest.mark.skip(reason=f"{CHROMIUM} not found: apt-get install chromium")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(marker)


@pytest.fixture
def organiser(create_staff):
    """A member of the methodical group (role organiser)."""
    return create_staff(Role.organiser, email="metod@example.org")


@pytest.fixture
def workshop(create_event):
    """A three-day event, 27–29 September 2026, for the programme's tests."""
    return create_event(starts_on=date(2026, 9, 27), ends_on=date(2026, 9, 29))
