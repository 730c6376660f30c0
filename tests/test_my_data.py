"""«Мои данные»: a participant downloads everything about them and deletes the profile; the
contributions stay anonymised, sessions end; organisers do the same on request."""
import json

import sqlalchemy as sa

from strategy.auth.models import Invitation, Role, User
from strategy.auth.operations import create_invitation
from strategy.comments.operations import add_comment
from strategy.extensions import db
from strategy.proposals.models import Proposal
from tests.test_security_session import cookies, put_cookies, signed_in


def page(response) -> str:
    return response.get_data(as_text=True)


def active(app, event, create_participant, create_proposal):
    other = create_participant(event, name="Другой Автор")
    target = create_proposal(event.tracks[0], other, title="Чужое предложение клуба")
    me = create_participant(event, name="Вера Личная", library="Библиотека Листвянки")
    mine = create_proposal(event.tracks[0], me, title="Моё предложение о клубе")
    add_comment(target, me, "Мой комментарий к чужому")
    return me, mine, target


def test_download_holds_everything_about_me(app, client, auth, event, create_participant,
                                            create_proposal):
    me, mine, target = active(app, event, create_participant, create_proposal)
    auth.as_participant(me)
    client.post(f"/events/{event.id}/proposals/{target.id}/support")
    client.post(f"/events/{event.id}/proposals/{target.id}/join",
                data={"library": "Библиотека Листвянки", "note": "Проведём встречу"})
    response = client.get("/me/data.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"]["display_name"] == "Вера Личная"
    assert data["profile"]["library"] == "Библиотека Листвянки"
    assert [p["title"] for p in data["proposals"]] == ["Моё предложение о клубе"]
    assert [c["body"] for c in data["comments"]] == ["Мой комментарий к чужому"]
    assert [s["proposal_id"] for s in data["supports"]] == [target.id]
    assert data["library_joins"][0]["note"] == "Проведём встречу"
    readable = page(client.get("/me/data"))
    assert "Вера Личная" in readable and "Моё предложение о клубе" in readable
    assert "Мой комментарий к чужому" in readable


def test_deleting_my_profile_keeps_contributions_anonymised_and_ends_sessions(
        app, client, auth, event, create_participant, create_proposal):
    me, mine, target = active(app, event, create_participant, create_proposal)
    auth.as_participant(me)
    client.post(f"/events/{event.id}/proposals/{target.id}/support")
    client.post(f"/events/{event.id}/proposals/{target.id}/join", data={"library": "Листвянка"})
    other_device = app.test_client()
    other_device.post(f"/r/{me.plain_code}")
    saved = cookies(client)
    assert client.post("/me/delete", data={}).status_code == 400  # needs the confirmation
    assert client.post("/me/delete", data={"confirm": "yes"}).status_code == 302
    db.session.expire_all()
    user = db.session.get(User, me.id)
    assert user.display_name == "Участник удалил профиль"
    assert user.library == "" and user.municipality == "" and user.return_code_hash is None
    assert db.session.get(Proposal, mine.id).author_id == me.id  # the proposal stays
    assert db.session.get(Proposal, target.id).support_count == 1  # the support still counts
    assert db.session.get(Proposal, target.id).join_count == 0
    detail = page(client.get(f"/events/{event.id}/proposals/{mine.id}"))
    assert "Участник удалил профиль" in detail and "Вера Личная" not in detail
    assert not signed_in(other_device)
    replay = app.test_client()
    put_cookies(replay, saved)
    assert not signed_in(replay)
    assert app.test_client().post("/return", data={"code": me.plain_code}).status_code == 404


def test_organiser_downloads_and_deletes_on_request(app, client, auth, event, create_event,
                                                    create_participant, create_proposal,
                                                    create_staff):
    invite, token = create_invitation(event, display_name="Вера Личная", email="vera@example.org")
    me, mine, _target = active(app, event, create_participant, create_proposal)
    invite.used_by_id = me.id
    db.session.commit()
    auth.as_staff(create_staff(Role.organiser, email="org@example.org", event=event))
    found = page(client.get(f"/events/{event.id}/manage/participants?q=Вера"))
    assert f"/manage/participants/{me.id}/data.json" in found
    data = client.get(f"/events/{event.id}/manage/participants/{me.id}/data.json").get_json()
    assert data["profile"]["display_name"] == "Вера Личная"
    assert client.post(f"/events/{event.id}/manage/participants/{me.id}/delete"
                       ).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, me.id).display_name == "Участник удалил профиль"
    used = db.session.scalar(sa.select(Invitation))
    assert used.display_name == "" and used.email is None


def test_an_organiser_of_another_event_cannot(app, client, auth, event, create_event,
                                              create_participant, create_staff):
    me = create_participant(event)
    other = create_event(code="OTHER26")
    auth.as_staff(create_staff(Role.organiser, email="else@example.org", event=other))
    assert client.get(f"/events/{event.id}/manage/participants/{me.id}/data.json"
                      ).status_code == 403
    assert client.post(f"/events/{event.id}/manage/participants/{me.id}/delete"
                       ).status_code == 403
    assert db.session.get(User, me.id).display_name != "Участник удалил профиль"
