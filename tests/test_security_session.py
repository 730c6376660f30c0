"""Sessions: the cookie holds no secret, logout and code renewal end other sessions (remember
cookies too), the return link needs a click, the resend page cannot be used cross-site."""
import base64
import json
import zlib

import pytest
import sqlalchemy as sa

from strategy.extensions import db
from strategy.moderation.models import AuditEntry
from strategy.proposals.models import Proposal, ProposalStatus
from tests.conftest import PASSWORD

JOIN = {"event_code": "TEST26", "display_name": "Анна Петрова", "library": "Библиотека №3",
        "municipality": "Братск", "consent_public_affiliation": "y"}


def page(response) -> str:
    return response.get_data(as_text=True)


def session_payload(client) -> dict:
    """Decode the signed (not encrypted) session cookie as anyone holding it could."""
    value = client.get_cookie("session").value
    compressed = value.startswith(".")
    data = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    return json.loads(zlib.decompress(raw) if compressed else raw)


def cookies(client) -> dict:
    return {name: client.get_cookie(name).value for name in ("session", "remember_token")
            if client.get_cookie(name) is not None}


def put_cookies(client, values: dict) -> None:
    for name, value in values.items():
        client.set_cookie(name, value, domain="localhost")


def signed_in(client) -> bool:
    return client.get("/me/code").status_code == 200


def test_session_cookie_carries_no_return_code(client, event):
    response = client.post("/join", data=JOIN, follow_redirects=True)
    html = page(response)
    code = html.split("data-return-code>")[1].split("<")[0].strip()
    assert len(code.replace("-", "")) == 12
    payload = json.dumps(session_payload(client))
    assert code not in payload and code.replace("-", "") not in payload
    assert set(session_payload(client)) <= {"_user_id", "_fresh", "_id", "_permanent",
                                            "browser", "csrf_token", "_flashes", "lang", "_refreshed_on",
                                            "_remember"}


def test_welcome_shows_the_code_again_right_after_joining(client, event):
    first = page(client.post("/join", data=JOIN, follow_redirects=True))
    again = page(client.get("/welcome"))
    code = first.split("data-return-code>")[1].split("<")[0]
    assert code in again


def test_logout_ends_the_session_and_the_remember_cookie(app, client, event, create_participant):
    user = create_participant(event)
    client.post(f"/r/{user.plain_code}")
    saved = cookies(client)
    assert "remember_token" in saved and signed_in(client)
    client.post("/logout")
    assert not signed_in(client)
    replay = app.test_client()
    put_cookies(replay, saved)
    assert not signed_in(replay)
    remember_only = app.test_client()
    put_cookies(remember_only, {"remember_token": saved["remember_token"]})
    assert not signed_in(remember_only)


def test_staff_logout_ends_old_sessions_too(app, client, auth, event, create_staff):
    staff = create_staff()
    auth.as_staff(staff)
    saved = cookies(client)
    auth.logout()
    replay = app.test_client()
    put_cookies(replay, saved)
    assert replay.get(f"/events/{event.id}/manage").status_code == 302


def test_renewing_the_return_code_signs_out_other_devices(app, event, create_participant):
    user = create_participant(event)
    phone, laptop = app.test_client(), app.test_client()
    phone.post(f"/r/{user.plain_code}")
    laptop.post(f"/r/{user.plain_code}")
    laptop_only_remember = {"remember_token": cookies(laptop)["remember_token"]}
    assert phone.post("/me/code").status_code == 302
    assert signed_in(phone)
    assert not signed_in(laptop)
    remember = app.test_client()
    put_cookies(remember, laptop_only_remember)
    assert not signed_in(remember)


def test_sign_out_other_devices_keeps_this_one(app, event, create_participant):
    user = create_participant(event)
    phone, laptop = app.test_client(), app.test_client()
    phone.post(f"/r/{user.plain_code}")
    laptop.post(f"/r/{user.plain_code}")
    assert phone.post("/me/sign-out-others").status_code == 302
    assert signed_in(phone) and not signed_in(laptop)


def test_return_link_asks_for_a_click_before_signing_in(app, client, event, create_participant):
    user = create_participant(event)
    shown = client.get(f"/r/{user.plain_code}")
    assert shown.status_code == 200
    assert "Войти как" in page(shown) and 'method="post"' in page(shown)
    assert not signed_in(client)  # a link from another site signs no one in
    assert client.post(f"/r/{user.plain_code}").status_code == 302
    assert signed_in(client)


