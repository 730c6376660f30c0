"""A poll storm against the served app (gunicorn, two gevent workers, real HTTP): 100
participants answer a multiple-choice poll at the same moment, each then tries to answer again;
every first answer is counted exactly once, every second one is refused with 409."""
import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.servers import (form_token, fresh_connection, join_over_http, served_app,
                           staff_over_http)

PEOPLE = 100
META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
POLL_URL = re.compile(r"/events/1/polls/(\d+)$")


def organiser_opens_a_poll(base: str) -> int:
    staff = staff_over_http(base)
    html = staff.get(f"{base}/events/1/manage/polls/new", timeout=60).text
    made = staff.post(f"{base}/events/1/manage/polls/new", timeout=60, allow_redirects=False,
                      data={"csrf_token": form_token(html), "question": "Что взять в стратегию?",
                            "kind": "multiple", "track": "",
                            "options": "Клубы\nЛекции\nМастерские\nКибертурниры"})
    assert made.status_code == 302, made.text[:500]
    poll_id = int(POLL_URL.search(made.headers["Location"]).group(1))
    html = staff.get(f"{base}/events/1/polls/{poll_id}", timeout=60).text
    opened = staff.post(f"{base}/events/1/manage/polls/{poll_id}/open", timeout=60,
                        allow_redirects=False, data={"csrf_token": form_token(html)})
    assert opened.status_code == 302
    return poll_id


def join(base: str, number: int) -> requests.Session:
    return join_over_http(base, f"Участник опроса {number}")


def choices(number: int, options: list[int]) -> list[int]:
    picked = [options[number % 4]]
    if number % 3 == 0:
        picked.append(options[(number + 1) % 4])
    return picked


def status_of(phone: requests.Session, api: str, body: dict, headers: dict) -> int | str:
    """The answer's status code, or the name of the connection error (all of them are shown)."""
    try:
        return phone.post(f"{api}/answer", json=body, headers=headers, timeout=120).status_code
    except requests.RequestException as error:
        return f"{type(error).__name__}: {error}"


def server_log_tail(tmp_path) -> str:
    return (tmp_path / "server.log").read_text(errors="replace")[-3000:]


def test_a_hundred_people_answer_at_once_and_each_counts_once(tmp_path):
    with served_app(tmp_path, workers=2) as base:
        poll_id = organiser_opens_a_poll(base)
        api = f"{base}/api/v1/events/1/polls/{poll_id}"
        with ThreadPoolExecutor(max_workers=12) as pool:
            phones = list(pool.map(lambda n: join(base, n), range(PEOPLE)))
        options = [o["id"] for o in requests.get(api, timeout=60).json()["data"]["options"]]
        tokens = [META_TOKEN.search(p.get(f"{base}/events/1/polls/{poll_id}", timeout=60).text)
                  .group(1) for p in phones]
        start = threading.Barrier(PEOPLE)

        def answer(number: int) -> tuple[int | str, int | str]:
            phone, headers = phones[number], {"X-CSRFToken": tokens[number]}
            fresh_connection(phone)
            start.wait(timeout=120)
            first = status_of(phone, api, {"options": choices(number, options)}, headers)
            again = status_of(phone, api, {"options": [options[0]]}, headers)
            return first, again

        with ThreadPoolExecutor(max_workers=PEOPLE) as pool:
            statuses = list(pool.map(answer, range(PEOPLE)))
        assert Counter(first for first, _ in statuses) == {201: PEOPLE}, (
            statuses, server_log_tail(tmp_path))
        assert Counter(again for _, again in statuses) == {409: PEOPLE}, (
            statuses, server_log_tail(tmp_path))
        results = requests.get(api, timeout=60).json()["data"]["results"]
        assert results is None  # anonymous, poll still open: results after answering only
        results = phones[0].get(api, timeout=60).json()["data"]["results"]
        expected = Counter(o for n in range(PEOPLE) for o in choices(n, options))
        assert results["total"] == PEOPLE
        assert {bar["id"]: bar["count"] for bar in results["bars"]} == {
            o: expected[o] for o in options}
