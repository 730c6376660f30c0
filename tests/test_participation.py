"""Join, return, submit, find, support, comment, join a project: the participant's path."""
import sqlalchemy as sa

from strategy.comments.models import Comment
from strategy.extensions import db
from strategy.proposals.models import LibraryJoin, Proposal, ProposalRevision
from strategy.supports.models import Support


def page(response) -> str:
    return response.get_data(as_text=True)


def test_home_shows_event_tracks_in_russian(client, event):
    response = client.get("/")
    assert response.status_code == 200
    html = page(response)
    assert "Стратегия развития библиотек Иркутской области" in html
    assert "«Гений места»" in html and "Присоединиться" in html
    assert 'lang="ru"' in html


def test_join_with_event_code_creates_participant_and_shows_return_code(client, event):
    response = client.post("/join", data={
        "event_code": "test26", "display_name": "Анна Петрова", "library": "Библиотека №3",
        "municipality": "Братск", "consent_public_affiliation": "y"}, follow_redirects=True)
    assert response.status_code == 200
    html = page(response)
    assert "Добро пожаловать, Анна Петрова" in html
    assert "data-return-code" in html


def test_join_with_wrong_code_says_so_in_russian_and_keeps_input(client, event):
    response = client.post("/join", data={
        "event_code": "NOPE", "display_name": "Анна Петрова", "library": "Библиотека №3",
        "municipality": "Братск"})
    assert response.status_code == 404
    html = page(response)
    assert "Мероприятие с таким кодом не найдено" in html
    assert 'value="Анна Петрова"' in html and 'value="Библиотека №3"' in html


def test_join_requires_all_fields(client, event):
    response = client.post("/join", data={"event_code": "TEST26", "display_name": ""})
    assert response.status_code == 400
    assert "Заполните это поле." in page(response)


def test_wrong_codes_are_rate_limited(app, event):
    app.config["RETURN_CODE_BROWSER_LIMIT"] = "3 per minute"
    client = app.test_client()
    statuses = [client.post("/return", data={"code": f"WRONG-CODE-{i:04d}"}).status_code
                for i in range(5)]
    assert statuses[:3] == [404, 404, 404]
    assert statuses[-1] == 429
    assert "Слишком много попыток" in page(client.post("/return", data={"code": "X" * 12}))


def test_return_code_signs_in_on_another_device(app, event, create_participant):
    user = create_participant(event)
    other_device = app.test_client()
    response = other_device.post("/return", data={"code": user.plain_code.lower()},
                                 follow_redirects=True)
    assert response.status_code == 200
    assert f"С возвращением, {user.display_name}" in page(response)
    # Dashes and case do not matter.
    third = app.test_client()
    assert third.post(f"/r/{user.plain_code.replace('-', '')}").status_code == 302


def test_return_codes_have_enough_entropy(event, create_participant):
    codes = {create_participant(event, name=f"Участник {i}").plain_code for i in range(30)}
    assert len(codes) == 30
    assert all(len(code.replace("-", "")) >= 12 for code in codes)


def test_submit_proposal_and_find_it_in_list(client, auth, event, create_participant):
    user = create_participant(event)
    auth.as_participant(user)
    response = client.post(f"/events/{event.id}/proposals/new", data={
        "track": "social-hub", "kind": "project", "title": "Коворкинг для молодых родителей",
        "body": "Оборудовать в библиотеке зону с детским уголком и рабочими местами.",
        "expected_result": "20 семей в месяц", "partners": "Отдел молодёжной политики"})
    assert response.status_code == 302
    proposal = db.session.scalar(sa.select(Proposal))
    assert proposal.title == "Коворкинг для молодых родителей"
    listing = page(client.get(f"/events/{event.id}/tracks/social-hub?q=коворкинг"))
    assert "Коворкинг для молодых родителей" in listing
    # Search ignores case and Russian endings.
    assert "Коворкинг для молодых" in page(client.get(
        f"/events/{event.id}/tracks/social-hub?q=РОДИТЕЛЯМИ"))
    assert "Коворкинг" not in page(client.get(
        f"/events/{event.id}/tracks/social-hub?q=краеведение"))


def test_invalid_proposal_gets_russian_messages_and_keeps_text(client, auth, event,
                                                               create_participant):
    auth.as_participant(create_participant(event))
    typed_body = "Очень важный текст, который нельзя потерять."
    response = client.post(f"/events/{event.id}/proposals/new", data={
        "track": "social-hub", "kind": "idea", "title": "", "body": typed_body})
    assert response.status_code == 400
    html = page(response)
    assert "Заполните это поле." in html
    assert typed_body in html
    too_long = client.post(f"/events/{event.id}/proposals/new", data={
        "track": "social-hub", "kind": "idea", "title": "Т" * 201, "body": typed_body})
    assert too_long.status_code == 400
    assert "от 5 до 200 символов" in page(too_long)
    long_body = client.post(f"/events/{event.id}/proposals/new", data={
        "track": "social-hub", "kind": "idea", "title": "Нормальный заголовок", "body": "я" * 5001})
    assert long_body.status_code == 400 and "до 5000 символов" in page(long_body)
    assert db.session.scalar(sa.select(sa.func.count(Proposal.id))) == 0


