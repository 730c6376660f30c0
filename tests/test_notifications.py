"""Notifications: each kind is written by its action in the action's transaction, never to the
actor, only for its own event; only the recipient sees or marks them; the bell, the list page
and the JSON API."""
from datetime import date

import pytest
import sqlalchemy as sa

from strategy.auth.models import Role
from strategy.comments.models import CommentStatus
from strategy.comments.operations import add_comment
from strategy.core.errors import OperationError
from strategy.events.models import ModerationMode
from strategy.extensions import db
from strategy.live.models import Change, ChangeKind
from strategy.moderation import operations as moderation
from strategy.notifications import operations as notes
from strategy.notifications.models import Notification, NotificationKind
from strategy.programme import operations as programme
from tests.conftest import settle_feed
from tests.test_programme import ITEM, make_item


def kinds_for(user) -> list[str]:
    return [n.kind.value for n in db.session.scalars(
        sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]


def total() -> int:
    return db.session.scalar(sa.select(sa.func.count(Notification.id)))


@pytest.fixture
def people(event, create_participant, create_staff, create_proposal):
    hub = next(t for t in event.tracks if t.slug == "social-hub")
    alice = create_participant(event, name="Алиса Автор")
    bob = create_participant(event, name="Борис Комментатор")
    carol = create_participant(event, name="Вера Соседка")
    organiser = create_staff(Role.organiser, email="org@example.org")
    proposal = create_proposal(hub, alice, title="Клуб настольных игр в библиотеке")
    return {"alice": alice, "bob": bob, "carol": carol, "organiser": organiser,
            "proposal": proposal, "hub": hub}


# --- each kind, made by its action, never to oneself --------------------------------------------

def test_a_comment_on_my_proposal_tells_me_not_the_writer(people):
    alice, bob, proposal = people["alice"], people["bob"], people["proposal"]
    comment = add_comment(proposal, bob, "Отличная идея, поддерживаю")
    assert kinds_for(alice) == ["comment"] and kinds_for(bob) == []
    note = db.session.scalar(sa.select(Notification))
    assert (note.event_id, note.proposal_id, note.comment_id, note.actor_id, note.read_at) == (
        proposal.event_id, proposal.id, comment.id, bob.id, None)
    add_comment(proposal, alice, "Спасибо! Приходите в четверг")  # on my own proposal
    assert kinds_for(alice) == ["comment"]


def test_a_reply_to_my_comment_tells_me_and_the_proposals_author_once_each(people):
    alice, bob, carol, proposal = (people[k] for k in ("alice", "bob", "carol", "proposal"))
    top = add_comment(proposal, bob, "А что с помещением?")
    reply = add_comment(proposal, carol, "Можно в читальном зале", parent=top)
    assert kinds_for(bob) == ["reply"]
    assert kinds_for(alice) == ["comment", "comment"]
    assert db.session.get(Notification, 2).comment_id == reply.id
    add_comment(proposal, bob, "Спасибо, уточню", parent=reply)  # a reply to a reply
    assert kinds_for(carol) == ["reply"]       # the person actually answered
    assert kinds_for(bob) == ["reply"]         # not to himself


def test_the_authors_reply_to_a_comment_is_one_reply_notification(people):
    alice, bob, proposal = people["alice"], people["bob"], people["proposal"]
    top = add_comment(proposal, alice, "Жду ваших мнений")
    add_comment(proposal, bob, "Моё мнение: да", parent=top)
    assert kinds_for(alice) == ["reply"]  # replied to and author: told once
    add_comment(proposal, alice, "Я отвечаю сама себе", parent=top)
    assert kinds_for(alice) == ["reply"]


def test_under_pre_moderation_people_are_told_when_the_comment_is_approved(event, people):
    event.moderation_mode = ModerationMode.pre
    db.session.commit()
    alice, bob, proposal = people["alice"], people["bob"], people["proposal"]
    comment = add_comment(proposal, bob, "Комментарий ждёт проверки")
    assert comment.status is CommentStatus.pending and total() == 0
    moderation.approve_comment(comment, people["organiser"])
    assert kinds_for(alice) == ["comment"]
    assert db.session.scalar(sa.select(Notification.actor_id)) == bob.id


def test_hiding_and_restoring_tell_the_author(people):
    alice, organiser, proposal = people["alice"], people["organiser"], people["proposal"]
    moderation.hide_proposal(proposal, organiser, "Повтор")
    moderation.restore_proposal(proposal, organiser)
    assert kinds_for(alice) == ["hidden", "restored"]
    assert kinds_for(organiser) == []


def test_a_moderator_hiding_their_own_proposal_is_not_told(event, people, create_proposal):
    organiser = people["organiser"]
    own = create_proposal(people["hub"], organiser, title="Предложение организатора")
    moderation.hide_proposal(own, organiser, "Сам скрыл")
    assert total() == 0


def test_a_merge_tells_the_source_author(people, create_proposal):
    alice, bob, organiser = people["alice"], people["bob"], people["organiser"]
    target = create_proposal(people["hub"], bob, title="Игротека для всей семьи")
    moderation.merge_proposals(people["proposal"], target, organiser)
    assert kinds_for(alice) == ["merged"] and kinds_for(bob) == []
    assert db.session.scalar(sa.select(Notification.proposal_id)) == people["proposal"].id


def test_a_waiting_place_that_becomes_a_registration_tells_its_holder(app, create_event,
                                                                      create_participant,
                                                                      create_staff):
    workshop = create_event(code="PROG26", starts_on=date(2026, 9, 27), ends_on=date(2026, 9, 29))
    organiser = create_staff(Role.organiser, email="prog@example.org")
    item = make_item(workshop, organiser, format="hall", capacity_hall="1")
    first, second, third = (create_participant(workshop, name=f"Участник {n}") for n in "123")
    for person in (first, second, third):
        programme.register(item, person, "hall")
    assert total() == 0
    programme.cancel_registration(item, first)
    assert kinds_for(second) == ["registered"] and kinds_for(first) == kinds_for(third) == []
    note = db.session.scalar(sa.select(Notification))
    assert (note.item_id, note.event_id) == (item.id, workshop.id)
    # More places from the organiser promote the next one too.
    programme.update_item(item, organiser, programme.ItemData(**{
        **ITEM,
        "format": "hall", "capacity_hall": "3", "registration_required": True,
        "waitlist": True}))
    assert kinds_for(third) == ["registered"]


def test_an_official_answer_notification_for_the_answer_operation(people):
    alice, organiser, proposal = people["alice"], people["organiser"], people["proposal"]
    notes.notify_answer(proposal, organiser)
    db.session.rollback()  # only added to the session: the caller's rollback drops it
    assert total() == 0
    note = notes.notify_answer(proposal, organiser)
    db.session.commit()
    assert note.kind is NotificationKind.answer and kinds_for(alice) == ["answer"]
    assert notes.notify_answer(proposal, alice) is None  # the author answering: nobody


def test_notify_respects_the_event(people, create_event, create_participant):
    other = create_event(code="ELSE26", tracks=("genius-loci",))
    stranger = create_participant(other, name="Чужой")
    assert notes.notify(stranger.id, "comment", event_id=people["proposal"].event_id,
                        proposal_id=people["proposal"].id) is None
    with pytest.raises(ValueError):
        notes.notify(people["alice"].id, "no-such-kind", event_id=other.id)


def test_a_refused_action_leaves_no_notification(people):
    organiser, proposal = people["organiser"], people["proposal"]
    moderation.hide_proposal(proposal, organiser, "Повтор")
    before = total()
    with pytest.raises(OperationError):
        add_comment(proposal, people["bob"], "Комментарий к скрытому")  # refused: 409
    with pytest.raises(OperationError):
        moderation.hide_proposal(proposal, organiser, "Ещё раз")  # already hidden
    assert total() == before == 1


def test_one_wake_up_change_per_transaction_and_it_names_nobody(people):
    proposal = people["proposal"]
    top = add_comment(proposal, people["bob"], "Первый")
    add_comment(proposal, people["carol"], "Ответ", parent=top)  # two notifications
    wakes = list(db.session.scalars(sa.select(Change).where(
        Change.kind == ChangeKind.notification.value)))
    assert len(wakes) == 2  # one per action
    assert all((c.payload, c.proposal_id, c.track_id) == (None, None, None) for c in wakes)


# --- privacy: another person cannot see or mark mine ---------------------------------------------

@pytest.fixture
def alice_has_two(people):
    add_comment(people["proposal"], people["bob"], "Первый комментарий")
    moderation.hide_proposal(people["proposal"], people["organiser"], "Проверка")
    return [n.id for n in db.session.scalars(sa.select(Notification).order_by(Notification.id))]


def test_the_list_shows_mine_newest_first_and_the_bell_counts_them(client, auth, people,
                                                                   alice_has_two, event):
    auth.as_participant(people["alice"])
    page = client.get(f"/events/{event.id}/notifications").get_data(as_text=True)
    hidden_at = page.index("Модератор скрыл ваше предложение")
    comment_at = page.index("Новый комментарий к вашему предложению")
    assert hidden_at < comment_at  # newest first
    assert page.count('class="notification unread"') == 2
    assert "Первый комментарий" in page and "Причина: Проверка" in page
    assert 'data-bell-count>2</span>' in page
    assert f'href="/events/{event.id}/proposals/{people["proposal"].id}#comment-' in page
    assert "Отметить все прочитанными" in page


def test_another_person_sees_none_of_mine_and_cannot_mark_them(client, auth, people,
                                                               alice_has_two, event):
    auth.as_participant(people["bob"])
    page = client.get(f"/events/{event.id}/notifications").get_data(as_text=True)
    assert "Уведомлений пока нет" in page and "Клуб настольных игр" not in page
    response = client.post(f"/events/{event.id}/notifications/{alice_has_two[0]}/read")
    assert response.status_code == 404
    assert "Уведомление не найдено." in response.get_data(as_text=True)
    assert client.post(f"/events/{event.id}/notifications/99999/read").status_code == 404
    api = client.post(f"/api/v1/events/{event.id}/notifications/{alice_has_two[1]}/read")
    assert api.status_code == 404 and api.get_json()["message"] == "Уведомление не найдено."
    assert client.get(f"/api/v1/events/{event.id}/notifications").get_json()["data"] == []
    assert client.post(f"/events/{event.id}/notifications/read-all").status_code == 302
    db.session.expire_all()
    assert all(n.read_at is None for n in db.session.scalars(sa.select(Notification)))


def test_mark_one_then_all_read(client, auth, people, alice_has_two, event):
    bobs = notes.notify(people["bob"].id, "reply", event_id=event.id,
                        proposal_id=people["proposal"].id)
    db.session.commit()
    auth.as_participant(people["alice"])
    first, second = alice_has_two
    response = client.post(f"/events/{event.id}/notifications/{first}/read")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Notification, first).is_read
    assert not db.session.get(Notification, second).is_read
    page = client.get(f"/events/{event.id}/notifications").get_data(as_text=True)
    assert page.count('class="notification unread"') == 1 and "data-bell-count>1<" in page
    client.post(f"/events/{event.id}/notifications/read-all")
    page = client.get(f"/events/{event.id}/notifications").get_data(as_text=True)
    assert 'class="notification unread"' not in page
    assert "data-bell-count hidden>0<" in page
    db.session.expire_all()
    assert not db.session.get(Notification, bobs.id).is_read  # Bob's stays unread