def test_return_link_post_needs_this_sessions_token(app, event, create_participant):
    """Login CSRF: another site cannot post the form for the victim's browser."""
    app.config["WTF_CSRF_ENABLED"] = True
    user = create_participant(event)
    victim = app.test_client()
    forged = victim.post(f"/r/{user.plain_code}", headers={"Origin": "https://evil.example"})
    assert forged.status_code in (400, 403)
    assert not signed_in(victim)


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def sign_in_with_token(client, user) -> None:
    from tests.conftest import csrf_token_from

    token = csrf_token_from(page(client.get(f"/r/{user.plain_code}")))
    client.post(f"/r/{user.plain_code}", data={"csrf_token": token})


def test_forged_cross_site_staff_action_gets_no_resend_form(csrf_app, event, create_staff,
                                                            create_participant,
                                                            create_proposal):
    proposal = create_proposal(event.tracks[0], create_participant(event))
    staff = create_staff()
    facilitator = csrf_app.test_client()
    from tests.conftest import csrf_token_from

    token = csrf_token_from(page(facilitator.get("/login")))
    facilitator.post("/login", data={"email": staff.email, "password": PASSWORD,
                                     "csrf_token": token})
    url = f"/events/{event.id}/manage/proposals/{proposal.id}/hide"
    response = facilitator.post(url, data={"reason": "Спам от злоумышленника"},
                                headers={"Origin": "https://evil.example"})
    assert response.status_code in (400, 403)
    html = page(response)
    assert "Спам от злоумышленника" not in html and 'name="reason"' not in html
    # Even from our own origin a staff action is never re-offered with a fresh token.
    same_site = facilitator.post(url, data={"reason": "Спам"},
                                 headers={"Origin": "http://localhost"})
    assert same_site.status_code == 400 and 'name="reason"' not in page(same_site)
    assert db.session.get(Proposal, proposal.id).status is ProposalStatus.published
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0


def test_forged_cross_site_comment_gets_no_resend_form(csrf_app, event, create_participant,
                                                      create_proposal):
    proposal = create_proposal(event.tracks[0], create_participant(event, name="Автор"))
    victim = csrf_app.test_client()
    sign_in_with_token(victim, create_participant(event))
    url = f"/events/{event.id}/proposals/{proposal.id}/comments"
    forged = victim.post(url, data={"body": "Реклама казино"},
                         headers={"Origin": "https://evil.example"})
    assert forged.status_code in (400, 403) and "Реклама казино" not in page(forged)
    no_origin = victim.post(url, data={"body": "Реклама казино"})
    assert "Реклама казино" not in page(no_origin)


def test_own_stale_form_is_re_offered(csrf_app, event, create_participant, create_proposal):
    """The phone lost its session cookie (browser restarted) but kept the page and the remember
    cookie: the text comes back with a fresh token, bound to the new session."""
    from tests.conftest import csrf_token_from

    proposal = create_proposal(event.tracks[0], create_participant(event, name="Автор"))
    person = csrf_app.test_client()
    sign_in_with_token(person, create_participant(event))
    url = f"/events/{event.id}/proposals/{proposal.id}/comments"
    token = csrf_token_from(page(person.get(f"/events/{event.id}/proposals/{proposal.id}")))
    person.delete_cookie("session", domain="localhost")
    stale = person.post(url, data={"body": "Мой долгий комментарий", "csrf_token": token},
                        headers={"Origin": "http://localhost"})
    assert stale.status_code == 400
    html = page(stale)
    assert 'value="Мой долгий комментарий"' in html
    fresh = csrf_token_from(html)
    assert person.post(url, data={"body": "Мой долгий комментарий", "csrf_token": fresh},
                       headers={"Origin": "http://localhost"}).status_code == 302
    # A made-up token is not one of our pages: nothing is re-offered.
    made_up = person.post(url, data={"body": "Чужой текст", "csrf_token": "made-up"},
                          headers={"Origin": "http://localhost"})
    assert "Чужой текст" not in page(made_up)


def test_an_unchanged_session_cookie_is_sent_again_once_a_day(client, event, monkeypatch):
    from strategy.core import sessions

    client.post("/join", data=JOIN)
    assert "session=" in client.get("/welcome").headers.get("Set-Cookie", "")
    again = client.get(f"/events/{event.id}")
    assert "session=" not in again.headers.get("Set-Cookie", "")
    tomorrow = sessions.today_ordinal() + 1
    monkeypatch.setattr(sessions, "today_ordinal", lambda: tomorrow)
    next_day = client.get(f"/events/{event.id}")
    assert "session=" in next_day.headers.get("Set-Cookie", "")
    assert "Expires=" in next_day.headers["Set-Cookie"]  # the 30 days count from today again
    assert client.get(f"/events/{event.id}").headers.get("Set-Cookie") is None
    assert client.get("/welcome").status_code == 200  # still signed in with the refreshed cookie
