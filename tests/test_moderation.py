"""Moderation: actions with audit and live changes, flags, merge invariants, phases, rules."""
import csv
import io
from datetime import datetime

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategy.auth.models import Role
from strategy.comments.models import Comment, CommentStatus
from strategy.comments.operations import add_comment
from strategy.core.errors import OperationError
from strategy.events.models import ModerationMode
from strategy.extensions import db
from strategy.live.models import Change
from strategy.events import operations as event_ops
from strategy.moderation import operations as ops
from strategy.moderation.models import AuditEntry, Flag
from strategy.proposals.models import LibraryJoin, Proposal, ProposalRevision, ProposalStatus
from strategy.proposals.operations import join_project
from strategy.supports.models import Support
from strategy.supports.operations import add_support, withdraw_support
from tests.conftest import Auth, settle_feed


@pytest.fixture
def tracks(event):
    return {t.slug: t for t in event.tracks}


@pytest.fixture
def facilitator(create_staff, tracks):
    """A facilitator of «Библиотека – социальный хаб» only."""
    user = create_staff(Role.facilitator, email="hub@example.org")
    user.facilitated_tracks.append(tracks["social-hub"])
    db.session.commit()
    return user


@pytest.fixture
def author(create_participant, event):
    return create_participant(event, name="Анна Автор")


@pytest.fixture
def proposal(create_proposal, tracks, author):
    return create_proposal(tracks["social-hub"], author)


def client_for(app, user, staff=True):
    client = app.test_client()
    auth = Auth(client)
    response = auth.as_staff(user) if staff else auth.as_participant(user)
    assert response.status_code == 302
    return client


def audit_actions(event_id):
    return [e.action for e in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.event_id == event_id).order_by(AuditEntry.id))]


def last_change(event_id):
    return db.session.scalar(sa.select(Change).where(Change.event_id == event_id)
                             .order_by(Change.id.desc()).limit(1))


def page(response) -> str:
    return response.get_data(as_text=True)


# --- hide, restore, edit, pin --------------------------------------------------------------

def test_hide_with_reason_is_seen_by_author_and_restore_brings_it_back(
        app, event, facilitator, author, proposal):
    staff = client_for(app, facilitator)
    url = f"/events/{event.id}/manage/proposals/{proposal.id}"
    response = staff.post(f"{url}/hide", data={"reason": "Оскорбительные выражения"})
    assert response.status_code == 302
    db.session.refresh(proposal)
    assert proposal.status is ProposalStatus.hidden
    assert proposal.hidden_reason == "Оскорбительные выражения"
    change = last_change(event.id)
    assert (change.kind, change.proposal_id, change.payload["status"]) == (
        "moderated", proposal.id, "hidden")

    assert app.test_client().get(f"/events/{event.id}/proposals/{proposal.id}").status_code == 404
    track_page = page(app.test_client().get(f"/events/{event.id}/tracks/social-hub"))
    assert proposal.title not in track_page
    own = client_for(app, author, staff=False).get(f"/events/{event.id}/proposals/{proposal.id}")
    assert own.status_code == 200 and "Оскорбительные выражения" in page(own)

    assert staff.post(f"{url}/restore").status_code == 302
    db.session.refresh(proposal)
    assert proposal.status is ProposalStatus.published and proposal.hidden_reason == ""
    assert audit_actions(event.id) == ["hide", "restore"]
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "hide")).one()
    assert entry.actor_id == facilitator.id and entry.reason == "Оскорбительные выражения"
    assert entry.before["status"] == "published" and entry.after["status"] == "hidden"


def test_hide_needs_a_reason_and_hiding_twice_is_a_conflict(app, event, facilitator, proposal):
    staff = client_for(app, facilitator)
    url = f"/events/{event.id}/manage/proposals/{proposal.id}/hide"
    response = staff.post(url, data={"reason": "   "})
    assert response.status_code == 400 and "Укажите причину" in page(response)
    assert staff.post(url, data={"reason": "Спам"}).status_code == 302
    again = staff.post(url, data={"reason": "Спам"}, headers={"Accept": "application/json"})
    assert again.status_code == 409 and again.json["message"] == "Предложение уже скрыто."
    assert audit_actions(event.id) == ["hide"]


