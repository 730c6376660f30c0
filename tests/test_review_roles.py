"""Route × role table of the review screens («Экспертиза», criteria, the summary file, the
official answer): the exact answer each visitor gets, the track's expert included, and a
check that no route of the review blueprint is missing from the table."""
import pytest

from strategy.auth.models import Role
from strategy.extensions import db
from tests.conftest import cheap_staff, fill

ROLES = ("anonymous", "participant", "other_participant", "other_organiser",
         "other_facilitator", "facilitator", "organiser", "expert", "other_expert")
FULL = {"score_significance": "5", "score_feasibility": "4", "score_resources": "3",
        "score_replicability": "4", "recommendation": "Рекомендация из таблицы прав"}

# endpoint: (method, url, data, expected answers in the order of ROLES)
BY_ENDPOINT = {
    "review.index": ("GET", "/events/{e}/review", None,
                     (302, 403, 403, 403, 403, 403, 200, 200, 200)),
    # other_expert is an expert of the other track: 403 with the reason.
    "review.assess": ("POST", "/events/{e}/review/proposals/{p}", FULL,
                      (302, 403, 403, 403, 403, 403, 403, 302, 403)),  # organisers read only
    "review.summary_file": ("GET", "/events/{e}/manage/review.csv", None,
                            (302, 403, 403, 403, 403, 403, 200, 403, 403)),
    "review.criteria": ("GET", "/events/{e}/manage/review/criteria", None,
                        (302, 403, 403, 403, 403, 403, 200, 403, 403)),
    "review.answer": ("POST", "/events/{e}/proposals/{p}/answer",
                      {"state": "accepted", "body": "Ответ из таблицы прав"},
                      (302, 403, 403, 403, 403, 302, 302, 403, 403)),
}
RULES = {
    "review.index": "/events/<int:event_id>/review",
    "review.assess": "/events/<int:event_id>/review/proposals/<int:proposal_id>",
    "review.summary_file": "/events/<int:event_id>/manage/review.<any(csv, xlsx):fmt>",
    "review.criteria": "/events/<int:event_id>/manage/review/criteria",
    "review.answer": "/events/<int:event_id>/proposals/<int:proposal_id>/answer",
}
# (endpoint, rule) keys, as tests/test_roles.py collects every tests/test_*_roles.py TABLE.
TABLE = {(endpoint, RULES[endpoint]): entry for endpoint, entry in BY_ENDPOINT.items()}


def test_every_review_route_is_in_the_table(app):
    rules = {(rule.endpoint, rule.rule) for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("review.")}
    assert rules == set(TABLE)


@pytest.fixture
def world(role_world, create_participant, create_proposal):
    made = role_world()
    event, tracks = made.event, made.tracks
    expert = cheap_staff(Role.expert, "expert@example.org")
    expert.event_id = event.id
    expert.facilitated_tracks.append(tracks["social-hub"])
    other_expert = cheap_staff(Role.expert, "expert-loci@example.org")
    other_expert.event_id = event.id
    other_expert.facilitated_tracks.append(tracks["genius-loci"])
    db.session.commit()
    author = create_participant(event, name="Автор")
    proposal = create_proposal(tracks["social-hub"], author, title="Проект для таблицы прав",
                               kind="project")
    people = {**made.people, "expert": expert, "other_expert": other_expert}
    return people, {"e": event.id, "p": proposal.id}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(BY_ENDPOINT))
def test_route_answers_each_role_exactly(client, auth, world, endpoint, role):
    people, ids = world
    method, url, data, expected = BY_ENDPOINT[endpoint]
    if role in ("participant", "other_participant"):
        auth.as_participant(people[role])
    elif role != "anonymous":
        auth.as_staff(people[role])
    form = {fill(k, ids): fill(v, ids) for k, v in (data or {}).items()}
    response = (client.get(fill(url, ids)) if method == "GET"
                else client.post(fill(url, ids), data=form))
    assert response.status_code == expected[ROLES.index(role)], response.get_data(as_text=True)[:300]
    if response.status_code == 403:  # a Russian reason, not a bare code
        body = response.get_data(as_text=True)
        assert any(text in body for text in ("прав", "только", "эксперты", "другое мероприятие",
                                             "методическая группа"))
    if role == "anonymous" and response.status_code == 302:
        assert "/login" in response.headers["Location"]
