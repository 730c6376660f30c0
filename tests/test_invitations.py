"""Personal invitation links: organisers create them, invitees join with a pre-filled form."""
import re

import pytest
import sqlalchemy as sa

from strategy.auth.models import Invitation, Role
from strategy.extensions import db


def page(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize("role, expected", [(None, 302), (Role.participant, 403),
                                            (Role.facilitator, 403), (Role.organiser, 200)])
def test_only_organisers_manage_invitations(client, auth, event, create_staff, create_participant,
                                            role, expected):
    if role is Role.participant:
        auth.as_participant(create_participant(event))
    elif role is not None:
        auth.as_staff(create_staff(role))
    response = client.get(f"/events/{event.id}/manage/invitations")
    assert response.status_code == expected
    if role is None:
        assert "/login" in response.headers["Location"]
    posted = client.post(f"/events/{event.id}/manage/invitations", data={"display_name": "Кто-то"})
    assert posted.status_code == (expected if expected != 200 else 200)


def test_organiser_creates_a_link_that_joins_with_the_form_prefilled(app, client, auth, event,
                                                                    create_staff):
    auth.as_staff(create_staff(Role.organiser))
    response = client.post(f"/events/{event.id}/manage/invitations", data={
        "display_name": "Людмила Гончарова", "library": "Библиотека Саянска",
        "municipality": "Саянск", "email": "lg@example.org"})
    assert response.status_code == 200
    link = re.search(r'data-invitation-link>([^<]+)<', page(response)).group(1).strip()
    token = link.rsplit("/i/", 1)[1]
    invitee = app.test_client()
    form = page(invitee.get(f"/i/{token}"))
    assert 'value="Людмила Гончарова"' in form and 'value="Саянск"' in form
    invitee.post(f"/i/{token}", data={"display_name": "Людмила Гончарова",
                                      "library": "Библиотека Саянска", "municipality": "Саянск"})
    listing = page(client.get(f"/events/{event.id}/manage/invitations"))
    assert "Людмила Гончарова" in listing and "ещё нет" not in listing
    assert db.session.scalar(sa.select(Invitation)).used_at is not None


def test_invitation_needs_a_name_and_a_valid_email(client, auth, event, create_staff):
    auth.as_staff(create_staff(Role.organiser))
    response = client.post(f"/events/{event.id}/manage/invitations",
                           data={"display_name": "", "library": "Библиотека", "email": "не почта"})
    assert response.status_code == 400
    html = page(response)
    assert "Заполните это поле." in html and "Введите адрес почты." in html
    assert 'value="Библиотека"' in html
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0


def test_cli_prints_an_invitation_link(runner, event):
    result = runner.invoke(args=["create-invitation", "--name", "Олег Петров",
                                 "--library", "Библиотека Тайшета"])
    assert result.exit_code == 0, result.output
    assert re.search(r"http://127\.0\.0\.1:5000/i/\S{16,}", result.output)
    assert db.session.scalar(sa.select(Invitation)).library == "Библиотека Тайшета"