def test_moderating_outside_ones_tracks_is_refused(app, event, facilitator, tracks, author,
                                                   create_proposal):
    other = create_proposal(tracks["genius-loci"], author, title="Фестиваль уличного кино")
    staff = client_for(app, facilitator)
    for action, data in (("hide", {"reason": "Спам"}), ("pin", {}), ("approve", {})):
        response = staff.post(f"/events/{event.id}/manage/proposals/{other.id}/{action}",
                              data=data)
        assert response.status_code == 403, action
        assert "Вы не модерируете трек «Гений места»" in page(response)
    response = staff.post(f"/events/{event.id}/manage/tracks/genius-loci/submission/close")
    assert response.status_code == 403
    db.session.refresh(other)
    assert other.status is ProposalStatus.published and not other.is_pinned
    assert audit_actions(event.id) == []


def test_edit_keeps_history_shown_to_staff_only(app, event, facilitator, author, proposal):
    staff = client_for(app, facilitator)
    old_title = proposal.title
    response = staff.post(f"/events/{event.id}/manage/proposals/{proposal.id}/edit", data={
        "track": "social-hub", "kind": "idea", "title": "Краеведческий клуб для подростков села",
        "body": proposal.body})
    assert response.status_code == 302
    db.session.refresh(proposal)
    assert proposal.title == "Краеведческий клуб для подростков села"
    revision = db.session.scalars(sa.select(ProposalRevision)).one()
    assert revision.title == old_title and revision.editor_id == facilitator.id
    entry = db.session.scalars(sa.select(AuditEntry)).one()
    assert entry.action == "edit"
    assert entry.before == {"title": old_title}
    assert entry.after == {"title": "Краеведческий клуб для подростков села"}
    detail = f"/events/{event.id}/proposals/{proposal.id}"
    assert "История правок" in page(staff.get(detail)) and old_title in page(staff.get(detail))
    assert "История правок" not in page(client_for(app, author, staff=False).get(detail))


def test_edit_with_bad_input_keeps_what_was_typed(app, event, facilitator, proposal):
    staff = client_for(app, facilitator)
    response = staff.post(f"/events/{event.id}/manage/proposals/{proposal.id}/edit", data={
        "track": "social-hub", "kind": "idea", "title": "Ой", "body": "Новый текст предложения"})
    assert response.status_code == 400
    assert "Новый текст предложения" in page(response) and "от 5 до" in page(response)


def test_pin_puts_proposal_on_top_and_pinning_twice_conflicts(app, event, facilitator, tracks,
                                                              author, create_proposal):
    first = create_proposal(tracks["social-hub"], author, title="Первое предложение трека")
    second = create_proposal(tracks["social-hub"], author, title="Второе предложение трека")
    staff = client_for(app, facilitator)
    assert staff.post(f"/events/{event.id}/manage/proposals/{first.id}/pin").status_code == 302
    html = page(app.test_client().get(f"/events/{event.id}/tracks/social-hub?sort=new"))
    assert html.index(first.title) < html.index(second.title)
    again = staff.post(f"/events/{event.id}/manage/proposals/{first.id}/pin")
    assert again.status_code == 409 and "уже закреплено" in page(again)
    assert staff.post(f"/events/{event.id}/manage/proposals/{first.id}/unpin").status_code == 302
    assert audit_actions(event.id) == ["pin", "unpin"]


# --- merge ---------------------------------------------------------------------------------