def test_unknown_track_and_kind_are_refused(client, auth, event, create_participant):
    auth.as_participant(create_participant(event))
    for data in ({"track": "no-such-track", "kind": "idea"}, {"track": "social-hub", "kind": "poem"}):
        response = client.post(f"/events/{event.id}/proposals/new", data={
            "title": "Заголовок предложения", "body": "Текст предложения достаточно длинный.",
            **data})
        assert response.status_code == 400
        assert "Выберите значение из списка." in page(response)
        assert "Текст предложения достаточно длинный." in page(response)


def test_closed_track_refuses_proposals(client, auth, event, create_participant):
    track = event.tracks[1]
    track.submission_open = False
    db.session.commit()
    auth.as_participant(create_participant(event))
    response = client.post(f"/events/{event.id}/proposals/new", data={
        "track": track.slug, "kind": "idea", "title": "Заголовок предложения",
        "body": "Текст предложения достаточно длинный."})
    assert response.status_code == 409
    assert "Приём предложений в треке" in page(response)
    assert "Текст предложения достаточно длинный." in page(response)


def test_anonymous_is_sent_to_sign_in(client, event):
    response = client.get(f"/events/{event.id}/proposals/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_support_and_withdraw(client, auth, event, create_participant, create_proposal):
    author = create_participant(event, name="Автор")
    proposal = create_proposal(event.tracks[0], author)
    auth.as_participant(create_participant(event, name="Читатель"))
    url = f"/events/{event.id}/proposals/{proposal.id}"
    response = client.post(f"{url}/support")
    assert response.status_code == 302
    db.session.refresh(proposal)
    assert proposal.support_count == 1
    second = client.post(f"{url}/support", headers={"Accept": "application/json"})
    assert second.status_code == 409
    assert second.get_json()["message"] == "Вы уже поддержали это предложение."
    assert client.post(f"{url}/unsupport").status_code == 302
    db.session.refresh(proposal)
    assert proposal.support_count == 0
    assert db.session.scalar(sa.select(sa.func.count(Support.id))) == 0
    assert client.post(f"{url}/unsupport").status_code == 409


def test_own_proposal_cannot_be_supported_unless_event_allows(client, auth, event,
                                                             create_participant, create_proposal):
    author = create_participant(event)
    proposal = create_proposal(event.tracks[0], author)
    auth.as_participant(author)
    url = f"/events/{event.id}/proposals/{proposal.id}/support"
    response = client.post(url)
    assert response.status_code == 403
    assert "Своё предложение поддержать нельзя." in page(response)
    event.allow_self_support = True
    db.session.commit()
    assert client.post(url).status_code == 302


def test_support_after_phase_closed_is_refused(client, auth, event, create_participant,
                                               create_proposal):
    proposal = create_proposal(event.tracks[0], create_participant(event, name="Автор"))
    event.tracks[0].support_open = False
    db.session.commit()
    auth.as_participant(create_participant(event))
    response = client.post(f"/events/{event.id}/proposals/{proposal.id}/support")
    assert response.status_code == 409
    assert "Поддержка в треке «Гений места» закрыта." in page(response)


def test_only_author_edits_and_history_is_kept(app, client, auth, event, create_participant,
                                               create_proposal):
    author = create_participant(event, name="Автор")
    proposal = create_proposal(event.tracks[0], author, title="Старый заголовок")
    edit_url = f"/events/{event.id}/proposals/{proposal.id}/edit"
    auth.as_participant(create_participant(event, name="Чужой"))
    assert client.get(edit_url).status_code == 403
    assert client.post(edit_url, data={"title": "Взлом"}).status_code == 403
    other = app.test_client()
    other.post(f"/r/{author.plain_code}")
    response = other.post(edit_url, data={"track": proposal.track.slug, "kind": "practice",
                                          "title": "Новый заголовок", "body": proposal.body})
    assert response.status_code == 302
    db.session.refresh(proposal)
    assert proposal.title == "Новый заголовок" and proposal.kind.value == "practice"
    revision = db.session.scalar(sa.select(ProposalRevision))
    assert revision.title == "Старый заголовок"
    event.tracks[0].submission_open = False
    db.session.commit()
    assert other.get(edit_url).status_code == 403


def test_comment_reply_and_stance(client, auth, event, create_participant, create_proposal):
    proposal = create_proposal(event.tracks[0], create_participant(event, name="Автор"))
    auth.as_participant(create_participant(event, name="Комментатор"))
    url = f"/events/{event.id}/proposals/{proposal.id}/comments"
    assert client.post(url, data={"body": "Отличная идея!", "stance": "for"}).status_code == 302
    top = db.session.scalar(sa.select(Comment))
    assert top.stance.value == "for"
    client.post(url, data={"body": "Согласна, у нас тоже так.", "parent_id": top.id})
    reply = db.session.scalar(sa.select(Comment).where(Comment.parent_id == top.id))
    # A reply to a reply attaches to the top comment: one level only.
    client.post(url, data={"body": "Ответ на ответ", "parent_id": reply.id})
    nested = db.session.scalar(sa.select(Comment).where(Comment.body == "Ответ на ответ"))
    assert nested.parent_id == top.id
    db.session.refresh(proposal)
    assert proposal.comment_count == 3
    html = page(client.get(f"/events/{event.id}/proposals/{proposal.id}"))
    assert "Отличная идея!" in html and "Согласна, у нас тоже так." in html and "За" in html
    empty = client.post(url, data={"body": ""})
    assert empty.status_code == 400 and "Заполните это поле." in page(empty)
    bad_stance = client.post(url, data={"body": "Текст", "stance": "maybe"})
    assert bad_stance.status_code == 400


def test_library_joins_project_once(client, auth, event, create_participant, create_proposal):
    proposal = create_proposal(event.tracks[0], create_participant(event, name="Автор"),
                               kind="project")
    auth.as_participant(create_participant(event, library="Библиотека Шелехова"))
    url = f"/events/{event.id}/proposals/{proposal.id}"
    assert client.post(f"{url}/join", data={"library": "Библиотека Шелехова",
                                            "municipality": "Шелехов"}).status_code == 302
    assert client.post(f"{url}/join", data={"library": "Библиотека Шелехова"}).status_code == 409
    assert "Библиотека Шелехова" in page(client.get(url))
    db.session.refresh(proposal)
    assert proposal.join_count == 1
    assert client.post(f"{url}/leave").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(LibraryJoin.id))) == 0


