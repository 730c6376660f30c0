"""Live polls: creation rules, states, answering once, results, live change rows, the pages,
the API and the exports (SQLite and, with TEST_DATABASE_URL, PostgreSQL)."""
import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from strategy.auth.models import Role
from strategy.core.errors import OperationError
from strategy.extensions import db
from strategy.live.models import Change, ChangeKind
from strategy.polls import operations as ops
from strategy.polls.models import Poll, PollAnswer, PollChoice, PollState
from strategy.polls.queries import results


@pytest.fixture
def people(event, create_staff, create_participant):
    hub = next(t for t in event.tracks if t.slug == "social-hub")
    genius = next(t for t in event.tracks if t.slug == "genius-loci")
    organiser = create_staff(Role.organiser, email="org@example.org")
    facilitator = create_staff(Role.facilitator, email="hub@example.org")
    facilitator.facilitated_tracks.append(hub)
    other_facilitator = create_staff(Role.facilitator, email="loci@example.org")
    other_facilitator.facilitated_tracks.append(genius)
    db.session.commit()
    return {"organiser": organiser, "facilitator": facilitator, "other": other_facilitator,
            "a": create_participant(event, name="Анна Первая"),
            "b": create_participant(event, name="Борис Второй")}


def make_poll(event, actor, kind="single", track="social-hub", options=None, **kw):
    if options is None and kind in ("single", "multiple"):
        options = ["Клубы", "Лекции", "Мастерские"]
    return ops.create_poll(event, actor, ops.PollData(
        question="Что привлечёт подростков?", kind=kind, track=track, options=options or [],
        **kw))


def counts():
    return (db.session.scalar(sa.select(sa.func.count(PollAnswer.id))),
            db.session.scalar(sa.select(sa.func.count(PollChoice.answer_id))))


def refused(status, fragment, call, *args, **kwargs):
    before = counts()
    with pytest.raises(OperationError) as error:
        call(*args, **kwargs)
    assert error.value.status == status
    assert fragment in error.value.message
    db.session.expire_all()
    assert counts() == before
    return error.value


# --- creation ------------------------------------------------------------------------------

def test_facilitator_creates_a_draft_poll_of_their_track(event, people):
    poll = make_poll(event, people["facilitator"])
    assert poll.state is PollState.draft and [o.text for o in poll.options] == [
        "Клубы", "Лекции", "Мастерские"]
    assert poll.track.slug == "social-hub"


@pytest.mark.parametrize("options, fragment", [
    ([], "нет вариантов"),
    (["Клубы"], "хотя бы два"),
    (["Клубы", "  ", "Лекции"], "Вариант 2 пустой"),
    (["Клубы", "клубы"], "повторяется"),
    (["x" * 121, "Лекции"], "длиннее 120"),
    ([f"Вариант {n}" for n in range(11)], "Не больше 10"),
])
def test_bad_options_are_refused_and_nothing_is_created(event, people, options, fragment):
    with pytest.raises(OperationError) as error:
        make_poll(event, people["organiser"], options=options)
    assert fragment in error.value.message and error.value.status == 400
    assert db.session.scalar(sa.select(sa.func.count(Poll.id))) == 0


def test_scale_and_word_cloud_rules(event, people):
    scale = make_poll(event, people["organiser"], kind="scale", scale_min="1", scale_max="10")
    assert (scale.scale_min, scale.scale_max) == (1, 10)
    for low, high, fragment in [("5", "5", "больше низа"), ("1", "11", "от 0 до 10"),
                                ("а", "5", "целые числа")]:
        with pytest.raises(OperationError) as error:
            make_poll(event, people["organiser"], kind="scale", scale_min=low, scale_max=high)
        assert fragment in error.value.message
    with pytest.raises(OperationError, match="нет вариантов"):
        make_poll(event, people["organiser"], kind="words", options=["лишний"])
    with pytest.raises(OperationError, match="вид опроса"):
        make_poll(event, people["organiser"], kind="ranking")
    with pytest.raises(OperationError, match="Напишите вопрос"):
        ops.create_poll(event, people["organiser"], ops.PollData(question=" ", kind="words"))
    assert db.session.scalar(sa.select(sa.func.count(Poll.id))) == 1


