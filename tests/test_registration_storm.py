"""A registration storm against the served app (gunicorn with the project's gunicorn.conf.py,
two gevent workers, real HTTP): 30 participants, each with their own session, register at the
same moment for one hall session with 10 places. Exactly 10 get a place and 20 wait, in the
database and on every person's «Моя программа»; then one registered person cancels and exactly
the first person waiting moves up. Runs on SQLite, and on PostgreSQL with TEST_DATABASE_URL."""
import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests
import sqlalchemy as sa

from tests.servers import (database_url_for, engine_for, form_token, fresh_connection,
                           join_over_http, seed, serve, staff_over_http)

PEOPLE = 30
PLACES = 10
ITEM_URL = re.compile(r"/events/1/programme/(\d+)")
TITLE = "Штурм регистрации: открытая мастерская"


def first_day(engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(sa.text("SELECT starts_on FROM events WHERE id = 1")).scalar())


def organiser_adds_a_session(base: str, day: str) -> int:
    """Through the organisers' screens: a hall session with 10 places and a waiting list."""
    staff = staff_over_http(base)
    html = staff.get(f"{base}/events/1/manage/programme/new", timeout=60).text
    made = staff.post(f"{base}/events/1/manage/programme/new", timeout=60, allow_redirects=False,
                      data={"csrf_token": form_token(html), "title": TITLE, "day": day,
                            "start": "21:00", "end": "22:00", "track": "", "format": "hall",
                            "place": "Малый зал штурма", "registration_required": "y",
                            "capacity_hall": str(PLACES), "waitlist": "y"})
    assert made.status_code == 302, made.text[:800]
    listing = staff.get(f"{base}/events/1/manage/programme", timeout=60).text
    ids = [int(m) for m in re.findall(r'/events/1/manage/programme/(\d+)/edit', listing)]
    for item_id in ids:
        if TITLE in staff.get(f"{base}/events/1/programme/{item_id}", timeout=60).text:
            return item_id
    raise AssertionError("the new session is not in the programme")


def join(base: str, number: int) -> requests.Session:
    return join_over_http(base, f"Участник штурма {number}")


def my_status(phone: requests.Session, base: str, item_id: int) -> str:
    """What «Моя программа» says about this session: registered, waiting or nothing."""
    page = phone.get(f"{base}/events/1/my/programme", timeout=60)
    assert page.status_code == 200
    card = re.search(rf'id="item-{item_id}".*?</li>', page.text, re.S)
    if card is None:
        return "none"
    badge = re.search(r'class="badge reg-(\w+)"', card.group(0))
    return badge.group(1) if badge else "none"


def statuses_in_db(engine, item_id: int) -> Counter:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT status FROM registrations WHERE item_id = :i"),
                            {"i": item_id})
        return Counter(status for (status,) in rows)


def names_in_db(engine, item_id: int, status: str) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT users.display_name FROM registrations JOIN users "
            "ON users.id = registrations.user_id WHERE item_id = :i AND status = :s"),
            {"i": item_id, "s": status})
        return {name for (name,) in rows}


def first_waiting(engine, item_id: int) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT users.display_name FROM registrations JOIN users "
            "ON users.id = registrations.user_id WHERE item_id = :i AND status = 'waiting' "
            "ORDER BY queued_at, registrations.id LIMIT 1"), {"i": item_id}).scalar()


def test_thirty_register_at_once_for_ten_places_over_http(tmp_path):
    database_url = database_url_for(tmp_path)
    seed(database_url)
    engine = engine_for(database_url)
    try:
        with serve(database_url, tmp_path, workers=2) as base:
            item_id = organiser_adds_a_session(base, first_day(engine))
            with ThreadPoolExecutor(max_workers=10) as pool:
                phones = list(pool.map(lambda n: join(base, n), range(PEOPLE)))
            item_url = f"{base}/events/1/programme/{item_id}"
            tokens = [form_token(phone.get(item_url, timeout=60).text) for phone in phones]
            start = threading.Barrier(PEOPLE)

            def register(number: int) -> tuple[int, str]:
                fresh_connection(phones[number])
                start.wait(timeout=120)
                response = phones[number].post(f"{item_url}/register", timeout=120,
                                               allow_redirects=False,
                                               data={"csrf_token": tokens[number],
                                                     "seat": "hall"})
                return response.status_code, response.headers.get("Location", "")

            with ThreadPoolExecutor(max_workers=PEOPLE) as pool:
                answers = list(pool.map(register, range(PEOPLE)))
            assert Counter(status for status, _ in answers) == {302: PEOPLE}, answers
            assert all(f"/programme/{item_id}" in location for _, location in answers)

            assert statuses_in_db(engine, item_id) == {"registered": PLACES,
                                                       "waiting": PEOPLE - PLACES}
            seen = [my_status(phone, base, item_id) for phone in phones]
            assert Counter(seen) == {"registered": PLACES, "waiting": PEOPLE - PLACES}
            page = requests.get(item_url, timeout=60).text
            assert "мест нет" in page and f"ждут: {PEOPLE - PLACES}" in page

            # Registering again over HTTP is refused with 409 and changes nothing.
            again = phones[0].post(f"{item_url}/register", timeout=60, allow_redirects=False,
                                   data={"csrf_token": tokens[0], "seat": "hall"})
            assert again.status_code == 409
            assert statuses_in_db(engine, item_id) == {"registered": PLACES,
                                                       "waiting": PEOPLE - PLACES}

            # One registered person cancels: exactly the first one waiting moves up.
            leaving = seen.index("registered")
            next_in_line = first_waiting(engine, item_id)
            waiting_before = names_in_db(engine, item_id, "waiting")
            cancelled = phones[leaving].post(f"{item_url}/cancel", timeout=60,
                                             allow_redirects=False,
                                             data={"csrf_token": tokens[leaving]})
            assert cancelled.status_code == 302, cancelled.text[:300]
            assert statuses_in_db(engine, item_id) == {"registered": PLACES,
                                                       "waiting": PEOPLE - PLACES - 1,
                                                       "cancelled": 1}
            assert waiting_before - names_in_db(engine, item_id, "waiting") == {next_in_line}
            assert next_in_line in names_in_db(engine, item_id, "registered")
            promoted = phones[int(next_in_line.rsplit(" ", 1)[1])]
            assert my_status(promoted, base, item_id) == "registered"
            assert my_status(phones[leaving], base, item_id) == "none"
            after = [my_status(phone, base, item_id) for phone in phones]
            assert Counter(after) == {"registered": PLACES, "waiting": PEOPLE - PLACES - 1,
                                      "none": 1}
        log = (tmp_path / "server.log").read_text()
        assert "Traceback" not in log, log[-3000:]
    finally:
        engine.dispose()
