"""Route × role table of the notification pages: the exact answer each kind of visitor gets.
The notification in the world belongs to the participant; for everyone else it does not exist
(404, nothing changed)."""
import pytest

from strategy.auth.models import Role
from strategy.extensions import db
from strategy.moderation import operations as moderation
from strategy.notifications.models import Notification

ROLES = ("anonymous", "participant", "other_participant", "other_organiser",
         "other_facilitator", "facilitator", "organiser")
SIGNED_IN = (302,) + (200,) * 6

# endpoint: (method, url, expected answers in the order of ROLES)
BY_ENDPOINT = {
    "notifications.index": ("GET", "/events/{e}/notifications", SIGNED_IN),
    "notifications.read": ("POST", "/events/{e}/notifications/{n}/read",
                           (302, 302, 404, 404, 404, 404, 404)),
    "notifications.read_all": ("POST", "/events/{e}/notifications/read-all", (302,) * 7),
}
RULES = {
    "notifications.index": "/events/<int:event_id>/notifications",
    "notifications.read": "/events/<int:event_id>/notifications/<int:notification_id>/read",
    "notifications.read_all": "/events/<int:event_id>/notifications/read-all",
}
TABLE = {(endpoint, RULES[endpoint]): entry for endpoint, entry in BY_ENDPOINT.items()}


def test_every_notification_route_is_in_the_table(app):
    rules = {(rule.endpoint, rule.rule) for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("notifications.")}
    assert rules == set(TABLE)


@pytest.fixture
def world(create_event, event, create_staff, create_participant, create_proposal):
    tracks = {t.slug: t for t in event.tracks}
    other_event = create_event(code="OTHER27", tracks=("genius-loci",))
    participant = create_participant(event, name="Автор")
    organiser = create_staff(Role.organiser, email="org@example.org")
    facilitator = create_staff(Role.facilitator, email="hub@example.org")
    facilitator.facilitated_tracks.append(tracks["social-hub"])
    other_facilitator = create_staff(Role.facilitator, email="loci@example.org")
    other_facilitator.facilitated_tracks.append(tracks["genius-loci"])
    other_organiser = create_staff(Role.organiser, email="other-org@example.org",
                                   event=other_event)
    db.session.commit()
    proposal = create_proposal(tracks["social-hub"], participant)
    moderation.hide_proposal(proposal, organiser, "Проверка прав")
    note = db.session.query(Notification).one()
    people = {"participant": participant,
              "other_participant": create_participant(other_event, name="Гость"),
              "other_organiser": other_organiser, "other_facilitator": other_facilitator,
              "facilitator": facilitator, "organiser": organiser}
    return people, {"e": event.id, "n": note.id}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(BY_ENDPOINT))
def test_route_answers_each_role_exactly(client, auth, world, endpoint, role):
    people, ids = world
    method, url, expected = BY_ENDPOINT[endpoint]
    if role in ("participant", "other_participant"):
        auth.as_participant(people[role])
    elif role != "anonymous":
        auth.as_staff(people[role])
    url = url.format(**ids)
    response = client.get(url) if method == "GET" else client.post(url, data={})
    assert response.status_code == expected[ROLES.index(role)]
    if role == "anonymous":
        assert "/login" in response.headers["Location"]
    if response.status_code == 404:
        assert "Уведомление не найдено." in response.get_data(as_text=True)
    note = db.session.get(Notification, ids["n"])
    db.session.refresh(note)
    # Only its owner may mark it read.
    assert note.is_read == (role == "participant" and endpoint != "notifications.index")