def test_who_may_create_open_and_close(event, people, create_event, create_staff):
    refused(403, "у вас нет прав", make_poll, event, people["other"])  # another track
    refused(403, "методическая группа", make_poll, event, people["facilitator"], track="")
    refused(403, "нет прав", make_poll, event, people["a"])
    poll = make_poll(event, people["facilitator"])
    refused(403, "нет прав", ops.open_poll, poll, people["a"])
    refused(403, "нет прав", ops.open_poll, poll, people["other"])
    second = create_event(code="OTHER27")
    stranger = create_staff(Role.organiser, email="other-org@example.org", event=second)
    refused(403, "другое мероприятие", ops.open_poll, poll, stranger)
    ops.open_poll(poll, people["facilitator"])
    refused(403, "нет прав", ops.close_poll, poll, people["b"])
    db.session.refresh(poll)
    assert poll.state is PollState.open
    ops.close_poll(poll, people["organiser"])
    assert poll.state is PollState.closed


def test_states_go_draft_open_closed_only(event, people):
    poll = make_poll(event, people["organiser"])
    refused(409, "ещё не открыт", ops.close_poll, poll, people["organiser"])
    ops.open_poll(poll, people["organiser"])
    refused(409, "уже идёт", ops.open_poll, poll, people["organiser"])
    ops.close_poll(poll, people["organiser"])
    refused(409, "уже завершён", ops.close_poll, poll, people["organiser"])
    refused(409, "открыть его снова нельзя", ops.open_poll, poll, people["organiser"])


# --- answering -----------------------------------------------------------------------------

def test_single_choice_answer_once_and_results(event, people):
    poll = make_poll(event, people["facilitator"])
    first, second, third = (o.id for o in poll.options)
    refused(409, "ещё не открыт", ops.answer_poll, poll, people["a"], options=[first])
    ops.open_poll(poll, people["facilitator"])
    ops.answer_poll(poll, people["a"], options=[first])
    refused(409, "уже ответили", ops.answer_poll, poll, people["a"], options=[second])
    refused(400, "только один вариант", ops.answer_poll, poll, people["b"],
            options=[first, second])
    refused(400, "Выберите вариант", ops.answer_poll, poll, people["b"], options=[])
    ops.answer_poll(poll, people["b"], options=[first])
    data = results(poll)
    assert data["total"] == 2
    assert [(b["count"], b["percent"]) for b in data["bars"]] == [(2, 100), (0, 0), (0, 0)]
    ops.close_poll(poll, people["facilitator"])
    refused(409, "завершён", ops.answer_poll, poll, people["organiser"], options=[third])
    assert results(poll)["total"] == 2  # frozen


def test_an_option_of_another_poll_is_refused(event, people):
    poll = make_poll(event, people["organiser"])
    other = make_poll(event, people["organiser"], kind="multiple")
    ops.open_poll(poll, people["organiser"])
    refused(400, "нет в этом опросе", ops.answer_poll, poll, people["a"],
            options=[other.options[0].id])
    refused(400, "нет в этом опросе", ops.answer_poll, poll, people["a"], options=["x"])


def test_multiple_choice_counts_each_person_once(event, people):
    poll = make_poll(event, people["organiser"], kind="multiple")
    a, b, c = (o.id for o in poll.options)
    ops.open_poll(poll, people["organiser"])
    ops.answer_poll(poll, people["a"], options=[a, b, b])
    ops.answer_poll(poll, people["b"], options=[b])
    data = results(poll)
    assert data["total"] == 2
    assert [(x["count"], x["percent"]) for x in data["bars"]] == [(1, 50), (2, 100), (0, 0)]


def test_scale_answers_and_mean(event, people):
    poll = make_poll(event, people["organiser"], kind="scale", scale_min=1, scale_max=5)
    ops.open_poll(poll, people["organiser"])
    for bad in (0, 6, None, "пять", True):
        refused(400, "от 1 до 5", ops.answer_poll, poll, people["a"], value=bad)
    ops.answer_poll(poll, people["a"], value=4)
    ops.answer_poll(poll, people["b"], value="5")
    data = results(poll)
    assert [b["count"] for b in data["bars"]] == [0, 0, 0, 1, 1] and data["mean"] == 4.5


