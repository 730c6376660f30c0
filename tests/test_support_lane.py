"""The support lane (strategy.supports.lane) answers a signed-in participant's first support
without the full app, and hands everything else to it: the same rows, the same answer, the
same refusals. Each case is checked against the full app (the lane switched off)."""
import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from strategy.auth.models import Role
from strategy.auth.operations import create_user, end_sessions
from strategy.core.db import utcnow
from strategy.events.models import EventStatus
from strategy.extensions import db
from strategy.live.models import Change
from strategy.moderation.operations import hide_proposal
from strategy.proposals.models import Proposal
from strategy.supports.models import Support

@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def lane(app):
    return app.extensions["support_lane"]


@pytest.fixture
def hub(event):
    return next(t for t in event.tracks if t.slug == "social-hub")


@pytest.fixture
def proposals(hub, event, create_participant, create_proposal):
    author = create_participant(event, name="Автор")
    return [create_proposal(hub, author, title=f"Предложение номер {n}") for n in range(3)]


class Phone:
    """A participant's signed-in browser: the session cookie and the page's CSRF token."""

    def __init__(self, app, user):
        self.client = app.test_client()
        page = self.client.get(f"/r/{user.plain_code}").get_data(as_text=True)
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
        assert self.client.post(f"/r/{user.plain_code}",
                                data={"csrf_token": token}).status_code == 302
        home = self.client.get("/welcome").get_data(as_text=True)
        self.token = re.search(r'<meta name="csrf-token" content="([^"]+)"', home).group(1)

    def support(self, proposal, **headers):
        return self.client.post(
            f"/api/v1/events/{proposal.event_id}/proposals/{proposal.id}/support",
            headers={"X-CSRFToken": self.token, "Accept": "application/json", **headers})


@pytest.fixture
def phone(app, event, create_participant):
    return Phone(app, create_participant(event, name="Участница"))


def without_lane(app, call):
    app.config["SUPPORT_LANE"] = False
    try:
        return call()
    finally:
        app.config["SUPPORT_LANE"] = True


def rows_of(proposal):
    db.session.expire_all()
    count = db.session.get(Proposal, proposal.id).support_count
    supports = db.session.scalar(sa.select(sa.func.count(Support.id)).where(
        Support.proposal_id == proposal.id))
    changes = db.session.scalars(sa.select(Change).where(
        Change.proposal_id == proposal.id, Change.kind == "support")).all()
    return count, supports, changes


def test_the_lane_writes_and_answers_what_the_app_does(app, lane, phone, proposals):
    by_lane = phone.support(proposals[0])
    assert lane.served == 1
    by_app = without_lane(app, lambda: phone.support(proposals[1]))
    assert lane.served == 1
    assert by_lane.status_code == by_app.status_code == 200
    answer, expected = by_lane.get_json(), by_app.get_json()
    assert answer["data"].pop("proposal_id") == proposals[0].id
    assert expected["data"].pop("proposal_id") == proposals[1].id
    assert answer == expected and answer["data"]["support_count"] == 1
    assert answer["meta"]["message"] == "Вы поддержали предложение."
    for name in ("Content-Type", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options",
                 "Permissions-Policy", "Vary"):
        assert by_lane.headers[name] == by_app.headers[name]
    assert "Set-Cookie" not in by_lane.headers

    count, supports, changes = rows_of(proposals[0])
    assert (count, supports, len(changes)) == (1, 1, 1)
    support = db.session.scalar(sa.select(Support).where(Support.proposal_id == proposals[0].id))
    _, _, app_changes = rows_of(proposals[1])
    # the ORM reads the lane's rows back as its own (times as datetimes, the same track)
    assert support.track_id == proposals[0].track_id and support.created_at.year >= 2026
    assert changes[0].track_id == app_changes[0].track_id
    assert changes[0].created_at <= app_changes[0].created_at


def test_a_second_click_is_refused_by_the_app_with_its_message(app, lane, phone, proposals):
    assert phone.support(proposals[0]).status_code == 200
    again = phone.support(proposals[0])
    assert lane.served == 1
    assert again.status_code == 409
    assert again.get_json()["message"] == "Вы уже поддержали это предложение."
    assert rows_of(proposals[0])[:2] == (1, 1)


def test_the_answer_speaks_the_persons_language(app, lane, phone, proposals):
    home = phone.client.get("/welcome").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', home).group(1)
    phone.client.post("/lang/en", data={"csrf_token": token})
    answer = phone.support(proposals[0])
    assert lane.served == 1
    assert answer.get_json()["meta"]["message"] == "You supported the proposal."


def refuse_no_token(world):
    return {"X-CSRFToken": ""}


def refuse_another_site(world):
    return {"Origin": "https://evil.example"}


def refuse_a_bearer_token(world):
    return {"Authorization": "Bearer nonsense"}


def refuse_closed_support(world):
    world.hub.support_open = False
    db.session.commit()
    return {}


def refuse_a_budget_spent(world):
    world.hub.support_budget = 1
    db.session.commit()
    assert world.phone.support(world.proposals[1]).status_code == 200  # the app's: a budget
    return {}


def refuse_a_finished_event(world):
    world.event.status = EventStatus.finished
    db.session.commit()
    return {}


def refuse_a_hidden_proposal(world):
    organiser, _ = create_user(display_name="Организатор", role=Role.organiser,
                               email="org@example.org", password="долгий-пароль-2026",
                               event=world.event)
    hide_proposal(world.proposals[0], organiser, "Повтор другого предложения")
    return {}


def refuse_ended_sessions(world):
    end_sessions(world.participant)
    return {}


def refuse_a_suspended_participant(world):
    world.participant.suspended_at = utcnow()
    db.session.commit()
    return {}


def refuse_ones_own_proposal(world):
    world.proposals[0].author_id = world.participant.id
    db.session.commit()
    return {}


def refuse_another_events_participant(world):
    other = world.create_event(code="OTHER26")
    world.participant.event_id = other.id
    db.session.commit()
    return {}


REFUSALS = {
    refuse_no_token: 400, refuse_another_site: 400, refuse_a_bearer_token: 401,
    refuse_closed_support: 409, refuse_a_budget_spent: 409, refuse_a_finished_event: 409,
    refuse_a_hidden_proposal: 404, refuse_ended_sessions: 401,
    refuse_a_suspended_participant: 403, refuse_ones_own_proposal: 403,
    refuse_another_events_participant: 403,
}


@pytest.mark.parametrize("refusal", REFUSALS, ids=lambda f: f.__name__)
def test_what_the_lane_is_not_sure_of_goes_to_the_app(app, lane, event, hub, proposals,
                                                      create_event, create_participant,
                                                      refusal):
    participant = create_participant(event, name="Участница")
    phone = Phone(app, participant)
    world = SimpleNamespace(event=event, hub=hub, proposals=proposals, phone=phone,
                            participant=participant, create_event=create_event)
    headers = refusal(world)
    proposal = proposals[0]
    served = lane.served
    answer = phone.support(proposal, **headers)
    assert lane.served == served
    assert answer.status_code == REFUSALS[refusal], answer.get_data(as_text=True)
    assert answer.get_json()["success"] is False and answer.get_json()["message"]
    assert rows_of(proposal)[:2] == (0, 0)
