"""A personal invitation link used a second time never makes a second identity."""
import threading

import sqlalchemy as sa

from strategy.auth.models import Invitation, User
from strategy.auth.operations import create_invitation
from strategy.extensions import db

FIELDS = {"display_name": "Галина Орлова", "library": "Библиотека Киренска",
          "municipality": "Киренский район", "consent_public_affiliation": "y"}


def participants() -> int:
    return db.session.scalar(sa.select(sa.func.count(User.id)).where(
        User.event_id.is_not(None)))


def test_second_use_on_another_device_points_to_the_return_code(app, event):
    _invite, token = create_invitation(event, display_name="Галина Орлова")
    first = app.test_client()
    assert first.post(f"/i/{token}", data=FIELDS).status_code == 302
    second = app.test_client()
    shown = second.get(f"/i/{token}")
    html = shown.get_data(as_text=True)
    assert shown.status_code == 409
    assert "уже использовано" in html and "/return" in html and 'name="display_name"' not in html
    assert second.post(f"/i/{token}", data=FIELDS).status_code == 409
    assert participants() == 1


def test_second_use_in_the_same_browser_just_goes_on(app, event):
    _invite, token = create_invitation(event, display_name="Галина Орлова")
    client = app.test_client()
    client.post(f"/i/{token}", data=FIELDS)
    again = client.get(f"/i/{token}")
    assert again.status_code == 302 and participants() == 1


def test_two_devices_racing_on_one_invitation_make_one_identity(app, event):
    _invite, token = create_invitation(event, display_name="Галина Орлова")
    statuses = []
    start = threading.Barrier(6)

    def use() -> None:
        client = app.test_client()
        start.wait()
        statuses.append(client.post(f"/i/{token}", data=FIELDS).status_code)

    threads = [threading.Thread(target=use) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.expire_all()
    assert sorted(statuses) == [302] + [409] * 5
    assert participants() == 1
    used = db.session.scalar(sa.select(Invitation))
    assert used.used_by_id == db.session.scalar(sa.select(User.id).where(
        User.event_id.is_not(None)))