def test_word_cloud_normalises_and_sizes_by_frequency(event, people, create_participant):
    poll = make_poll(event, people["organiser"], kind="words", track="")
    ops.open_poll(poll, people["organiser"])
    refused(400, "Напишите слово", ops.answer_poll, poll, people["a"], word="   ")
    refused(400, "длиннее 40", ops.answer_poll, poll, people["a"], word="б" * 41)
    words = ["  Открытая ", "открытая", "ОТКРЫТАЯ  библиотека", "открытая   библиотека",
             "Живая"]
    for n, word in enumerate(words):
        ops.answer_poll(poll, create_participant(event, name=f"Участник {n}"), word=word)
    cloud = {w["word"]: (w["count"], w["size"]) for w in results(poll)["words"]}
    assert cloud == {"открытая": (2, 5), "открытая библиотека": (2, 5), "живая": (1, 1)}


def test_participant_of_another_event_cannot_answer(event, people, create_event,
                                                    create_participant):
    poll = make_poll(event, people["organiser"])
    ops.open_poll(poll, people["organiser"])
    second = create_event(code="OTHER27")
    stranger = create_participant(second, name="Чужой Гость")
    refused(403, "другое мероприятие", ops.answer_poll, poll, stranger,
            options=[poll.options[0].id])


def test_open_close_and_answer_record_poll_changes(event, people):
    poll = make_poll(event, people["organiser"])
    ops.open_poll(poll, people["organiser"])
    ops.answer_poll(poll, people["a"], options=[poll.options[0].id])
    ops.close_poll(poll, people["organiser"])
    rows = db.session.scalars(sa.select(Change).where(Change.kind == ChangeKind.poll.value)
                              .order_by(Change.id)).all()
    assert [r.payload["state"] for r in rows] == ["open", "answer", "closed"]
    assert all(r.payload["poll_id"] == poll.id and r.track_id == poll.track_id for r in rows)


# --- pages ---------------------------------------------------------------------------------

