"""The change feed (cursor, catch-up, ETag/304), the projector screen, streams and the Redis
wake-up, and the feed across two gunicorn worker processes."""
import http.cookiejar
import json
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request

import pytest
import sqlalchemy as sa

from strategy.auth.models import Role
from strategy.extensions import db
from strategy.live import broker
from strategy.live.models import Change
from strategy.moderation import operations as ops
from strategy.supports.operations import add_support
from tests.servers import served_app


@pytest.fixture
def hub(event):
    return next(t for t in event.tracks if t.slug == "social-hub")


@pytest.fixture
def people(event, create_participant):
    return [create_participant(event, name=f"Участник {i}") for i in range(4)]


@pytest.fixture
def organiser(create_staff):
    return create_staff(Role.organiser, email="metod@example.org")


def feed(client, event, since, **params):
    return client.get(f"/events/{event.id}/feed", query_string={"since": since, **params})


def test_feed_returns_changes_after_cursor_in_order(app, client, event, hub, people,
                                                    create_proposal):
    start = broker.latest_cursor(event.id)
    proposal = create_proposal(hub, people[0])
    add_support(proposal, people[1])
    body = feed(client, event, start).json["data"]
    assert [c["kind"] for c in body["changes"]] == ["proposal_created", "support"]
    ids = [c["id"] for c in body["changes"]]
    assert ids == sorted(ids) and body["cursor"] == ids[-1] and not body["more"]
    state = body["proposals"][str(proposal.id)]
    assert state == {"status": "published", "track_id": hub.id, "merged_into_id": None,
                     "is_pinned": False, "support_count": 1, "comment_count": 0}
    assert feed(client, event, body["cursor"]).json["data"]["changes"] == []