def test_merge_counts_each_person_once_and_moves_comments_and_joins(
        app, event, facilitator, tracks, create_participant, create_proposal, author):
    a = create_proposal(tracks["social-hub"], author, title="Клуб настольных игр в библиотеке")
    b = create_proposal(tracks["social-hub"], author, title="Настольные игры для семей")
    u1, u2, u3 = (create_participant(event, name=f"Участник {i}") for i in range(3))
    for user, target in ((u1, a), (u2, a), (u2, b), (u3, b)):
        add_support(target, user)
    add_comment(a, u1, "Поддерживаю, у нас есть помещение")
    join_project(a, u1, library="ЦБС Ангарска")
    join_project(a, u3, library="Библиотека Усолья")
    join_project(b, u3, library="Библиотека Усолья")

    staff = client_for(app, facilitator)
    cursor = db.session.scalar(sa.select(sa.func.max(Change.id)))
    response = staff.post(f"/events/{event.id}/manage/proposals/{a.id}/merge",
                          data={"target": b.id})
    assert response.status_code == 302
    db.session.expire_all()
    assert (a.status, a.merged_into_id, a.support_count) == (ProposalStatus.merged, b.id, 0)
    # One action, one change row (beside the payload-free wake-up of the author's bell); the
    # feed brings the target's new count with it.
    rows = db.session.scalars(sa.select(Change).where(
        Change.id > cursor, Change.kind != "notification")).all()
    assert [(r.kind, r.proposal_id, r.payload["into"]) for r in rows] == [
        ("moderated", a.id, b.id)]
    settle_feed(event.id)  # PostgreSQL: the feed waits for other processes' transactions
    feed = app.test_client().get(f"/events/{event.id}/feed?since={cursor}").get_json()["data"]
    assert feed["proposals"][str(b.id)]["support_count"] == 3
    supporters = set(db.session.scalars(sa.select(Support.user_id).where(
        Support.proposal_id == b.id)))
    assert supporters == {u1.id, u2.id, u3.id} and b.support_count == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Support).where(
        Support.proposal_id == a.id)) == 0
    assert b.comment_count == 1 and a.comment_count == 0
    assert db.session.scalars(sa.select(Comment.proposal_id)).all() == [b.id]
    joins = db.session.scalars(sa.select(LibraryJoin.user_id).where(
        LibraryJoin.proposal_id == b.id)).all()
    assert sorted(joins) == sorted([u1.id, u3.id]) and b.join_count == 2

    old_link = app.test_client().get(f"/events/{event.id}/proposals/{a.id}")
    assert old_link.status_code == 302
    assert old_link.headers["Location"].endswith(f"/events/{event.id}/proposals/{b.id}")
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "merge")).one()
    assert entry.before["target"]["support_count"] == 2
    assert entry.after["target"]["support_count"] == 3
    assert entry.after["supports_dropped"] == 1 and entry.after["supports_moved"] == 1


def test_merge_bad_input_is_refused_and_nothing_changes(app, event, facilitator, tracks, author,
                                                        create_proposal, create_event,
                                                        create_participant):
    a = create_proposal(tracks["social-hub"], author, title="Клуб настольных игр в библиотеке")
    hidden = create_proposal(tracks["social-hub"], author, title="Скрытое предложение")
    ops.hide_proposal(hidden, facilitator, "Спам")
    other_event = create_event(code="OTHER1", tracks=("social-hub",))
    stranger = create_participant(other_event, name="Гость")
    foreign = create_proposal(other_event.tracks[0], stranger, title="Предложение другого события")
    staff = client_for(app, facilitator)
    url = f"/events/{event.id}/manage/proposals/{a.id}/merge"
    cases = [(a.id, 400, "с самим собой"), (foreign.id, 400, "одного мероприятия"),
             (hidden.id, 409, "только в опубликованное"), (999999, 404, "№999999 нет"),
             ("", 400, "Укажите номер")]
    for target, status, message in cases:
        response = staff.post(url, data={"target": target})
        assert response.status_code == status, (target, page(response)[:300])
        assert message in page(response)
    db.session.expire_all()
    assert a.status is ProposalStatus.published and a.merged_into_id is None
    assert audit_actions(event.id) == ["hide"]