def test_pages_create_open_answer_close(client, auth, event, people):
    auth.as_staff(people["facilitator"])
    page = client.get(f"/events/{event.id}/manage/polls/new")
    assert page.status_code == 200 and "Новый опрос" in page.get_data(as_text=True)
    bad = client.post(f"/events/{event.id}/manage/polls/new", data={
        "question": "Что важнее всего?", "kind": "single", "track": "social-hub",
        "options": "Клубы\n\nЛекции"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Вариант 2 пустой" in text and "Что важнее всего?" in text
    assert db.session.scalar(sa.select(sa.func.count(Poll.id))) == 0
    made = client.post(f"/events/{event.id}/manage/polls/new", data={
        "question": "Что важнее всего?", "kind": "single", "track": "social-hub",
        "options": "Клубы\nЛекции\n"})
    assert made.status_code == 302
    poll = db.session.scalar(sa.select(Poll))
    assert client.post(f"/events/{event.id}/manage/polls/{poll.id}/open").status_code == 302
    auth.logout()
    auth.as_participant(people["a"])
    page = client.get(f"/events/{event.id}/polls/{poll.id}").get_data(as_text=True)
    assert "Клубы" in page and 'data-poll-form' in page and "Открыть опрос" not in page
    assert client.post(f"/events/{event.id}/manage/polls/{poll.id}/close").status_code == 403
    answer = client.post(f"/events/{event.id}/polls/{poll.id}/answer",
                         data={"option": str(poll.options[1].id)})
    assert answer.status_code == 302
    again = client.post(f"/events/{event.id}/polls/{poll.id}/answer",
                        data={"option": str(poll.options[0].id)})
    assert again.status_code == 409 and "уже ответили" in again.get_data(as_text=True)
    page = client.get(f"/events/{event.id}/polls/{poll.id}").get_data(as_text=True)
    assert "data-poll-form" not in page and "Ваш ответ:" in page and "1 ответ" in page
    screen = client.get(f"/events/{event.id}/polls/{poll.id}/screen").get_data(as_text=True)
    assert "<svg" in screen and f"/p/{poll.id}" in screen and "Лекции" in screen
    short = client.get(f"/p/{poll.id}")
    assert short.status_code == 302 and short.headers["Location"].endswith(
        f"/events/{event.id}/polls/{poll.id}")
    listing = client.get(f"/events/{event.id}/polls").get_data(as_text=True)
    assert "Что важнее всего?" in listing


def test_drafts_are_hidden_and_a_poll_of_another_event_is_not_found(
        client, auth, event, people, create_event):
    poll = make_poll(event, people["organiser"])
    assert client.get(f"/events/{event.id}/polls/{poll.id}").status_code == 404
    assert client.get(f"/api/v1/events/{event.id}/polls/{poll.id}").status_code == 404
    second = create_event(code="OTHER27")
    ops.open_poll(poll, people["organiser"])
    assert client.get(f"/events/{second.id}/polls/{poll.id}").status_code == 404
    assert client.get(f"/api/v1/events/{second.id}/polls/{poll.id}").status_code == 404
    auth.as_participant(people["a"])
    wrong = client.post(f"/api/v1/events/{second.id}/polls/{poll.id}/answer",
                        json={"options": [poll.options[0].id]})
    assert wrong.status_code == 404
    assert counts() == (0, 0)


# --- API -----------------------------------------------------------------------------------

def test_api_answer_and_detail(client, auth, event, people):
    poll = make_poll(event, people["organiser"], kind="multiple")
    ops.open_poll(poll, people["organiser"])
    url = f"/api/v1/events/{event.id}/polls/{poll.id}"
    anonymous = client.get(url).get_json()
    assert anonymous["data"]["state"] == "open" and anonymous["data"]["results"] is None
    assert client.post(url + "/answer", json={"options": [poll.options[0].id]}).status_code == 401
    auth.as_participant(people["a"])
    empty = client.post(url + "/answer", json={"options": []})
    assert empty.status_code == 400 and empty.get_json()["message"] == "Выберите вариант ответа."
    bad = client.post(url + "/answer", json={"options": ["один"]})
    assert bad.status_code == 422
    done = client.post(url + "/answer", json={"options": [poll.options[0].id,
                                                          poll.options[2].id]})
    body = done.get_json()
    assert done.status_code == 201 and body["data"]["answered"] is True
    assert [b["count"] for b in body["data"]["results"]["bars"]] == [1, 0, 1]
    twice = client.post(url + "/answer", json={"options": [poll.options[1].id]})
    assert twice.status_code == 409 and "уже ответили" in twice.get_json()["message"]
    assert counts() == (1, 2)


def test_openapi_documents_the_poll_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/events/{event_id}/polls/{poll_id}" in paths
    assert "post" in paths["/api/v1/events/{event_id}/polls/{poll_id}/answer"]


# --- exports -------------------------------------------------------------------------------

def answered_poll(event, people):
    poll = make_poll(event, people["organiser"])
    ops.open_poll(poll, people["organiser"])
    ops.answer_poll(poll, people["a"], options=[poll.options[0].id])
    ops.answer_poll(poll, people["b"], options=[poll.options[2].id])
    ops.close_poll(poll, people["organiser"])
    make_poll(event, people["organiser"], track="")  # a draft: not exported
    return poll


def test_xlsx_has_a_polls_sheet(client, auth, event, people):
    poll = answered_poll(event, people)
    auth.as_staff(people["organiser"])
    response = client.get(f"/events/{event.id}/manage/export/data.xlsx")
    book = load_workbook(io.BytesIO(response.data))
    sheet = book["Опросы"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["Опрос", "Вопрос", "Вид"]
    flat = [str(v) for row in rows for v in row if v is not None]
    assert "Что привлечёт подростков?" in flat and "Клубы" in flat and "Мастерские" in flat
    assert len(rows) == 4 and {r[0] for r in rows[1:]} == {poll.id}  # three options, one poll
    assert [r[6] for r in rows[1:]] == [1, 0, 1] and [r[7] for r in rows[1:]] == [50, 0, 50]


def test_docx_appendix_has_the_polls(client, auth, event, people):
    from docx import Document

    answered_poll(event, people)
    auth.as_staff(people["organiser"])
    response = client.get(f"/events/{event.id}/manage/export/strategy.docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(response.data)).paragraphs)
    text = text.replace("\xa0", " ")
    assert "Опросы в зале" in text and "Что привлечёт подростков?" in text
    assert "Клубы — 1 (50 %)" in text


def test_event_and_track_pages_point_to_an_open_poll(client, event, people):
    poll = make_poll(event, people["organiser"])
    home = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert f"/polls/{poll.id}" not in home  # a draft is not announced
    ops.open_poll(poll, people["organiser"])
    for url in (f"/events/{event.id}", f"/events/{event.id}/tracks/social-hub"):
        page = client.get(url).get_data(as_text=True)
        assert "Идёт опрос" in page and f"/events/{event.id}/polls/{poll.id}" in page
    other_track = client.get(f"/events/{event.id}/tracks/genius-loci").get_data(as_text=True)
    assert f"/polls/{poll.id}" not in other_track


def test_control_characters_are_refused(event, people):
    with pytest.raises(OperationError, match="недопустимый символ"):
        make_poll(event, people["organiser"], options=["Клу\x00бы", "Лекции"])
    poll = make_poll(event, people["organiser"], kind="words")
    ops.open_poll(poll, people["organiser"])
    refused(400, "недопустимый символ", ops.answer_poll, poll, people["a"], word="сло\x00во")


# --- editing and deleting ---------------------------------------------------------------------

def audit_actions(poll_id):
    from strategy.moderation.models import AuditEntry

    return db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.target_type == "poll", AuditEntry.target_id == poll_id)
        .order_by(AuditEntry.id)).all()


def test_a_draft_is_edited_and_the_audit_keeps_before_and_after(event, people):
    from strategy.moderation.models import AuditEntry

    poll = make_poll(event, people["facilitator"])
    ops.edit_poll(poll, people["facilitator"], ops.PollData(
        question="Сколько клубов нужно?", kind="scale", track="social-hub",
        scale_min="1", scale_max="10"))
    db.session.expire_all()
    poll = db.session.get(Poll, poll.id)
    assert (poll.question, poll.kind.value, poll.scale_min, poll.scale_max) == (
        "Сколько клубов нужно?", "scale", 1, 10)
    assert poll.options == [] and poll.state is PollState.draft
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "poll_edit"))
    assert entry.before["options"] == ["Клубы", "Лекции", "Мастерские"]
    assert entry.after["kind"] == "scale" and entry.actor_id == people["facilitator"].id
    ops.edit_poll(poll, people["facilitator"], ops.PollData(
        question="Сколько клубов нужно?", kind="multiple", track="social-hub",
        options=["Один", "Два"]))
    db.session.expire_all()
    assert [o.text for o in db.session.get(Poll, poll.id).options] == ["Один", "Два"]