def test_my_proposals_and_supports(client, auth, event, create_participant, create_proposal):
    me = create_participant(event, name="Я")
    mine = create_proposal(event.tracks[0], me, title="Моё предложение о клубе")
    theirs = create_proposal(event.tracks[0], create_participant(event, name="Другой"),
                             title="Чужое предложение о клубе")
    auth.as_participant(me)
    client.post(f"/events/{event.id}/proposals/{theirs.id}/support")
    mine_html = page(client.get(f"/events/{event.id}/my/proposals"))
    assert mine.title in mine_html and theirs.title not in mine_html
    supports_html = page(client.get(f"/events/{event.id}/my/supports"))
    assert theirs.title in supports_html and mine.title not in supports_html


def test_list_filters_sort_and_paginate(client, event, create_participant, create_proposal):
    track = event.tracks[0]
    author = create_participant(event, municipality="Тулун")
    other = create_participant(event, name="Ольга", municipality="Братск")
    for i in range(23):
        create_proposal(track, author, title=f"Предложение номер {i:02d}", kind="idea")
    create_proposal(track, other, title="Практика из Братска", kind="practice")
    first = page(client.get(f"/events/{event.id}/tracks/{track.slug}?sort=new"))
    assert "Практика из Братска" in first and "Страница 1 из 2" in first
    assert "Практика из Братска" in page(client.get(
        f"/events/{event.id}/tracks/{track.slug}?kind=practice"))
    assert "Предложение номер" not in page(client.get(
        f"/events/{event.id}/tracks/{track.slug}?municipality=Братск"))
    # Garbage in filters falls back to defaults instead of failing.
    assert client.get(f"/events/{event.id}/tracks/{track.slug}?page=abc&sort=x&kind=y"
                      ).status_code == 200


def test_missing_csrf_token_is_a_russian_400_that_keeps_the_text(app, event, create_participant):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    user = create_participant(event)
    from tests.conftest import csrf_token_from

    token = csrf_token_from(page(client.get(f"/r/{user.plain_code}")))
    client.post(f"/r/{user.plain_code}", data={"csrf_token": token})
    # The page was opened in a session the phone has since lost: its token is ours but stale.
    from itsdangerous import URLSafeTimedSerializer

    stale = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps("0" * 40)
    response = client.post(f"/events/{event.id}/proposals/new", data={
        "track": "social-hub", "kind": "idea", "title": "Заголовок без токена",
        "body": "Текст, который человек набирал десять минут.", "csrf_token": stale},
        headers={"Origin": "http://localhost"})
    assert response.status_code == 400
    html = page(response)
    assert "Страница устарела" in html
    assert 'value="Текст, который человек набирал десять минут."' in html
    assert db.session.scalar(sa.select(sa.func.count(Proposal.id))) == 0