def test_editing_or_merging_a_merged_proposal_is_refused(app, event, facilitator, tracks,
                                                         author, create_proposal):
    a = create_proposal(tracks["social-hub"], author, title="Клуб настольных игр в библиотеке")
    b = create_proposal(tracks["social-hub"], author, title="Настольные игры для семей")
    c = create_proposal(tracks["social-hub"], author, title="Игротека для подростков")
    ops.merge_proposals(a, b, facilitator)
    staff = client_for(app, facilitator)
    response = staff.post(f"/events/{event.id}/manage/proposals/{a.id}/edit", data={
        "track": "social-hub", "kind": "idea", "title": "Новое название", "body": "Новый текст"})
    assert response.status_code == 409 and "редактируйте итоговое" in page(response)
    response = staff.post(f"/events/{event.id}/manage/proposals/{a.id}/merge",
                          data={"target": c.id})
    assert response.status_code == 409 and "уже объединено" in page(response)
    into_merged = staff.post(f"/events/{event.id}/manage/proposals/{c.id}/merge",
                             data={"target": a.id})
    assert into_merged.status_code == 409


OPS = st.lists(st.tuples(st.sampled_from(["support", "withdraw", "merge"]),
                         st.integers(0, 3), st.integers(0, 3)), max_size=25)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=OPS)
def test_merge_invariants_property(app, create_event, create_participant, create_proposal,
                                   create_staff, steps):
    """After any sequence of supports, withdrawals and merges, each proposal's count equals its
    distinct supporters, and the supporters are exactly those a set model predicts."""
    counter = db.session.scalar(sa.select(sa.func.count(Proposal.id))) or 0
    event = create_event(code=f"H{counter}", tracks=("social-hub",))
    track = event.tracks[0]
    moderator = db.session.scalar(sa.select(ops.User).where(ops.User.email == "o@example.org")) \
        or create_staff(Role.organiser, email="o@example.org")
    owner = create_participant(event, name="Автор")
    people = [create_participant(event, name=f"Человек {i}") for i in range(4)]
    proposals = [create_proposal(track, owner, title=f"Предложение номер {i}") for i in range(4)]
    model = {p.id: set() for p in proposals}
    merged: dict[int, int] = {}
    for action, i, j in steps:
        p, person = proposals[i], people[j]
        try:
            if action == "support":
                add_support(p, person)
                model[p.id].add(person.id)
            elif action == "withdraw":
                withdraw_support(p, person)
                model[p.id].discard(person.id)
            else:
                target = proposals[j]
                ops.merge_proposals(p, target, moderator)
                model[target.id] |= model[p.id]
                model[p.id] = set()
                merged[p.id] = target.id
        except OperationError:
            db.session.rollback()
    db.session.expire_all()
    for p in proposals:
        rows = db.session.scalars(sa.select(Support.user_id).where(
            Support.proposal_id == p.id)).all()
        assert len(rows) == len(set(rows)), "a person counts twice"
        assert set(rows) == model[p.id]
        assert p.support_count == len(rows)
        if p.id in merged:
            assert p.status is ProposalStatus.merged and p.support_count == 0
    everyone = db.session.scalars(sa.select(Support.user_id).join(
        Proposal, Support.proposal_id == Proposal.id).where(Proposal.track_id == track.id)).all()
    assert len(everyone) == sum(len(s) for s in model.values())


# --- mute, flags, pre-moderation -----------------------------------------------------------

def test_muted_participant_cannot_post_until_unmuted(app, event, facilitator, author, proposal):
    staff = client_for(app, facilitator)
    assert staff.post(f"/events/{event.id}/manage/users/{author.id}/mute").status_code == 302
    again = staff.post(f"/events/{event.id}/manage/users/{author.id}/mute")
    assert again.status_code == 409
    participant = client_for(app, author, staff=False)
    response = participant.post(f"/events/{event.id}/proposals/new", data={
        "track": "social-hub", "kind": "idea", "title": "Ещё одно предложение",
        "body": "Текст, который не должен пропасть"})
    assert response.status_code == 403
    assert "ограничил" in page(response) and "Текст, который не должен пропасть" in page(response)
    assert staff.post(f"/events/{event.id}/manage/users/{author.id}/unmute").status_code == 302
    assert audit_actions(event.id) == ["mute", "unmute"]
    assert staff.post(f"/events/{event.id}/manage/users/{facilitator.id}/mute").status_code == 404