def test_bad_edits_are_refused_and_change_nothing(event, people):
    poll = make_poll(event, people["facilitator"])
    same = ops.PollData(question="Что привлечёт подростков?", kind="single",
                        track="social-hub", options=["Клубы", "Лекции", "Мастерские"])
    refused(400, "Вариант 2 пустой", ops.edit_poll, poll, people["facilitator"],
            ops.PollData(question="Вопрос", kind="single", track="social-hub",
                         options=["Да", "", "Нет"]))
    refused(400, "Изменений нет", ops.edit_poll, poll, people["facilitator"], same)
    refused(403, "у вас нет прав", ops.edit_poll, poll, people["other"], same)
    # a facilitator may not move the poll to a track they do not run
    refused(403, "у вас нет прав", ops.edit_poll, poll, people["facilitator"],
            ops.PollData(question="Вопрос другого трека", kind="single", track="genius-loci",
                         options=["Да", "Нет"]))
    db.session.expire_all()
    poll = db.session.get(Poll, poll.id)
    assert poll.question == "Что привлечёт подростков?" and len(poll.options) == 3
    assert audit_actions(poll.id) == ["poll_create"]
    ops.open_poll(poll, people["facilitator"])
    refused(409, "только черновик", ops.edit_poll, poll, people["facilitator"],
            ops.PollData(question="Другой вопрос", kind="single", track="social-hub",
                         options=["Да", "Нет"]))
    ops.close_poll(poll, people["facilitator"])
    refused(409, "только черновик", ops.edit_poll, poll, people["organiser"],
            ops.PollData(question="Другой вопрос", kind="single", track="social-hub",
                         options=["Да", "Нет"]))
    db.session.expire_all()
    assert db.session.get(Poll, poll.id).question == "Что привлечёт подростков?"