def test_not_found_pages_are_friendly(client, event):
    response = client.get(f"/events/{event.id}/proposals/99999")
    assert response.status_code == 404
    assert "Страница не найдена." in page(response)
    api_like = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert api_like.status_code == 404 and api_like.get_json()["success"] is False


def test_unexpected_error_shows_no_traceback(app, client):
    @app.route("/boom-test")
    def boom():
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom-test")
    assert response.status_code == 500
    assert "secret internals" not in page(response) and "Traceback" not in page(response)
    assert "Внутренняя ошибка" in page(response)


def test_join_link_from_qr_code_prefills_and_accepts_the_form(client, event):
    form = page(client.get("/join/TEST26"))
    assert 'value="TEST26"' in form
    response = client.post("/join/TEST26", data={
        "event_code": "TEST26", "display_name": "Пётр Сидоров", "library": "Библиотека Тулуна",
        "municipality": "Тулун"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/welcome")


def test_personal_invitation_link_prefills_and_is_marked_used(client, event):
    from strategy.auth.models import Invitation
    from strategy.auth.operations import create_invitation

    invitation, token = create_invitation(event, display_name="Галина Орлова",
                                          library="Библиотека Киренска", municipality="Киренский район")
    form = page(client.get(f"/i/{token}"))
    assert 'value="Галина Орлова"' in form and 'value="Библиотека Киренска"' in form
    response = client.post(f"/i/{token}", data={
        "display_name": "Галина Орлова", "library": "Библиотека Киренска",
        "municipality": "Киренский район", "consent_public_affiliation": "y"})
    assert response.status_code == 302
    stored = db.session.get(Invitation, invitation.id)
    assert stored.used_by_id is not None and stored.used_at is not None
    assert client.get("/i/not-a-real-token").status_code == 404


def test_author_sees_why_a_comment_was_hidden_others_do_not(app, client, auth, event,
                                                            create_participant, create_proposal,
                                                            create_staff):
    from strategy.auth.models import Role
    from strategy.comments.operations import add_comment
    from strategy.moderation.operations import hide_comment

    proposal = create_proposal(event.tracks[0], create_participant(event, name="Автор"))
    commenter = create_participant(event, name="Комментатор")
    comment = add_comment(proposal, commenter, "Резкий комментарий не по теме")
    hide_comment(comment, create_staff(Role.facilitator), "Не по теме предложения")
    url = f"/events/{event.id}/proposals/{proposal.id}"
    auth.as_participant(commenter)
    own_view = page(client.get(url))
    assert "Резкий комментарий не по теме" in own_view and "Не по теме предложения" in own_view
    stranger = app.test_client()
    stranger.post(f"/r/{create_participant(event, name='Другой').plain_code}")
    assert "Резкий комментарий" not in page(stranger.get(url))


def test_support_is_refused_once_the_proposal_is_no_longer_published(event, create_participant,
                                                                    create_proposal):
    """A merge or hide committed after the page was read must not strand a support."""
    import pytest

    from strategy.core.errors import OperationError
    from strategy.proposals.models import ProposalStatus
    from strategy.supports.operations import add_support

    proposal = create_proposal(event.tracks[0], create_participant(event, name="Автор"))
    reader = create_participant(event, name="Читатель")
    stale = db.session.get(Proposal, proposal.id)
    assert stale.status is ProposalStatus.published  # what the request read before the hide
    with db.engine.begin() as other_request:
        other_request.execute(sa.update(Proposal).where(Proposal.id == proposal.id)
                              .values(status=ProposalStatus.hidden.name))
    with pytest.raises(OperationError):
        add_support(stale, reader)
    assert db.session.scalar(sa.select(sa.func.count(Support.id))) == 0


def test_dot_voting_budget_is_shown_and_enforced(client, auth, event, create_participant,
                                                 create_proposal):
    track = event.tracks[0]
    track.support_budget = 2
    db.session.commit()
    author = create_participant(event, name="Автор")
    proposals = [create_proposal(track, author, title=f"Предложение для голосования {i}")
                 for i in range(3)]
    auth.as_participant(create_participant(event, name="Голосующий"))
    listing = page(client.get(f"/events/{event.id}/tracks/{track.slug}"))
    assert "Голосов осталось в этом треке:" in listing and "<strong>2</strong> из 2" in listing
    for proposal in proposals[:2]:
        answer = client.post(f"/api/v1/events/{event.id}/proposals/{proposal.id}/support")
        assert answer.status_code == 200
    assert answer.get_json()["data"]["votes_left"] == 0
    refused = client.post(f"/api/v1/events/{event.id}/proposals/{proposals[2].id}/support")
    assert refused.status_code == 409 and "все голоса" in refused.get_json()["message"]
    assert "<strong>0</strong> из 2" in page(client.get(f"/events/{event.id}/tracks/{track.slug}"))
