"""The change feed (cursor, catch-up, ETag/304), the projector screen, streams and the Redis
wake-up, and the feed across two gunicorn worker processes."""
import http.client
import http.cookiejar
import json
import queue
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

from strategy.extensions import db
from strategy.live import broker
from strategy.live.models import Change
from strategy.moderation import operations as ops
from strategy.supports.operations import add_support
from tests.conftest import HORIZON_WAIT_S, settle_feed
from tests.servers import served_app


@pytest.fixture
def hub(event):
    return next(t for t in event.tracks if t.slug == "social-hub")


@pytest.fixture
def people(event, create_participant):
    return [create_participant(event, name=f"Участник {i}") for i in range(4)]


def settled_cursor(event_id: int) -> int:
    settle_feed(event_id)
    return broker.latest_cursor(event_id)


def feed(client, event, since, **params):
    settle_feed(event.id)
    return client.get(f"/events/{event.id}/feed", query_string={"since": since, **params})


def test_feed_returns_changes_after_cursor_in_order(app, client, event, hub, people,
                                                    create_proposal):
    start = settled_cursor(event.id)
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
    cursor = settled_cursor(event.id)
    first = feed(client, event, cursor)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    again = client.get(f"/events/{event.id}/feed", query_string={"since": cursor},
                       headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    add_support(proposal, people[1])
    settle_feed(event.id)
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
    cursor = settled_cursor(event.id)
    other = create_proposal(hub, people[0], title="Другое предложение трека")
    for person in people[1:]:
        add_support(proposal, person)
    ops.hide_proposal(other, organiser, "Дубль")
    expected = list(db.session.scalars(sa.select(Change.id).where(
        Change.event_id == event.id, Change.id > cursor).order_by(Change.id)))
    received, pages, states = [], 0, {}
    while True:
        data = feed(client, event, cursor).json["data"]
        received += [c["id"] for c in data["changes"]]
        states.update(data["proposals"])
        cursor = data["cursor"]
        pages += 1
        if not data["more"]:
            break
    # Five changes, and the wake-up of the hidden proposal's author's notification bell.
    assert received == expected and len(expected) == 6 and pages >= 2
    assert states[str(other.id)]["status"] == "hidden"


def test_feed_filters_by_track_and_hides_counts_from_participants(
        app, client, event, hub, people, create_proposal, organiser):
    genius = next(t for t in event.tracks if t.slug == "genius-loci")
    start = settled_cursor(event.id)
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


def read_stream(response, until, limit=200):
    """SSE messages (as dicts of field -> value) from a streamed response, until(messages)."""
    messages, buffer = [], ""
    for chunk in response.response:  # bounded by the stream's own LIVE_SSE_SECONDS
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            fields = dict(line.split(": ", 1) for line in block.splitlines()
                          if ": " in line and not line.startswith(":"))
            if fields:
                messages.append(fields)
        if until(messages) or len(messages) >= limit:
            break
    response.close()
    return messages


def changes_in(messages):
    return [c for m in messages if m.get("event") == "changes"
            for c in json.loads(m["data"])["changes"]]


def test_stream_catches_up_then_pushes_a_change_committed_later(app, client, event, hub, people,
                                                                create_proposal):
    proposal = create_proposal(hub, people[0])
    event_id, proposal_id, person_id = event.id, proposal.id, people[1].id
    app.config.update(LIVE_SSE_SECONDS=8)
    response = client.get(f"/events/{event_id}/stream?since=0&track={hub.id}", buffered=False)
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"

    def support_later():
        time.sleep(0.5)
        with app.app_context():
            from strategy.auth.models import User
            from strategy.proposals.models import Proposal

            add_support(db.session.get(Proposal, proposal_id), db.session.get(User, person_id))
            db.session.remove()

    thread = threading.Thread(target=support_later)
    thread.start()
    messages = read_stream(response, lambda ms: any(c["kind"] == "support"
                                                    for c in changes_in(ms)))
    thread.join()
    assert messages[0] == {"retry": "1000"}
    kinds = [c["kind"] for c in changes_in(messages)]
    assert kinds[0] == "proposal_created" and kinds[-1] == "support"
    last = json.loads(messages[-1]["data"])
    assert last["proposals"][str(proposal_id)]["support_count"] == 1
    assert int(messages[-1]["id"]) == last["cursor"] == broker.latest_cursor(event_id)
    # Reconnecting with Last-Event-ID sends nothing already seen.
    app.config.update(LIVE_SSE_SECONDS=0.3)
    again = client.get(f"/events/{event_id}/stream", headers={"Last-Event-ID": messages[-1]["id"]},
                       buffered=False)
    assert changes_in(read_stream(again, lambda ms: False)) == []


def test_stream_beyond_the_cap_tells_the_client_to_poll(app, client, event):
    app.config.update(LIVE_SSE_STREAMS=0)
    refused = client.get(f"/events/{event.id}/stream", headers={"Accept": "application/json"})
    assert refused.status_code == 503 and "используйте /feed" in refused.json["message"]
    assert client.get("/events/999/stream").status_code == 404


def test_hub_reads_each_batch_once_for_every_stream(app, event, hub, people, create_proposal):
    proposal = create_proposal(hub, people[0])
    settle_feed(event.id)
    live_hub = broker.hub_for(app)
    subscriptions = [live_hub.subscribe(event.id) for _ in range(3)]
    add_support(proposal, people[1])
    batches = [s.get(timeout=10) for s in subscriptions]
    for s in subscriptions:
        s.close()
    assert batches[0] is not None and all(b is batches[0] for b in batches)
    assert [c["kind"] for c in batches[0].changes] == ["support"]
    assert batches[0].states[False][proposal.id]["support_count"] == 1
    assert live_hub.open_streams == 0


def test_the_page_hands_its_cursor_and_the_change_kinds_to_the_script(app, client, event, hub,
                                                                     people, create_proposal):
    from strategy.live.models import ChangeKind

    create_proposal(hub, people[0])
    settle_feed(event.id)
    html = client.get(f"/events/{event.id}/tracks/social-hub/screen").get_data(as_text=True)
    cursor = int(re.search(r'data-cursor="(\d+)"', html).group(1))
    assert cursor == broker.latest_cursor(event.id) > 0
    kinds = json.loads(re.search(r"data-kinds='([^']+)'", html).group(1))
    assert kinds["all"] == [k.value for k in ChangeKind] and "support" not in kinds["queue"]
    assert f'data-stream="/events/{event.id}/stream?track={hub.id}"' in html


def test_record_change_accepts_only_known_kinds(app, event):
    from strategy.live.operations import record_change

    with pytest.raises(ValueError):
        record_change(event.id, "suport")
    db.session.rollback()


def test_database_broker_answers_ping(app):
    assert broker.DatabaseBroker(app).ping() is True


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


def test_redis_broker_wakes_the_hub_when_another_process_commits(app, event, hub, people,
                                                              create_proposal, redis_url):
    app.config["REDIS_URL"] = redis_url
    proposal = create_proposal(hub, people[0])
    listener = broker.RedisBroker(app, redis_url)
    assert listener.ping() is True
    listener.last_look = time.monotonic()  # no safety look: only a message can wake it
    listener._subscribed()
    broker.RedisBroker(app, redis_url).publish([event.id + 1])  # another event: not watched
    add_support(proposal, people[1])  # this process announces the commit after it
    woken = set()
    for _ in range(20):  # each wait returns at a message or after a second
        woken |= listener.wait({event.id}, timeout=1)
        if woken:
            break
    listener.close()
    assert woken == {event.id}


def test_redis_broker_falls_back_to_the_database_when_redis_is_gone(app, event):
    gone = broker.RedisBroker(app, "redis://127.0.0.1:1/0")
    assert gone.ping() is False
    gone.last_look = time.monotonic()
    assert gone.wait({event.id}, timeout=0.5) == {event.id}  # look at the table instead
    assert gone.down_until > time.monotonic()


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


class Writer:
    """A transaction of its own in its own thread and connection, driven step by step."""

    def __init__(self, app, event_id):
        self.app, self.event_id = app, event_id
        self.steps, self.done = queue.Queue(), queue.Queue()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        from strategy.live.models import ChangeKind
        from strategy.live.operations import record_change

        with self.app.app_context():
            for _ in range(10):
                step = self.steps.get(timeout=30)
                if step == "xid":  # the transaction takes its id now (any write would)
                    value = db.session.scalar(sa.text("SELECT pg_current_xact_id()::text"))
                elif step == "change":
                    change = record_change(self.event_id, ChangeKind.phase)
                    db.session.flush()
                    value = change.id
                elif step == "commit":
                    db.session.commit()
                    value = None
                self.done.put(value)
                if step == "commit":
                    break
            db.session.remove()

    def do(self, step):
        self.steps.put(step)
        return self.done.get(timeout=10)  # a writer that waited for another would time out


def test_no_change_is_skipped_when_transactions_commit_out_of_order(app, event):
    """PostgreSQL, two real connections: an older transaction commits a change after a newer
    one did; a poller reading in between still receives both, and neither writer waits."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (set TEST_DATABASE_URL); SQLite has one writer at a time")
    event_id = event.id
    db.session.commit()
    older, newer = Writer(app, event_id), Writer(app, event_id)
    older.do("xid")                       # the older transaction exists first...
    late_id = newer.do("change")          # ...the newer one takes the smaller change id
    early_id = older.do("change")
    assert late_id < early_id
    older.do("commit")                    # the older commits its larger id while newer is open
    seen, cursor = [], 0

    def poll():
        nonlocal cursor
        db.session.rollback()  # a fresh snapshot, as a new request has
        rows = broker.changes_since(event_id, cursor)
        seen.extend(c.id for c in rows)
        cursor = rows[-1].id if rows else cursor

    poll()
    newer.do("commit")
    # Another database's transaction on the same server may hold the horizon for a moment.
    deadline = time.monotonic() + HORIZON_WAIT_S
    while time.monotonic() < deadline:
        poll()
        if len(seen) == 2:
            break
        time.sleep(0.1)
    assert sorted(seen) == sorted([late_id, early_id]) and len(seen) == 2
    assert broker.latest_cursor(event_id) == cursor


def test_a_change_of_an_open_transaction_is_not_visible_yet(app, event):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (set TEST_DATABASE_URL)")
    event_id = event.id
    db.session.commit()
    before = broker.latest_cursor(event_id)
    open_writer, other = Writer(app, event_id), Writer(app, event_id)
    open_writer.do("change")
    committed = other.do("change")
    other.do("commit")
    db.session.rollback()
    # The committed change is newer than the open one, so it waits behind it.
    assert broker.latest_cursor(event_id) == before
    open_writer.do("commit")
    deadline = time.monotonic() + HORIZON_WAIT_S
    while time.monotonic() < deadline:  # another database's transaction may hold the horizon
        db.session.rollback()
        if broker.latest_cursor(event_id) == committed:
            break
        time.sleep(0.1)
    assert broker.latest_cursor(event_id) == committed


def open_stream(base, path):
    """An SSE connection to a real server; returns a reader of change ids (bounded waits)."""
    host, port = base.rsplit("/", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", path, headers={"Accept": "text/event-stream"})
    response = conn.getresponse()
    assert response.status == 200 and response.getheader("Content-Type").startswith(
        "text/event-stream")
    return conn, response


def stream_supports(response, wanted, seconds=10):
    """Proposal ids of the support changes read from the stream until ``wanted`` is covered."""
    seen, deadline = set(), time.monotonic() + seconds
    while not wanted <= seen and time.monotonic() < deadline:
        line = response.fp.readline().decode()
        if line.startswith("data: "):
            seen |= {c["proposal_id"] for c in json.loads(line[6:])["changes"]
                     if c["kind"] == "support"}
    return seen


@pytest.mark.parametrize("backend", ["database", "redis"])
def test_streams_on_either_worker_receive_supports_made_through_the_other(
        tmp_path, request, monkeypatch, backend):
    """gevent workers (gunicorn.conf.py): a support handled by either worker reaches streams
    open on both, through the database back-end or through Redis."""
    if backend == "redis":
        monkeypatch.setenv("REDIS_URL", request.getfixturevalue("redis_url"))
    else:
        monkeypatch.delenv("REDIS_URL", raising=False)
    with served_app(tmp_path, workers=2) as base:
        participant = Browserless(base)
        token = participant.token("/join")
        participant.post("/join", {"csrf_token": token, "event_code": "BAIKAL26",
                                   "display_name": "Вера Потокова", "library": "ЦБС Ангарска",
                                   "municipality": "Ангарский округ",
                                   "consent_public_affiliation": "y"})
        streams = [open_stream(base, "/events/1/stream") for _ in range(4)]  # both workers
        html = participant.get("/events/1/tracks/social-hub?sort=new")[2]
        ids = [int(i) for i in re.findall(r'data-proposal-card="(\d+)"', html)][:4]
        token = participant.token("/events/1/tracks/social-hub")
        for pid in ids:
            participant.post(f"/events/1/proposals/{pid}/support", {},
                             {"X-CSRFToken": token, "Accept": "application/json"})
        for conn, response in streams:
            assert stream_supports(response, set(ids)) == set(ids)
            conn.close()