def test_flag_flood_counts_once_and_threshold_sends_back_to_queue(
        app, event, facilitator, create_participant, proposal):
    event.flag_threshold = 2
    db.session.commit()
    first = create_participant(event, name="Первый")
    second = create_participant(event, name="Второй")
    c1 = client_for(app, first, staff=False)
    url = f"/events/{event.id}/proposals/{proposal.id}/flag"
    assert c1.post(url, data={"reason": "Реклама"}).status_code == 302
    for _ in range(5):
        response = c1.post(url, data={"reason": "Реклама!!!"})
        assert response.status_code == 409 and "уже пожаловались" in page(response)
    db.session.refresh(proposal)
    assert proposal.flag_count == 1 and proposal.status is ProposalStatus.published
    assert db.session.scalar(sa.select(sa.func.count(Flag.id))) == 1

    assert client_for(app, second, staff=False).post(url).status_code == 302
    db.session.refresh(proposal)
    assert proposal.status is ProposalStatus.pending and proposal.flag_count == 2
    assert audit_actions(event.id) == ["auto_queue"]
    assert proposal.title not in page(app.test_client().get(
        f"/events/{event.id}/tracks/social-hub"))
    staff = client_for(app, facilitator)
    queue = page(staff.get(f"/events/{event.id}/manage/queue"))
    assert proposal.title in queue and "Реклама" in queue

    assert staff.post(f"/events/{event.id}/manage/proposals/{proposal.id}/approve").status_code \
        == 302
    db.session.refresh(proposal)
    assert proposal.status is ProposalStatus.published and proposal.flag_count == 0
    assert all(f.resolved for f in db.session.scalars(sa.select(Flag)))
    # The same people cannot flag it back at once: their flags are remembered.
    assert c1.post(url).status_code == 409


def test_comment_flag_hide_and_restore_keep_counter_exact(app, event, facilitator, author,
                                                         create_participant, proposal):
    reader = create_participant(event, name="Читатель")
    comment = add_comment(proposal, author, "Хорошая идея, поддерживаю")
    client = client_for(app, reader, staff=False)
    assert client.post(f"/events/{event.id}/comments/{comment.id}/flag").status_code == 302
    assert client.post(f"/events/{event.id}/comments/{comment.id}/flag").status_code == 409
    db.session.refresh(comment)
    assert comment.flag_count == 1
    staff = client_for(app, facilitator)
    base = f"/events/{event.id}/manage/comments/{comment.id}"
    assert staff.post(f"{base}/hide", data={"reason": "Не по теме"}).status_code == 302
    db.session.expire_all()
    assert comment.status is CommentStatus.hidden and proposal.comment_count == 0
    assert "Хорошая идея" not in page(app.test_client().get(
        f"/events/{event.id}/proposals/{proposal.id}"))
    assert staff.post(f"{base}/restore").status_code == 302
    db.session.expire_all()
    assert comment.status is CommentStatus.published and proposal.comment_count == 1
    assert audit_actions(event.id) == ["comment_hide", "comment_restore"]


def test_pre_moderation_hides_until_approved(app, event, facilitator, author, tracks,
                                             create_participant):
    event.moderation_mode = ModerationMode.pre
    db.session.commit()
    participant = client_for(app, author, staff=False)
    response = participant.post(f"/events/{event.id}/proposals/new", data={
        "track": "social-hub", "kind": "idea", "title": "Библиотечный коворкинг",
        "body": "Открыть коворкинг для молодёжи в читальном зале"})
    assert response.status_code == 302
    proposal = db.session.scalars(sa.select(Proposal)).one()
    assert proposal.status is ProposalStatus.pending
    anonymous = app.test_client()
    assert anonymous.get(f"/events/{event.id}/proposals/{proposal.id}").status_code == 404
    assert "Библиотечный коворкинг" not in page(
        anonymous.get(f"/events/{event.id}/tracks/social-hub"))
    assert "ждёт проверки" in page(participant.get(f"/events/{event.id}/proposals/{proposal.id}"))
    staff = client_for(app, facilitator)
    assert "Библиотечный коворкинг" in page(staff.get(f"/events/{event.id}/manage/queue"))
    assert staff.post(f"/events/{event.id}/manage/proposals/{proposal.id}/approve").status_code \
        == 302
    assert "Библиотечный коворкинг" in page(anonymous.get(f"/events/{event.id}/tracks/social-hub"))
    again = staff.post(f"/events/{event.id}/manage/proposals/{proposal.id}/approve")
    assert again.status_code == 409

    comment = add_comment(proposal, create_participant(event, name="Комментатор"), "Отлично!")
    assert comment.status is CommentStatus.pending
    assert "Отлично!" not in page(anonymous.get(f"/events/{event.id}/proposals/{proposal.id}"))
    assert staff.post(f"/events/{event.id}/manage/comments/{comment.id}/approve").status_code \
        == 302
    assert "Отлично!" in page(anonymous.get(f"/events/{event.id}/proposals/{proposal.id}"))
    assert audit_actions(event.id) == ["approve", "comment_approve"]


