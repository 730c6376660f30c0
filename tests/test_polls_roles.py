"""Route × role table of the live polls (pages and /api/v1): the exact answer each of seven
kinds of visitor gets from every poll URL, and a check that no poll route is missing."""
import pytest
import sqlalchemy as sa

from strategy.api import ID
from strategy.extensions import db
from strategy.polls import operations as ops
from strategy.polls.models import Poll, PollAnswer, PollState
from tests.conftest import fill

ROLES = ("anonymous", "participant", "other_participant", "other_organiser",
         "other_facilitator", "facilitator", "organiser")
ALL = lambda status: (status,) * 7  # noqa: E731
E = "/events/{e}"
A = "/api/v1/events/{e}/polls/{o}"

# endpoint: (method, url, data, expected answers in the order of ROLES)
BY_ENDPOINT = {
    "polls.index": ("GET", E + "/polls", None, ALL(200)),
    "polls.detail": ("GET", E + "/polls/{o}", None, ALL(200)),
    "polls.screen": ("GET", E + "/polls/{o}/screen", None, ALL(200)),
    "polls.short": ("GET", "/p/{o}", None, ALL(302)),
    "polls.answer": ("POST", E + "/polls/{o}/answer", {"option": "{opt}"},
                     (302, 302, 403, 403, 302, 302, 302)),
    "polls.create": ("GET", E + "/manage/polls/new", None, (302, 403, 403, 403, 200, 200, 200)),
    "polls.edit": ("GET", E + "/manage/polls/{d}/edit", None, (302, 403, 403, 403, 403, 200, 200)),
    "polls.delete": ("GET", E + "/manage/polls/{d}/delete", None,
                     (302, 403, 403, 403, 403, 200, 200)),
    "polls.change_state": ("POST", E + "/manage/polls/{d}/open", {},
                           (302, 403, 403, 403, 403, 302, 302)),
    "api.polls": ("GET", "/api/v1/events/{e}/polls", None, ALL(200)),
    "api.poll_create": ("POST", "/api/v1/events/{e}/polls",
                        {"question": "Опрос из таблицы прав", "kind": "single",
                         "track": "social-hub", "options": ["Да", "Нет"]},
                        (401, 403, 403, 403, 403, 201, 201)),
    "api.poll_open": ("POST", "/api/v1/events/{e}/polls/{d}/open", None,
                      (401, 403, 403, 403, 403, 200, 200)),
    "api.poll_close": ("POST", A + "/close", None, (401, 403, 403, 403, 403, 200, 200)),
    "api.poll": ("GET", A, None, ALL(200)),
    "api.poll_answer": ("POST", A + "/answer", {"options": ["{opt}"]},
                        (401, 201, 403, 403, 201, 201, 201)),
}
PATH = f"/api/v1/events/<{ID}:event_id>/polls/<{ID}:poll_id>"
RULES = {
    "polls.index": "/events/<int:event_id>/polls",
    "polls.detail": "/events/<int:event_id>/polls/<int:poll_id>",
    "polls.screen": "/events/<int:event_id>/polls/<int:poll_id>/screen",
    "polls.short": "/p/<int:poll_id>",
    "polls.answer": "/events/<int:event_id>/polls/<int:poll_id>/answer",
    "polls.create": "/events/<int:event_id>/manage/polls/new",
    "polls.edit": "/events/<int:event_id>/manage/polls/<int:poll_id>/edit",
    "polls.delete": "/events/<int:event_id>/manage/polls/<int:poll_id>/delete",
    "polls.change_state": "/events/<int:event_id>/manage/polls/<int:poll_id>/<any(open, close):action>",
    "api.polls": f"/api/v1/events/<{ID}:event_id>/polls",
    "api.poll_create": f"/api/v1/events/<{ID}:event_id>/polls",
    "api.poll_open": PATH + "/open",
    "api.poll_close": PATH + "/close",
    "api.poll": PATH,
    "api.poll_answer": PATH + "/answer",
}
# (endpoint, rule) keys, as tests/test_roles.py collects every tests/test_*_roles.py TABLE.
TABLE = {(endpoint, RULES[endpoint]): entry for endpoint, entry in BY_ENDPOINT.items()}
REFUSAL_WORDS = ("прав", "только", "другое мероприятие", "методическая группа", "Войдите")


def covered_rules(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, rule.rule) for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("polls.") or rule.endpoint.startswith("api.poll")}


def test_every_poll_route_is_in_the_table(app):
    assert sorted(covered_rules(app) - set(TABLE)) == []
    assert sorted(set(TABLE) - covered_rules(app)) == []


@pytest.fixture
def world(role_world):
    made = role_world()
    event, facilitator = made.event, made.people["facilitator"]
    draft = ops.create_poll(event, facilitator, ops.PollData(
        question="Черновик опроса", kind="single", track="social-hub", options=["Да", "Нет"]))
    running = ops.create_poll(event, facilitator, ops.PollData(
        question="Идущий опрос", kind="single", track="social-hub", options=["Да", "Нет"]))
    ops.open_poll(running, facilitator)
    ids = {"e": event.id, "d": draft.id, "o": running.id, "opt": running.options[0].id}
    return made.people, ids


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(BY_ENDPOINT))
def test_poll_route_answers_each_role_exactly(client, auth, world, endpoint, role):
    people, ids = world
    method, url, data, expected = BY_ENDPOINT[endpoint]
    if role in ("participant", "other_participant"):
        auth.as_participant(people[role])
    elif role != "anonymous":
        auth.as_staff(people[role])
    answers_before = db.session.scalar(sa.select(sa.func.count(PollAnswer.id)))
    if endpoint.startswith("api."):
        body = {k: [int(fill(x, ids)) if x.startswith("{") else x for x in v]
                if isinstance(v, list) else v for k, v in (data or {}).items()}
        response = client.open(fill(url, ids), method=method, json=body if data else None)
    elif method == "GET":
        response = client.get(fill(url, ids))
    else:
        response = client.post(fill(url, ids), data={k: fill(v, ids)
                                                     for k, v in (data or {}).items()})
    assert response.status_code == expected[ROLES.index(role)]
    body = (response.get_json().get("message", "") if response.is_json
            else response.get_data(as_text=True))
    if response.status_code in (401, 403):  # a Russian reason, not a bare code
        assert any(text in body for text in REFUSAL_WORDS), body[:300]
    if role == "anonymous" and response.status_code == 302 and expected != ALL(302):
        assert "/login" in response.headers["Location"]
    if response.status_code >= 400:  # a refusal changed nothing
        db.session.expire_all()
        assert db.session.scalar(sa.select(sa.func.count(PollAnswer.id))) == answers_before
        assert db.session.get(Poll, ids["d"]).state is PollState.draft
        assert db.session.get(Poll, ids["o"]).state is PollState.open
        assert db.session.scalar(sa.select(sa.func.count(Poll.id))) == 2
