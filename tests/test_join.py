"""Joining as a hall does: look-alike letters, mistypes behind one address, limits that do not
lock the hall out, and limiter state shared by every server process (real Redis)."""
import os
import uuid

import pytest
import redis

from strategy import create_app
from strategy.auth.models import normalise_code

JOIN_FIELDS = {"display_name": "Анна Петрова", "library": "Библиотека №3",
               "municipality": "Братск", "consent_public_affiliation": "y"}
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/11")


def page(response) -> str:
    return response.get_data(as_text=True)


def join(client, code, **fields):
    return client.post("/join", data={"event_code": code, **JOIN_FIELDS, **fields})


@pytest.mark.parametrize("typed", ["ВАIKAL26", "baikal 26", "BAI-KAL-26", "ВАІКАL26",
                                   "ＢＡＩＫＡＬ２６", " bаikаl-26 "])
def test_event_code_matches_after_case_space_dash_and_cyrillic_look_alikes(client,
                                                                            create_event, typed):
    create_event(code="BAIKAL26")
    response = join(client, typed)
    assert response.status_code == 302, page(response)
    assert response.headers["Location"].endswith("/welcome")


def test_letters_without_a_latin_twin_still_do_not_match():
    assert normalise_code("БАIKAL26") != normalise_code("BAIKAL26")
    assert normalise_code("ВАIKAL26") == normalise_code("BAIKAL26")


def test_a_right_code_is_never_refused_because_others_mistyped(app, event):
    app.config["WRONG_EVENT_CODE_BROWSER_LIMIT"] = "3 per minute"
    app.config["WRONG_EVENT_CODE_ADDRESS_LIMIT"] = "5 per minute"
    for _ in range(10):  # ten other people behind the same address mistype
        assert join(app.test_client(), "NOPE26").status_code in (404, 429)
    assert join(app.test_client(), "test26").status_code == 302


def test_mistyping_is_slowed_per_browser_not_per_hall(app, event):
    app.config["WRONG_EVENT_CODE_BROWSER_LIMIT"] = "3 per minute"
    clumsy = app.test_client()
    statuses = [join(clumsy, f"WRONG{i}").status_code for i in range(4)]
    assert statuses == [404, 404, 404, 429]
    refused = page(join(clumsy, "WRONG9"))
    assert "Слишком много неверных кодов" in refused
    # What was typed is kept on the refusal.
    assert 'value="Анна Петрова"' in refused and 'value="Библиотека №3"' in refused
    # A neighbour behind the same address is not slowed, and the clumsy one still gets in.
    assert join(app.test_client(), "WRONG1").status_code == 404
    assert join(clumsy, "TEST26").status_code == 302


def test_return_codes_are_limited_strictly_even_for_a_right_code(app, event, create_participant):
    app.config["RETURN_CODE_BROWSER_LIMIT"] = "3 per minute"
    user = create_participant(event)
    guesser = app.test_client()
    statuses = [guesser.post("/return", data={"code": f"WRNG-CODE-{i:04d}"}).status_code
                for i in range(4)]
    assert statuses == [404, 404, 404, 429]
    # Once over the limit even the right code waits: guessing cannot be confirmed.
    assert guesser.post("/return", data={"code": user.plain_code}).status_code == 429
    assert app.test_client().post("/return", data={"code": user.plain_code}).status_code == 302


def test_return_code_address_ceiling_applies_across_browsers(app, event):
    app.config["RETURN_CODE_ADDRESS_LIMIT"] = "4 per minute"
    statuses = [app.test_client().post("/return", data={"code": f"WRNG-CODE-{i:04d}"})
                .status_code for i in range(6)]
    assert statuses[:4] == [404] * 4 and statuses[-1] == 429


@pytest.fixture
def redis_prefix():
    prefix = f"test-join-{uuid.uuid4().hex}"
    yield prefix
    connection = redis.Redis.from_url(REDIS_URL)
    for key in connection.scan_iter(f"{prefix}*"):
        connection.delete(key)


def test_limiter_state_is_shared_by_every_server_process(app_config, event, redis_prefix):
    """Two app instances (as two gunicorn workers) on one Redis count the same failures."""
    config = {**app_config, "RATELIMIT_STORAGE_URI": REDIS_URL,
              "RATELIMIT_KEY_PREFIX": redis_prefix, "RETURN_CODE_ADDRESS_LIMIT": "4 per minute"}
    workers = [create_app(config), create_app(config)]
    statuses = []
    for attempt in range(6):
        worker = workers[attempt % 2]
        with worker.app_context():
            statuses.append(worker.test_client().post(
                "/return", data={"code": f"WRNG-CODE-{attempt:04d}"}).status_code)
    assert statuses[:4] == [404] * 4 and statuses[4:] == [429, 429]


def test_default_limits_let_a_hall_of_300_mistype_once_or_twice(app, event):
    """With the shipped limits, 300 people behind one address, 30 % mistyping twice, all join."""
    joined = 0
    for person in range(300):
        client = app.test_client()
        for mistake in range(2 if person % 10 < 3 else 0):
            assert join(client, f"BAIKA{mistake}").status_code == 404
        response = join(client, "TEST26", display_name=f"Участник {person}")
        joined += response.status_code == 302
    assert joined == 300