# --- phases and support rules --------------------------------------------------------------

def test_phases_are_enforced_and_closing_a_closed_phase_conflicts(
        app, event, facilitator, author, create_participant, proposal):
    staff = client_for(app, facilitator)
    base = f"/events/{event.id}/manage/tracks/social-hub"
    assert staff.post(f"{base}/submission/close").status_code == 302
    again = staff.post(f"{base}/submission/close", headers={"Accept": "application/json"})
    assert again.status_code == 409 and again.json["message"] == "Приём предложений уже закрыт."
    participant = client_for(app, author, staff=False)
    response = participant.post(f"/events/{event.id}/proposals/new", data={
        "track": "social-hub", "kind": "idea", "title": "Поздняя идея трека",
        "body": "Пришла в голову после закрытия"})
    assert response.status_code == 409 and "закрыт" in page(response)

    assert staff.post(f"{base}/support/close").status_code == 302
    voter = client_for(app, create_participant(event, name="Голосующий"), staff=False)
    late = voter.post(f"/events/{event.id}/proposals/{proposal.id}/support",
                      headers={"Accept": "application/json"})
    assert late.status_code == 409 and "Поддержка в треке" in late.json["message"]
    assert db.session.scalar(sa.select(sa.func.count(Support.id))) == 0
    track_page = page(app.test_client().get(f"/events/{event.id}/tracks/social-hub"))
    assert "Приём предложений закрыт" in track_page and "Поддержка закрыта" in track_page
    assert audit_actions(event.id) == ["submission_close", "support_close"]
    assert last_change(event.id).kind == "phase"


def test_open_phase_with_end_time_in_event_zone(app, event, facilitator, tracks):
    staff = client_for(app, facilitator)
    base = f"/events/{event.id}/manage/tracks/social-hub"
    staff.post(f"{base}/support/close")
    response = staff.post(f"{base}/support/open", data={"support-ends_at": "2035-09-28T15:30"})
    assert response.status_code == 302
    db.session.refresh(tracks["social-hub"])
    # Asia/Irkutsk is UTC+8.
    assert tracks["social-hub"].support_ends_at == datetime(2035, 9, 28, 7, 30)
    assert tracks["social-hub"].accepts_supports()
    screen = page(app.test_client().get(f"/events/{event.id}/tracks/social-hub/screen"))
    assert "до 15:30" in screen and 'data-ends-at="2035-09-28T07:30:00Z"' in screen

    bad = staff.post(f"{base}/support/open", data={"support-ends_at": "завтра утром"})
    assert bad.status_code == 400
    assert "Введите дату и время" in page(bad) and "завтра утром" in page(bad)
    past = staff.post(f"{base}/support/open", data={"support-ends_at": "2001-01-01T10:00"})
    assert past.status_code == 400 and "уже прошло" in page(past)
    unknown = staff.post(f"/events/{event.id}/manage/tracks/social-hub/voting/open")
    assert unknown.status_code == 404