def test_idle_poll_is_a_304_until_something_happens(app, client, event, hub, people,
                                                    create_proposal):
    proposal = create_proposal(hub, people[0])
    cursor = broker.latest_cursor(event.id)
    first = feed(client, event, cursor)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    again = client.get(f"/events/{event.id}/feed", query_string={"since": cursor},
                       headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    add_support(proposal, people[1])
    changed = client.get(f"/events/{event.id}/feed", query_string={"since": cursor},
                         headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json["data"]["proposals"][str(proposal.id)]["support_count"] == 1
    # Having caught up, the very next poll with the new cursor and tag is already a 304.
    caught_up = client.get(f"/events/{event.id}/feed",
                           query_string={"since": changed.json["data"]["cursor"]},
                           headers={"If-None-Match": changed.headers["ETag"]})
    assert caught_up.status_code == 304


def test_client_catches_up_after_a_dropped_connection_in_pages(app, client, event, hub, people,
                                                               create_proposal, organiser,
                                                               monkeypatch):
    """A screen offline for a while asks from its old cursor and receives every change."""
    monkeypatch.setattr(broker, "MAX_BATCH", 3)
    proposal = create_proposal(hub, people[0])
    cursor = broker.latest_cursor(event.id)
    other = create_proposal(hub, people[0], title="Другое предложение трека")
    for person in people[1:]:
        add_support(proposal, person)
    ops.hide_proposal(other, organiser, "Дубль")
    expected = list(db.session.scalars(sa.select(Change.id).where(
        Change.event_id == event.id, Change.id > cursor).order_by(Change.id)))
    received, pages = [], 0
    while True:
        data = feed(client, event, cursor).json["data"]
        received += [c["id"] for c in data["changes"]]
        cursor = data["cursor"]
        pages += 1
        if not data["more"]:
            break
    assert received == expected and len(expected) == 5 and pages == 2
    assert data["proposals"][str(other.id)]["status"] == "hidden"


def test_feed_filters_by_track_and_hides_counts_from_participants(
        app, client, event, hub, people, create_proposal, organiser):
    genius = next(t for t in event.tracks if t.slug == "genius-loci")
    start = broker.latest_cursor(event.id)
    in_hub = create_proposal(hub, people[0])
    create_proposal(genius, people[0], title="Предложение другого трека")
    hub.hide_counts = True
    db.session.commit()
    add_support(in_hub, people[1])
    data = feed(client, event, start, track=hub.id).json["data"]
    assert {c["track_id"] for c in data["changes"]} == {hub.id}
    assert data["proposals"][str(in_hub.id)]["support_count"] is None
    client.post("/login", data={"email": organiser.email, "password": "test-password-1"})
    staff = feed(client, event, start, track=hub.id).json["data"]
    assert staff["proposals"][str(in_hub.id)]["support_count"] == 1


def test_bad_cursor_is_a_clear_400(client, event):
    response = client.get(f"/events/{event.id}/feed?since=abc",
                          headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.json["message"] == "Параметр since должен быть целым числом."
    assert client.get("/events/999/feed?since=0").status_code == 404


def test_projector_screen_is_public_big_and_has_no_controls(app, client, event, hub, people,
                                                            create_proposal):
    top = create_proposal(hub, people[0], title="Самое поддержанное предложение")
    create_proposal(hub, people[0], title="Совсем новое предложение")
    for person in people[1:3]:
        add_support(top, person)
    html = client.get(f"/events/{event.id}/tracks/social-hub/screen").get_data(as_text=True)
    assert "<svg" in html and event.code in html and f"/join/{event.code}" not in html
    assert "Экран зала" in html and "Самое поддержанное предложение" in html
    assert f'data-live-count="{top.id}">2<' in html and "Совсем новое предложение" in html
    assert "<form" not in html and "<button" not in html and "<input" not in html
    assert "Приём предложений открыт" in html
    whole = client.get(f"/events/{event.id}/screen").get_data(as_text=True)
    assert "«Библиотека – социальный хаб»" in whole and "<form" not in whole
    fragment = client.get(f"/events/{event.id}/tracks/social-hub/screen?fragment=1")
    assert b"<html" not in fragment.data and b"screen-top" in fragment.data


def test_qr_code_encodes_the_join_link(app, event):
    import segno

    from strategy.live.routes import qr_svg

    url = f"http://localhost/join/{event.code}"
    svg = qr_svg(url)
    assert svg.startswith("<svg") and "path" in svg
    assert segno.make(url, error="m").svg_inline(dark="#10161f", light="#ffffff", border=2,
                                                 omitsize=True) == svg


def test_stream_is_off_by_default_and_sends_events_when_enabled(app, client, event, hub, people,
                                                                create_proposal):
    off = client.get(f"/events/{event.id}/stream", headers={"Accept": "application/json"})
    assert off.status_code == 503 and "используйте /feed" in off.json["message"]
    create_proposal(hub, people[0])
    app.config.update(LIVE_SSE_STREAMS=2, LIVE_SSE_SECONDS=0.3)
    response = client.get(f"/events/{event.id}/stream?since=0")
    assert response.mimetype == "text/event-stream"
    text = response.get_data(as_text=True)
    response.close()
    assert text.startswith("retry: 1000")
    events = re.findall(r"id: (\d+)\nevent: change\ndata: (.+)\n", text)
    assert events and json.loads(events[0][1])["kind"] == "proposal_created"


# --- Redis wake-up (real redis-server) -----------------------------------------------------

@pytest.fixture
def redis_url(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([binary, "--port", str(port), "--save", "", "--appendonly", "no",
                                "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    client = redis.Redis.from_url(url)
    for _ in range(50):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    yield url
    client.close()
    process.terminate()
    process.wait(timeout=10)


def test_commits_with_changes_are_announced_on_redis(app, event, hub, people, create_proposal,
                                                     redis_url):
    import redis

    app.config["REDIS_URL"] = redis_url
    proposal = create_proposal(hub, people[0])
    listener = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
    listener.subscribe(f"live:{event.id}")
    time.sleep(0.1)
    add_support(proposal, people[1])
    message = None
    deadline = time.time() + 3
    while message is None and time.time() < deadline:
        message = listener.get_message(timeout=0.5)
    assert message is not None and message["channel"] == f"live:{event.id}".encode()
    listener.close()


def test_waiting_wakes_up_on_redis_announcement(app, event, hub, people, create_proposal,
                                                redis_url):
    app.config["REDIS_URL"] = redis_url
    proposal = create_proposal(hub, people[0])
    cursor = broker.latest_cursor(event.id)
    event_id, proposal_id, person_id = event.id, proposal.id, people[1].id
    db.session.remove()

    def support_later():
        time.sleep(0.5)
        with app.app_context():
            from strategy.auth.models import User
            from strategy.proposals.models import Proposal

            add_support(db.session.get(Proposal, proposal_id), db.session.get(User, person_id))
            db.session.remove()

    thread = threading.Thread(target=support_later)
    started = time.monotonic()
    thread.start()
    # poll=30 s: without the Redis wake-up this would wait the whole timeout.
    new_cursor = broker.wait_for_change(event_id, cursor, timeout=10, poll=30)
    waited = time.monotonic() - started
    thread.join()
    assert new_cursor > cursor and waited < 3


# --- several processes ---------------------------------------------------------------------

class Browserless:
    """A tiny HTTP client with cookies, for a real server (CSRF token read from the page)."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path, headers=None):
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def post(self, path, data, headers=None):
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        with self.opener.open(request, timeout=10) as response:
            return response.status, response.read().decode()

    def token(self, path):
        html = self.get(path)[2]
        return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def test_feed_sees_every_change_across_two_gunicorn_workers(tmp_path):
    """Supports handled by either worker reach a poller served by either worker."""
    with served_app(tmp_path, workers=2) as base:
        participant = Browserless(base)
        token = participant.token("/join")
        participant.post("/join", {"csrf_token": token, "event_code": "BAIKAL26",
                                   "display_name": "Пётр Процессов", "library": "ЦБС Тулуна",
                                   "municipality": "Тулунский район",
                                   "consent_public_affiliation": "y"})
        poller = Browserless(base)
        status, _, body = poller.get("/events/1/feed?since=0")
        data = json.loads(body)["data"]
        while data["more"]:
            data = json.loads(poller.get(f"/events/1/feed?since={data['cursor']}")[2])["data"]
        cursor = data["cursor"]
        html = participant.get("/events/1/tracks/social-hub?sort=new")[2]
        ids = [int(i) for i in re.findall(r'data-proposal-card="(\d+)"', html)][:6]
        token = participant.token("/events/1/tracks/social-hub")
        supported = []
        for pid in ids:
            try:
                participant.post(f"/events/1/proposals/{pid}/support", {},
                                 {"X-CSRFToken": token, "Accept": "application/json"})
                supported.append(pid)
            except urllib.error.HTTPError:
                pass  # the participant's own or an already supported one
        assert supported
        seen = set()
        for _ in range(10):  # several polls land on both workers
            status, headers, body = poller.get(f"/events/1/feed?since={cursor}")
            seen |= {c["proposal_id"] for c in json.loads(body)["data"]["changes"]
                     if c["kind"] == "support"}
        assert seen == set(supported)
        last = json.loads(body)["data"]["cursor"]
        etag = poller.get(f"/events/1/feed?since={last}")[1]["ETag"]
        for _ in range(4):  # an idle poll is a 304 on either worker
            status = poller.get(f"/events/1/feed?since={last}", {"If-None-Match": etag})[0]
            assert status == 304


def test_change_ids_become_visible_in_order_on_postgresql(app, event):
    """A later change id must not be committed while an earlier one is still open, or a
    client could read past it (PostgreSQL; SQLite has one writer anyway)."""
    from strategy.live.operations import record_change

    if db.engine.dialect.name != "postgresql":
        pytest.skip("ordering lock applies to PostgreSQL (set TEST_DATABASE_URL)")
    event_id = event.id
    first = record_change(event_id, "probe")
    db.session.flush()  # takes the event's ordering lock, transaction still open
    result = {}

    def second_writer():
        with app.app_context():
            started = time.monotonic()
            change = record_change(event_id, "probe")
            db.session.commit()
            result.update(id=change.id, waited=time.monotonic() - started)
            db.session.remove()

    thread = threading.Thread(target=second_writer)
    thread.start()
    time.sleep(0.5)
    assert not result, "the second change committed while the first was open"
    db.session.commit()
    thread.join(timeout=10)
    assert result["id"] > first.id and result["waited"] >= 0.4
