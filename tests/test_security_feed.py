"""The live feed gives anonymous screens and participants no moderation detail: not who was
muted, not that something was flagged; the event's staff still get it."""
import pytest

from strategy.auth.models import Role
from strategy.moderation.operations import set_muted
from tests.conftest import settle_feed


FEEDS = ("/events/{id}/feed?since=0", "/api/v1/events/{id}/changes?since=0")


def kinds(client, event, feed=FEEDS[0]) -> list[dict]:
    return client.get(feed.format(id=event.id),
                      headers={"Accept": "application/json"}).get_json()["data"]["changes"]


@pytest.mark.parametrize("feed", FEEDS, ids=["site", "api"])
def test_who_was_muted_reaches_only_staff(app, client, auth, event, create_participant,
                                          create_staff, feed):
    noisy = create_participant(event, name="Шумный Участник")
    organiser = create_staff(Role.organiser, email="org@example.org")
    set_muted(noisy, organiser, event, True)
    settle_feed(event.id)  # PostgreSQL: another test process's write may hold the horizon
    public = kinds(app.test_client(), event, feed)
    assert all(c["kind"] != "user_moderated" for c in public)
    assert all(c.get("user_id") != noisy.id for c in public)
    auth.as_staff(organiser)
    assert any(c["kind"] == "user_moderated" and c["user_id"] == noisy.id
               for c in kinds(client, event, feed))