def test_support_budget_and_hidden_counts(app, event, facilitator, tracks, author,
                                          create_participant, create_proposal):
    staff = client_for(app, facilitator)
    rules = f"/events/{event.id}/manage/tracks/social-hub/rules"
    assert staff.post(rules, data={"budget": "0"}).status_code == 400
    response = staff.post(rules, data={"budget": "2", "hide_counts": "y"})
    assert response.status_code == 302
    items = [create_proposal(tracks["social-hub"], author, title=f"Предложение {i} трека")
             for i in range(3)]
    voter = create_participant(event, name="Голосующий")
    client = client_for(app, voter, staff=False)
    for p in items[:2]:
        assert client.post(f"/api/v1/events/{event.id}/proposals/{p.id}/support"
                           ).status_code == 200
    third = client.post(f"/api/v1/events/{event.id}/proposals/{items[2].id}/support")
    assert third.status_code == 409 and "все голоса" in third.json["message"]
    listing = page(client.get(f"/events/{event.id}/tracks/social-hub"))
    assert "счёт скрыт до конца голосования" in listing
    assert 'data-live-count=' not in listing
    assert 'data-live-count=' in page(staff.get(f"/events/{event.id}/tracks/social-hub"))
    screen = page(app.test_client().get(f"/events/{event.id}/tracks/social-hub/screen"))
    assert "data-live-count" not in screen and "Больше всего поддержки" not in screen
    assert audit_actions(event.id) == ["support_rules"]


def test_projector_counts_only_when_allowed(app, event, facilitator, tracks, author,
                                           create_proposal, create_participant):
    p = create_proposal(tracks["social-hub"], author)
    add_support(p, create_participant(event, name="Сторонник"))
    url = f"/events/{event.id}/tracks/social-hub/screen"
    assert f'data-live-count="{p.id}">1<' in page(app.test_client().get(url))
    staff = client_for(app, facilitator)
    staff.post(f"/events/{event.id}/manage/tracks/social-hub/rules", data={"budget": ""})
    assert "data-live-count" not in page(app.test_client().get(url))


# --- event settings, audit log -------------------------------------------------------------

def test_event_settings_are_for_organisers(app, event, facilitator, organiser):
    url = f"/events/{event.id}/manage/settings"
    assert client_for(app, facilitator).post(url, data={
        "moderation_mode": "pre", "flag_threshold": 2}).status_code == 403
    org = client_for(app, organiser)
    bad = org.post(url, data={"moderation_mode": "pre", "flag_threshold": 0})
    assert bad.status_code == 400 and "От 1 до" in page(bad)
    assert org.post(url, data={"moderation_mode": "pre", "flag_threshold": 2}).status_code == 302
    db.session.refresh(event)
    assert event.moderation_mode is ModerationMode.pre and event.flag_threshold == 2
    assert audit_actions(event.id) == ["event_settings"]


def test_audit_log_filters_and_csv_export(app, event, facilitator, organiser, author,
                                          create_proposal, tracks):
    p1 = create_proposal(tracks["social-hub"], author, title="Первое предложение трека")
    p2 = create_proposal(tracks["genius-loci"], author, title="Второе предложение трека")
    ops.hide_proposal(p1, facilitator, "=HYPERLINK(\"http://evil\")")
    ops.set_pinned(p2, organiser, True)
    event_ops.close_phase(tracks["social-hub"], facilitator, "submission")
    org = client_for(app, organiser)

    def rows(query=""):
        html = page(org.get(f"/events/{event.id}/manage/audit{query}"))
        return html[html.index("<tbody>"):html.index("</tbody>")]

    html = rows()
    assert "Скрыто" in html and "Закреплено" in html and "Приём предложений закрыт" in html
    assert "HYPERLINK" in html and facilitator.display_name in html
    only_facilitator = rows(f"?actor={facilitator.id}")
    assert "Закреплено" not in only_facilitator and "Скрыто" in only_facilitator
    by_track = rows(f"?track={tracks['genius-loci'].id}")
    assert "Закреплено" in by_track and "Скрыто" not in by_track
    assert "Скрыто" not in rows("?action=pin") and "Закреплено" in rows("?action=pin")

    response = org.get(f"/events/{event.id}/manage/audit.csv?action=hide")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Время", "Трек", "Кто", "Действие"]
    assert len(rows) == 2 and rows[1][3] == "Скрыто"
    assert rows[1][6] == "'=HYPERLINK(\"http://evil\")"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert client_for(app, facilitator).get(
        f"/events/{event.id}/manage/audit.csv").status_code == 403


