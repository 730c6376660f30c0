"""Against vote stuffing with the public event code: who may take part, identities per browser
and per address, per-participant limits, and bursts that staff suspend together."""
import re

import sqlalchemy as sa

from strategy.auth.models import Role, User
from strategy.auth.operations import create_invitation
from strategy.events.models import ParticipationMode
from strategy.extensions import db
from strategy.proposals.models import Proposal

FIELDS = {"event_code": "TEST26", "library": "Библиотека", "municipality": "Братск"}


def page(response) -> str:
    return response.get_data(as_text=True)


def join(client, name="Анна Петрова"):
    return client.post("/join", data={**FIELDS, "display_name": name})


def participants() -> int:
    return db.session.scalar(sa.select(sa.func.count(User.id)).where(
        User.role == Role.participant))


def test_invited_only_refuses_the_code_but_takes_invitations(app, client, event):
    event.participation_mode = ParticipationMode.invited
    db.session.commit()
    refused = join(client)
    assert refused.status_code == 403
    assert "только по персональному приглашению" in page(refused)
    assert 'value="Анна Петрова"' in page(refused)
    _invite, token = create_invitation(event, display_name="Галина Орлова")
    assert app.test_client().post(f"/i/{token}", data={
        "display_name": "Галина Орлова", "library": "Б", "municipality": "М"}).status_code == 302
    assert participants() == 1


def test_approval_mode_waits_for_a_moderator(app, client, auth, event, create_participant,
                                             create_proposal, create_staff):
    proposal = create_proposal(event.tracks[0], create_participant(event, name="Автор"))
    event.participation_mode = ParticipationMode.approval
    db.session.commit()
    newcomer = app.test_client()
    assert join(newcomer, "Новичок Ждущий").status_code == 302
    support = f"/events/{event.id}/proposals/{proposal.id}/support"
    waiting = newcomer.post(support)
    assert waiting.status_code == 403 and "ещё не подтвердили" in page(waiting)
    auth.as_staff(create_staff(Role.facilitator))
    listing = page(client.get(f"/events/{event.id}/manage/participants"))
    assert "Новичок Ждущий" in listing
    user_id = db.session.scalar(sa.select(User.id).where(User.display_name == "Новичок Ждущий"))
    client.post(f"/events/{event.id}/manage/participants",
                data={"action": "approve", "user_id": str(user_id)})
    assert newcomer.post(support).status_code == 302
    assert db.session.get(Proposal, proposal.id).support_count == 1


def test_identities_per_browser_are_limited_and_the_form_keeps_its_text(app, event):
    phone = app.test_client()
    statuses = [join(phone, f"Имя Номер {i}").status_code for i in range(6)]
    assert statuses == [302] * 5 + [429]
    refused = page(join(phone, "Ещё Один"))
    assert "С этого устройства уже присоединились" in refused and 'value="Ещё Один"' in refused


def test_a_script_making_identities_fast_is_stopped_but_a_hall_is_not(app, event):
    """No cookies kept (a new 'browser' each time), one address: 360 pass in 5 minutes, the
    script asking for 500 (100 a minute for five minutes, only faster) gets no more."""
    statuses = [join(app.test_client(), f"Бот Номер {i}").status_code for i in range(500)]
    assert statuses.count(302) == 360 and set(statuses[360:]) == {429}
    assert participants() == 360


def test_proposals_comments_and_supports_are_limited_per_participant(app, client, auth, event,
                                                                    create_participant,
                                                                    create_proposal):
    app.config.update(PROPOSAL_LIMIT="3 per minute", COMMENT_LIMIT="4 per minute",
                      SUPPORT_LIMIT="2 per minute")
    author = create_participant(event, name="Автор")
    targets = [create_proposal(event.tracks[0], author, title=f"Цель номер {i}")
               for i in range(3)]
    auth.as_participant(create_participant(event))
    new = [client.post(f"/events/{event.id}/proposals/new", data={
        "track": event.tracks[0].slug, "kind": "idea", "title": f"Моё предложение {i}",
        "body": "Текст предложения достаточно длинный."}) for i in range(4)]
    assert [r.status_code for r in new] == [302, 302, 302, 429]
    assert "Слишком часто" in page(new[-1]) and "Моё предложение 3" in page(new[-1])
    comments = [client.post(f"/events/{event.id}/proposals/{targets[0].id}/comments",
                            data={"body": f"Комментарий {i}"}).status_code for i in range(5)]
    assert comments == [302] * 4 + [429]
    supports = [client.post(f"/events/{event.id}/proposals/{p.id}/support",
                            headers={"Accept": "application/json"}).status_code
                for p in targets]
    assert supports == [302, 302, 429]
    # Another participant behind the same address is not affected.
    other = app.test_client()
    other.post(f"/r/{create_participant(event, name='Сосед').plain_code}")
    assert other.post(f"/events/{event.id}/proposals/{targets[2].id}/support").status_code == 302


def test_a_burst_from_one_browser_is_shown_and_suspended_together(app, client, auth, event,
                                                                   create_participant,
                                                                   create_proposal,
                                                                   create_staff):
    proposal = create_proposal(event.tracks[0], create_participant(event, name="Автор"))
    honest = app.test_client()
    honest.post(f"/r/{create_participant(event, name='Честный').plain_code}")
    honest.post(f"/events/{event.id}/proposals/{proposal.id}/support")
    script = app.test_client()
    for i in range(4):
        join(script, f"Клон Номер {i}")
        script.post(f"/events/{event.id}/proposals/{proposal.id}/support")
    assert db.session.get(Proposal, proposal.id).support_count == 5
    auth.as_staff(create_staff(Role.facilitator))
    listing = page(client.get(f"/events/{event.id}/manage/participants"))
    burst = re.search(r"<form[^>]*data-burst.*?</form>", listing, re.S).group(0)
    ids = re.findall(r'name="user_id" value="(\d+)"', burst)
    assert len(ids) == 4 and "Честный" not in burst
    client.post(f"/events/{event.id}/manage/participants", data={"action": "suspend",
                                                                 "user_id": ids})
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).support_count == 1
    assert script.post(f"/events/{event.id}/proposals/{proposal.id}/unsupport").status_code == 403
    client.post(f"/events/{event.id}/manage/participants", data={"action": "reinstate",
                                                                 "user_id": ids})
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).support_count == 5


def test_participants_page_is_for_the_events_staff(client, auth, event, create_participant):
    assert client.get(f"/events/{event.id}/manage/participants").status_code == 302
    auth.as_participant(create_participant(event))
    assert client.get(f"/events/{event.id}/manage/participants").status_code == 403
    assert client.post(f"/events/{event.id}/manage/participants",
                       data={"action": "suspend"}).status_code == 403