def test_the_api_lists_counts_and_marks(client, auth, people, alice_has_two, event):
    base = f"/api/v1/events/{event.id}/notifications"
    assert client.get(f"{base}/unread").status_code == 401
    auth.as_participant(people["alice"])
    listed = client.get(base).get_json()
    assert [n["kind"] for n in listed["data"]] == ["hidden", "comment"]
    assert listed["data"][1]["url"].endswith(f"#comment-{listed['data'][1]['comment_id']}")
    assert client.get(f"{base}/unread").get_json()["data"] == {"unread": 2}
    one = client.post(f"{base}/{alice_has_two[0]}/read").get_json()
    assert one["data"]["read"] is True and one["meta"]["message"]
    again = client.post(f"{base}/{alice_has_two[0]}/read")
    assert again.status_code == 200  # already read: fine, nothing else changes
    everything = client.post(f"{base}/read-all").get_json()
    assert everything["data"] == {"marked": 1, "unread": 0}
    assert client.get(f"{base}/unread").get_json()["data"] == {"unread": 0}


def test_api_writes_with_the_session_need_the_csrf_token(app, client, auth, people,
                                                         alice_has_two, event):
    auth.as_participant(people["alice"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(f"/api/v1/events/{event.id}/notifications/read-all")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400 and response.get_json()["error"] == "csrf_failed"
    db.session.expire_all()
    assert all(n.read_at is None for n in db.session.scalars(sa.select(Notification)))


def test_the_bell_is_for_people_of_the_event_only(client, auth, people, event, create_event,
                                                  create_participant):
    assert "data-bell" not in client.get(f"/events/{event.id}").get_data(as_text=True)
    other = create_event(code="ELSE27", tracks=("genius-loci",))
    auth.as_participant(create_participant(other, name="Гость"))
    assert "data-bell" not in client.get(f"/events/{event.id}").get_data(as_text=True)
    auth.logout()
    auth.as_participant(people["alice"])
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "data-bell" in page and 'data-mode="bell"' in page
    detail = client.get(f"/events/{event.id}/proposals/{people['proposal'].id}")
    assert 'data-mode="bell"' not in detail.get_data(as_text=True)  # its own live script


def test_the_public_feed_carries_the_wake_up_without_anything_private(client, people, event):
    add_comment(people["proposal"], people["bob"], "Комментарий")
    settle_feed(event.id)
    changes = client.get(f"/events/{event.id}/feed?since=0").get_json()["data"]["changes"]
    wake = [c for c in changes if c["kind"] == "notification"]
    assert len(wake) == 1
    assert set(wake[0]) == {"id", "kind", "track_id", "proposal_id"}
    assert wake[0]["track_id"] is None and wake[0]["proposal_id"] is None