def test_every_moderation_action_is_audited_with_a_change(app, event, facilitator, author,
                                                          create_participant, create_proposal,
                                                          tracks):
    a = create_proposal(tracks["social-hub"], author, title="Клуб настольных игр в библиотеке")
    b = create_proposal(tracks["social-hub"], author, title="Настольные игры для семей")
    comment = add_comment(b, author, "Комментарий для проверки")
    before = db.session.scalar(sa.select(sa.func.count(Change.id)))
    ops.set_pinned(b, facilitator, True)
    ops.set_pinned(b, facilitator, False)
    ops.hide_proposal(a, facilitator, "Дубль")
    ops.restore_proposal(a, facilitator)
    ops.edit_proposal(a, facilitator, {"title": "Клуб настольных игр"})
    ops.merge_proposals(a, b, facilitator)
    ops.hide_comment(comment, facilitator, "Не по теме")
    ops.restore_comment(comment, facilitator)
    ops.set_muted(author, facilitator, event, True)
    ops.set_muted(author, facilitator, event, False)
    event_ops.close_phase(tracks["social-hub"], facilitator, "support")
    event_ops.open_phase(tracks["social-hub"], facilitator, "support")
    event_ops.set_support_rules(tracks["social-hub"], facilitator, budget=3, hide_counts=False,
                          projector_shows_counts=True)
    expected = ["pin", "unpin", "hide", "restore", "edit", "merge", "comment_hide",
                "comment_restore", "mute", "unmute", "support_close", "support_open",
                "support_rules"]
    assert audit_actions(event.id) == expected
    entries = db.session.scalars(sa.select(AuditEntry)).all()
    assert all(e.actor_id == facilitator.id and e.created_at for e in entries)
    assert all(e.before is not None and e.after is not None for e in entries)
    after = db.session.scalar(sa.select(sa.func.count(Change.id)))
    assert after - before >= len(expected)


# --- duplicate suggestions -----------------------------------------------------------------

def test_similar_endpoint_and_queue_suggest_duplicates(app, event, facilitator, author, tracks,
                                                       create_proposal):
    original = create_proposal(
        tracks["social-hub"], author, title="Клуб настольных игр для подростков",
        body="Раз в неделю библиотека проводит вечер настольных игр для подростков района.")
    create_proposal(tracks["social-hub"], author, title="Выставка старых фотографий",
                    body="Собрать у жителей старые фотографии села и сделать выставку.")
    response = app.test_client().get(
        f"/api/v1/events/{event.id}/proposals/similar",
        query_string={"track": "social-hub", "q": "Вечера настольных игр для подростков"})
    assert response.status_code == 200
    items = response.json["data"]
    assert items and items[0]["id"] == original.id and 0 < items[0]["similarity"] <= 1
    assert items[0]["url"].endswith(f"/proposals/{original.id}")
    assert app.test_client().get(f"/api/v1/events/{event.id}/proposals/similar",
                                 query_string={"track": "nope", "q": "x"}).status_code == 404

    duplicate = create_proposal(
        tracks["social-hub"], author, title="Настольные игры для подростков в библиотеке",
        body="Проводить в библиотеке вечера настольных игр для подростков раз в неделю.")
    queue = page(client_for(app, facilitator).get(f"/events/{event.id}/manage/queue"))
    item = queue[queue.index(f'id="queue-proposal-{duplicate.id}"'):]
    item = item[:item.index("</article>")]
    assert "Похожие предложения" in item and f"Объединить в №{original.id}" in item


def test_new_proposal_form_asks_for_similar_ones(app, event, author):
    html = page(client_for(app, author, staff=False).get(f"/events/{event.id}/proposals/new"))
    assert f'data-similar-url="/api/v1/events/{event.id}/proposals/similar"' in html
    assert "js/similar.js" in html