def test_delete_a_draft_and_a_closed_poll_but_not_an_open_one(event, people):
    draft = make_poll(event, people["facilitator"])
    refused(403, "у вас нет прав", ops.delete_poll, draft, people["other"])
    ops.delete_poll(draft, people["facilitator"])
    assert db.session.get(Poll, draft.id) is None
    assert audit_actions(draft.id) == ["poll_create", "poll_delete"]
    poll = answered_poll(event, people)
    ops.open_poll(draft := make_poll(event, people["organiser"]), people["organiser"])
    refused(409, "сначала завершите", ops.delete_poll, draft, people["organiser"],
            confirmed=True)
    assert db.session.get(Poll, draft.id).state is PollState.open
    refused(409, "подтвердите удаление", ops.delete_poll, poll, people["organiser"])
    assert db.session.get(Poll, poll.id) is not None and counts() == (2, 2)
    ops.delete_poll(poll, people["organiser"], confirmed=True)
    db.session.expire_all()
    assert db.session.get(Poll, poll.id) is None
    assert counts() == (0, 0)
    from strategy.moderation.models import AuditEntry

    entry = db.session.scalars(sa.select(AuditEntry).where(  # SQLite may reuse the draft's id
        AuditEntry.action == "poll_delete").order_by(AuditEntry.id.desc())).first()
    assert entry.before["answers"] == 2 and entry.before["state"] == "closed"
    assert entry.actor_id == people["organiser"].id
    change = db.session.scalars(sa.select(Change).where(Change.kind == ChangeKind.poll)
                                .order_by(Change.id.desc())).first()
    assert change.payload["state"] == "deleted" and change.payload["poll_id"] == poll.id


def test_pages_edit_and_delete(client, auth, event, people):
    auth.as_staff(people["facilitator"])
    poll = make_poll(event, people["facilitator"])
    base = f"/events/{event.id}/manage/polls/{poll.id}"
    detail = client.get(f"/events/{event.id}/polls/{poll.id}").get_data(as_text=True)
    assert f"{base}/edit" in detail and f"{base}/delete" in detail
    page = client.get(f"{base}/edit").get_data(as_text=True)
    assert "Изменить опрос" in page and "Мастерские" in page
    bad = client.post(f"{base}/edit", data={"question": "Новый вопрос опроса",
                                            "kind": "single", "track": "social-hub",
                                            "options": "Клубы\n\nЛекции"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Вариант 2 пустой" in text
    assert "Новый вопрос опроса" in text and "Лекции" in text  # what was typed stays
    db.session.expire_all()
    assert db.session.get(Poll, poll.id).question == "Что привлечёт подростков?"
    good = client.post(f"{base}/edit", data={"question": "Новый вопрос опроса",
                                             "kind": "words", "track": "social-hub"})
    assert good.status_code == 302
    db.session.expire_all()
    assert db.session.get(Poll, poll.id).kind.value == "words"
    client.post(f"{base}/open")
    refused_page = client.get(f"{base}/edit")
    assert refused_page.status_code == 409 and "только черновик" in refused_page.get_data(
        as_text=True)
    blocked = client.post(f"{base}/delete", data={"confirm": "1"})
    assert blocked.status_code == 409 and "сначала завершите" in blocked.get_data(as_text=True)
    auth.logout()
    auth.as_participant(people["a"])
    client.post(f"/events/{event.id}/polls/{poll.id}/answer", data={"word": "Клубы"})
    auth.logout()
    auth.as_staff(people["facilitator"])
    client.post(f"{base}/close")
    ask = client.get(f"{base}/delete").get_data(as_text=True)
    assert "Ответов на опрос: 1" in ask and 'name="confirm"' in ask
    unconfirmed = client.post(f"{base}/delete")
    assert unconfirmed.status_code == 409 and db.session.get(Poll, poll.id) is not None
    done = client.post(f"{base}/delete", data={"confirm": "1"})
    assert done.status_code == 302 and done.headers["Location"].endswith(
        f"/events/{event.id}/polls")
    db.session.expire_all()
    assert db.session.get(Poll, poll.id) is None


def poll_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Poll.id)))


