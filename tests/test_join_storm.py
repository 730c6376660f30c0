"""A join storm against the served app (gunicorn, two workers, limits shared on Redis): 300 phones
behind one address, 30 % mistyping the code once or twice, every one of them ends signed in."""
import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests

from tests.servers import served_app

PEOPLE = 300
REDIS_URL = "redis://127.0.0.1:6379/11"
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
MISTYPES = ("BAIKAL62", "BAKAL26")


@pytest.fixture
def shared_limits(monkeypatch):
    prefix = f"test-storm-{uuid.uuid4().hex}"
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("FLASK_RATELIMIT_KEY_PREFIX", prefix)
    yield
    connection = redis.Redis.from_url(REDIS_URL)
    for key in connection.scan_iter(f"{prefix}*"):
        connection.delete(key)


def person(base: str, number: int) -> tuple[int, list[int]]:
    """One phone: open the join page, mistype as people do, then type the right code."""
    browser = requests.Session()
    statuses = []
    html = browser.get(f"{base}/join", timeout=60).text
    mistakes = (number % 10 < 3) * (1 + number % 2)  # 30 %: once or twice
    typed = list(MISTYPES[:mistakes]) + ["ВАIKAL26" if number % 4 == 0 else "baikal26"]
    for code in typed:
        response = browser.post(f"{base}/join", timeout=60, allow_redirects=False, data={
            "csrf_token": TOKEN.search(html).group(1), "event_code": code,
            "display_name": f"Участник зала {number}", "library": "Библиотека",
            "municipality": "Иркутск"})
        statuses.append(response.status_code)
        html = response.text
    welcome = browser.get(f"{base}/welcome", timeout=60, allow_redirects=False)
    return welcome.status_code, statuses


def test_three_hundred_phones_behind_one_address_all_get_in(tmp_path, shared_limits):
    with served_app(tmp_path, workers=2) as base:
        with ThreadPoolExecutor(max_workers=12) as pool:
            results = list(pool.map(lambda n: person(base, n), range(PEOPLE)))
    signed_in = [welcome for welcome, _ in results if welcome == 200]
    assert len(signed_in) == PEOPLE, [r for r in results if r[0] != 200][:5]
    for _welcome, statuses in results:
        assert statuses[-1] == 302 and set(statuses[:-1]) <= {404}