@pytest.mark.parametrize("body, status, fragment", [
    ({"question": "Что выбрать?", "kind": "single", "track": "social-hub",
      "options": ["Клубы", "", "Лекции"]}, 400, "Вариант 2 пустой"),
    ({"question": "Что выбрать?", "kind": "multiple", "track": "social-hub",
      "options": ["Клубы", "   "]}, 400, "Вариант 2 пустой"),
    ({"question": "Что выбрать?", "kind": "single", "track": "social-hub",
      "options": ["Клубы"]}, 400, "хотя бы два"),
    ({"question": "Что выбрать?", "kind": "single", "track": "social-hub"}, 400,
     "нет вариантов"),
    ({"question": "Что выбрать?", "kind": "single", "track": "social-hub",
      "options": "Клубы"}, 422, "Проверьте поля"),
    ({"question": "Что выбрать?", "kind": "poll", "track": "social-hub", "options": ["А", "Б"]},
     400,
     "Выберите вид опроса"),
    ({"question": "", "kind": "words", "track": "social-hub"}, 400, "Напишите вопрос"),
    ({"question": "Оцените", "kind": "scale", "track": "social-hub", "scale_min": 5,
      "scale_max": 5}, 400, "больше низа"),
    ({"question": "Что выбрать?", "kind": "single", "track": "zzz",
      "options": ["А", "Б"]}, 400, "нет трека"),
])
def test_api_refuses_a_bad_poll_and_creates_nothing(client, auth, event, people, body, status,
                                                    fragment):
    auth.as_staff(people["facilitator"])
    refused = client.post(f"/api/v1/events/{event.id}/polls", json=body)
    assert refused.status_code == status
    answer = refused.get_json()
    assert fragment in answer["message"] + " ".join(map(str, answer["errors"].values()))
    said = answer["message"].split(":")[0] + " ".join(map(str, answer["errors"].values()))
    assert not re.search(r"[A-Za-z]{5,}", said), said  # Russian (field names aside)
    assert poll_count() == 0


def test_api_creates_opens_closes_and_refuses_late_or_second_answers(client, auth, event,
                                                                     people):
    base = f"/api/v1/events/{event.id}/polls"
    auth.as_staff(people["facilitator"])
    made = client.post(base, json={"question": "Что привлечёт подростков?", "kind": "single",
                                   "track": "social-hub", "options": ["Клубы", "Лекции"]})
    assert made.status_code == 201
    poll = made.get_json()["data"]
    assert poll["state"] == "draft" and [o["text"] for o in poll["options"]] == ["Клубы",
                                                                                "Лекции"]
    url = f"{base}/{poll['id']}"
    early = client.post(url + "/close")
    assert early.status_code == 409 and "ещё не открыт" in early.get_json()["message"]
    assert client.post(url + "/open").get_json()["data"]["state"] == "open"
    auth.logout()
    assert [p["id"] for p in client.get(base).get_json()["data"]] == [poll["id"]]
    auth.as_participant(people["a"])
    assert client.post(url + "/open").status_code == 403
    first = poll["options"][0]["id"]
    assert client.post(url + "/answer", json={"options": [first]}).status_code == 201
    twice = client.post(url + "/answer", json={"options": [poll["options"][1]["id"]]})
    assert twice.status_code == 409
    auth.logout()
    auth.as_staff(people["facilitator"])
    closed = client.post(url + "/close")
    assert closed.status_code == 200 and closed.get_json()["data"]["state"] == "closed"
    assert closed.get_json()["data"]["results"]["total"] == 1
    assert client.post(url + "/open").status_code == 409
    auth.logout()
    auth.as_participant(people["b"])
    late = client.post(url + "/answer", json={"options": [first]})
    assert late.status_code == 409 and "завершён" in late.get_json()["message"]
    assert counts() == (1, 1)
