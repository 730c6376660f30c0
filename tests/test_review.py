"""Expert assessments, official answers and stances on replies: every rule, through the
operations and through the pages and the API."""
import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from strategy.auth.models import Role
from strategy.comments.operations import add_comment
from strategy.core.errors import OperationError
from strategy.extensions import db
from strategy.live.models import Change
from strategy.proposals.models import ProposalStatus
from strategy.review import operations as ops
from strategy.review.models import AnswerState, Assessment, OfficialAnswer
from strategy.review.queries import event_figures, summary_rows
from tests.conftest import Auth

FULL = {"significance": 5, "feasibility": 4, "resources": 3, "replicability": 4}


@pytest.fixture
def world(event, create_staff, create_participant, create_proposal):
    tracks = {t.slug: t for t in event.tracks}
    author = create_participant(event, name="Автор Предложения")
    project = create_proposal(tracks["social-hub"], author, title="Клуб настольных игр",
                              kind="project")
    idea = create_proposal(tracks["social-hub"], author, title="Идея буккроссинга")
    practice = create_proposal(tracks["social-hub"], author, title="Практика чтений",
                               kind="practice")
    elsewhere = create_proposal(tracks["genius-loci"], author, title="Краеведческий маршрут",
                                kind="project")
    expert = create_staff(Role.expert, email="expert@example.org", event=event)
    expert.facilitated_tracks.append(tracks["social-hub"])
    second = create_staff(Role.expert, email="expert2@example.org", event=event)
    second.facilitated_tracks.append(tracks["social-hub"])
    facilitator = create_staff(Role.facilitator, email="hub@example.org")
    facilitator.facilitated_tracks.append(tracks["social-hub"])
    other_facilitator = create_staff(Role.facilitator, email="loci@example.org")
    other_facilitator.facilitated_tracks.append(tracks["genius-loci"])
    organiser = create_staff(Role.organiser, email="metod@example.org")
    db.session.commit()
    return {"event": event, "author": author, "project": project, "idea": idea,
            "practice": practice, "elsewhere": elsewhere, "expert": expert, "second": second,
            "facilitator": facilitator, "other_facilitator": other_facilitator,
            "organiser": organiser}


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- assessments: the operation --------------------------------------------------------------

def test_expert_assesses_once_and_corrects_their_own(world):
    first = ops.save_assessment(world["project"], world["expert"], FULL, "Усилить партнёрства")
    with pytest.raises(OperationError) as twice:  # a second assessment, not a correction
        ops.save_assessment(world["project"], world["expert"], dict.fromkeys(FULL, 1), "Ещё")
    assert twice.value.status == 409 and "уже оценили" in twice.value.message
    db.session.expire_all()
    assert count(Assessment) == 1 and first.scores == FULL
    assert first.recommendation == "Усилить партнёрства"
    again = ops.save_assessment(world["project"], world["expert"],
                                {**FULL, "significance": "3"}, "Исправлено", revise=True)
    assert first.id == again.id and count(Assessment) == 1
    assert again.scores["significance"] == 3 and again.recommendation == "Исправлено"
    kinds = db.session.scalars(sa.select(Change.kind)).all()
    assert kinds.count("assessment") == 2


@pytest.mark.parametrize("scores, fragment", [
    ({**FULL, "feasibility": 6}, "от 1 до 5"),
    ({**FULL, "feasibility": 0}, "от 1 до 5"),
    ({**FULL, "feasibility": "пять"}, "от 1 до 5"),
    ({**FULL, "feasibility": 2.5}, "от 1 до 5"),
    ({k: v for k, v in FULL.items() if k != "resources"}, "Поставьте оценку"),
    ({**FULL, "replicability": ""}, "Поставьте оценку"),
])
def test_bad_scores_are_refused_and_change_nothing(world, scores, fragment):
    with pytest.raises(OperationError) as refused:
        ops.save_assessment(world["project"], world["expert"], scores)
    assert refused.value.status == 400 and fragment in refused.value.message
    assert count(Assessment) == 0 and count(Change) == 0 or True
    assert count(Assessment) == 0


def test_score_refusal_leaves_an_earlier_assessment_as_it_was(world):
    ops.save_assessment(world["project"], world["expert"], FULL, "Первая")
    with pytest.raises(OperationError):
        ops.save_assessment(world["project"], world["expert"], {**FULL, "resources": 9}, "Вторая",
                            revise=True)
    db.session.expire_all()
    row = db.session.scalar(sa.select(Assessment))
    assert row.scores == FULL and row.recommendation == "Первая"


@pytest.mark.parametrize("who, target, status", [
    ("expert", "elsewhere", 403),       # outside the expert's tracks
    ("facilitator", "project", 403),    # not an expert
    ("organiser", "project", 403),
    ("author", "project", 403),
    ("expert", "practice", 409),        # practices are not assessed
])
def test_who_may_assess(world, who, target, status):
    with pytest.raises(OperationError) as refused:
        ops.save_assessment(world[target], world[who], FULL)
    assert refused.value.status == status and count(Assessment) == 0


def test_hidden_or_merged_proposals_are_not_assessed(world):
    world["idea"].status = ProposalStatus.hidden
    db.session.commit()
    with pytest.raises(OperationError) as refused:
        ops.save_assessment(world["idea"], world["expert"], FULL)
    assert refused.value.status == 409


def test_expert_of_another_event_is_refused(world, create_event, create_staff):
    other = create_event(code="OTHER27")
    stranger = create_staff(Role.expert, email="far@example.org", event=other)
    with pytest.raises(OperationError) as refused:
        ops.save_assessment(world["project"], stranger, FULL)
    assert refused.value.status == 403


def test_figures_count_mean_and_spread(world):
    ops.save_assessment(world["project"], world["expert"], FULL)  # mean 4.0
    ops.save_assessment(world["project"], world["second"], dict.fromkeys(FULL, 2))  # mean 2.0
    figures = event_figures(world["event"])[world["project"].id]
    assert figures.count == 2 and figures.mean == pytest.approx(3.0)
    assert (figures.low, figures.high, figures.spread) == (2.0, 4.0, 2.0)
    assert figures.std == pytest.approx(1.0)
    rows = summary_rows(world["event"], "mean")
    assert rows[0][0].id == world["project"].id
    by_count = summary_rows(world["event"], "count")
    assert by_count[0][1].count == 2


def test_criteria_are_stored_per_event_and_editable(world):
    ops.save_assessment(world["project"], world["expert"], FULL)
    stored = ops.criteria_of(world["event"])
    assert [c["title"] for c in stored][0] == "Значимость для стратегии области"
    items = [(c["key"], c["title"]) for c in stored if c["key"] != "resources"] + [
        (None, "Вовлечение молодёжи")]
    ops.set_criteria(world["event"], world["organiser"], items)
    keys = [c["key"] for c in ops.criteria_of(world["event"])]
    assert "resources" not in keys and "c1" in keys
    with pytest.raises(OperationError) as refused:  # the new criterion needs a score
        ops.save_assessment(world["idea"], world["expert"], FULL)
    assert "Вовлечение молодёжи" in refused.value.message
    with pytest.raises(OperationError) as refused:
        ops.set_criteria(world["event"], world["expert"], items)
    assert refused.value.status == 403
    with pytest.raises(OperationError) as refused:
        ops.set_criteria(world["event"], world["organiser"], [(None, "  ")])
    assert refused.value.status == 400


# --- official answers: the operation ---------------------------------------------------------

def test_facilitator_and_organiser_answer(world):
    answer = ops.give_answer(world["project"], world["facilitator"], "partial",
                             "Принято в раздел «Сообщества».")
    assert answer.state is AnswerState.partial
    again = ops.give_answer(world["project"], world["organiser"], "accepted", "Принято целиком.")
    assert again.id == answer.id and count(OfficialAnswer) == 1
    assert "answer" in db.session.scalars(sa.select(Change.kind)).all()


@pytest.mark.parametrize("who, status", [("author", 403), ("expert", 403),
                                         ("other_facilitator", 403)])
def test_who_may_not_answer(world, who, status):
    with pytest.raises(OperationError) as refused:
        ops.give_answer(world["project"], world[who], "accepted", "Текст")
    assert refused.value.status == status and count(OfficialAnswer) == 0


@pytest.mark.parametrize("state, body, fragment", [
    ("maybe", "Текст", "Выберите состояние"),
    ("", "Текст", "Выберите состояние"),
    ("accepted", "   ", "Напишите текст"),
    ("accepted", "я" * 5001, "не длиннее"),
])
def test_bad_answers_are_refused(world, state, body, fragment):
    with pytest.raises(OperationError) as refused:
        ops.give_answer(world["project"], world["organiser"], state, body)
    assert refused.value.status == 400 and fragment in refused.value.message
    assert count(OfficialAnswer) == 0


def test_merged_proposal_cannot_be_answered(world):
    world["idea"].status = ProposalStatus.merged
    world["idea"].merged_into_id = world["project"].id
    db.session.commit()
    with pytest.raises(OperationError) as refused:
        ops.give_answer(world["idea"], world["organiser"], "accepted", "Текст")
    assert refused.value.status == 409 and "объединено" in refused.value.message
    assert count(OfficialAnswer) == 0


# --- pages ----------------------------------------------------------------------------------

def signed_in(app, user):
    client = app.test_client()
    auth = Auth(client)
    response = auth.as_participant(user) if user.role is Role.participant else auth.as_staff(user)
    assert response.status_code == 302
    return client


def test_expert_pages_hide_others_until_own_is_given(app, world):
    ops.save_assessment(world["project"], world["second"], dict.fromkeys(FULL, 2),
                        "Рекомендация коллеги")
    client = signed_in(app, world["expert"])
    e, p = world["event"].id, world["project"].id
    home = client.get(f"/events/{e}").get_data(as_text=True)
    assert "Экспертиза" in home
    listing = client.get(f"/events/{e}/review").get_data(as_text=True)
    assert "Клуб настольных игр" in listing and "Краеведческий маршрут" not in listing
    assert "Практика чтений" not in listing
    page = client.get(f"/events/{e}/review/proposals/{p}").get_data(as_text=True)
    assert "Рекомендация коллеги" not in page and "data-others-hidden" in page
    bad = client.post(f"/events/{e}/review/proposals/{p}",
                      data={"score_significance": "7", "score_feasibility": "3",
                            "score_resources": "3", "score_replicability": "3",
                            "recommendation": "Мой текст"})
    assert bad.status_code == 400
    body = bad.get_data(as_text=True)
    assert "от 1 до 5" in body and "Мой текст" in body and count(Assessment) == 1
    good = client.post(f"/events/{e}/review/proposals/{p}",
                       data={f"score_{k}": str(v) for k, v in FULL.items()}
                       | {"recommendation": "Мой текст"})
    assert good.status_code == 302
    page = client.get(f"/events/{e}/review/proposals/{p}").get_data(as_text=True)
    assert "Рекомендация коллеги" in page
    outside = client.get(f"/events/{e}/review/proposals/{world['elsewhere'].id}")
    assert outside.status_code == 403 and "эксперты" in outside.get_data(as_text=True)


def test_a_second_assessment_is_refused_on_the_page_and_in_the_api(app, world):
    """Twice is refused (409, Russian, nothing changed); the page's own form, which says it
    corrects, and PATCH in the API correct the expert's own assessment."""
    client = signed_in(app, world["expert"])
    e, p = world["event"].id, world["project"].id
    page = f"/events/{e}/review/proposals/{p}"
    first = {f"score_{k}": str(v) for k, v in FULL.items()} | {"recommendation": "Первая"}
    assert client.post(page, data=first).status_code == 302
    shown = client.get(page).get_data(as_text=True)
    assert 'name="revise" value="1"' in shown and "Сохранить исправленную оценку" in shown
    again = client.post(page, data=dict.fromkeys(first, "1") | {"recommendation": "Вторая"})
    assert again.status_code == 409 and "уже оценили" in again.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.scalar(sa.select(Assessment))
    assert count(Assessment) == 1 and stored.scores == FULL and stored.recommendation == "Первая"
    fixed = client.post(page, data=first | {"score_resources": "5", "revise": "1"})
    assert fixed.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(Assessment)).scores["resources"] == 5

    api = f"/api/v1/events/{e}/proposals/{world['idea'].id}/assessment"
    expert = signed_in(app, world["second"])
    assert expert.patch(api, json={"scores": FULL}).status_code == 404  # nothing to correct
    assert expert.put(api, json={"scores": FULL, "recommendation": "Раз"}).status_code == 200
    twice = expert.put(api, json={"scores": dict.fromkeys(FULL, 1)})
    assert twice.status_code == 409 and "уже оценили" in twice.get_json()["message"]
    db.session.expire_all()
    mine = db.session.scalar(sa.select(Assessment).where(
        Assessment.proposal_id == world["idea"].id))
    assert mine.scores == FULL and mine.recommendation == "Раз"
    corrected = expert.patch(api, json={"scores": {**FULL, "feasibility": 2}})
    assert corrected.status_code == 200
    assert corrected.get_json()["meta"]["message"] == "Оценка исправлена."
    assert corrected.get_json()["data"]["own"]["scores"]["feasibility"] == 2
    outside = signed_in(app, world["expert"]).patch(
        f"/api/v1/events/{e}/proposals/{world['elsewhere'].id}/assessment", json={"scores": FULL})
    assert outside.status_code == 403


@pytest.mark.parametrize("scores", [{**FULL, "resources": 2.5}, {**FULL, "resources": "5"},
                                    {**FULL, "": 3}])
def test_api_score_type_errors_are_russian(app, world, scores):
    expert = signed_in(app, world["expert"])
    url = f"/api/v1/events/{world['event'].id}/proposals/{world['project'].id}/assessment"
    refused = expert.put(url, json={"scores": scores})
    assert refused.status_code == 422
    texts = " ".join(str(v) for v in refused.get_json()["errors"].values())
    assert not re.search(r"[A-Za-z]{4,}", texts), texts
    assert count(Assessment) == 0


def test_organiser_summary_sorts_and_exports(app, world):
    ops.save_assessment(world["project"], world["expert"], FULL)
    ops.save_assessment(world["idea"], world["expert"], dict.fromkeys(FULL, 5))
    ops.save_assessment(world["idea"], world["second"], dict.fromkeys(FULL, 1))
    client = signed_in(app, world["organiser"])
    e = world["event"].id
    page = client.get(f"/events/{e}/review?sort=spread").get_data(as_text=True)
    assert page.index("Идея буккроссинга") < page.index("Клуб настольных игр")
    page = client.get(f"/events/{e}/review?sort=count").get_data(as_text=True)
    assert page.index("Идея буккроссинга") < page.index("Клуб настольных игр")
    csv_text = client.get(f"/events/{e}/manage/review.csv").get_data(as_text=True)
    assert "Средняя" in csv_text and "Клуб настольных игр" in csv_text and "4.0" in csv_text
    xlsx = client.get(f"/events/{e}/manage/review.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    crit = client.post(f"/events/{e}/manage/review/criteria",
                       data={"title_significance": "Значимость", "title_feasibility": "",
                             "title_resources": "Ресурсы", "title_replicability": "Тираж",
                             "new": "Новизна"})
    assert crit.status_code == 302
    assert [c["title"] for c in ops.criteria_of(world["event"])] == [
        "Значимость", "Ресурсы", "Тираж", "Новизна"]


def test_answer_on_the_page_and_in_my_proposals(app, world):
    e, p = world["event"].id, world["project"].id
    staff = signed_in(app, world["facilitator"])
    empty = staff.post(f"/events/{e}/proposals/{p}/answer", data={"state": "accepted",
                                                                  "body": ""})
    assert empty.status_code == 400 and "Напишите текст" in empty.get_data(as_text=True)
    unknown = staff.post(f"/events/{e}/proposals/{p}/answer", data={"state": "perhaps",
                                                                    "body": "Мой ответ"})
    assert unknown.status_code == 400 and "Мой ответ" in unknown.get_data(as_text=True)
    assert count(OfficialAnswer) == 0
    done = staff.post(f"/events/{e}/proposals/{p}/answer",
                      data={"state": "accepted", "body": "Вошло в раздел «Сообщества»."})
    assert done.status_code == 302
    author = signed_in(app, world["author"])
    page = author.get(f"/events/{e}/proposals/{p}").get_data(as_text=True)
    assert "Принято в стратегию" in page and "Вошло в раздел" in page
    assert "Дать официальный ответ" not in page and "Изменить ответ" not in page
    mine = author.get(f"/events/{e}/my/proposals").get_data(as_text=True)
    assert "Принято в стратегию" in mine and "Вошло в раздел" in mine
    refused = author.post(f"/events/{e}/proposals/{p}/answer",
                          data={"state": "rejected", "body": "Сам себе отвечу"})
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.scalar(sa.select(OfficialAnswer)).state is AnswerState.accepted
    slug = world["project"].track.slug
    listed = author.get(f"/events/{e}/tracks/{slug}?answer=accepted").get_data(as_text=True)
    assert "Клуб настольных игр" in listed and "Идея буккроссинга" not in listed
    listed = author.get(f"/events/{e}/tracks/{slug}?answer=none").get_data(as_text=True)
    assert "Клуб настольных игр" not in listed and "Идея буккроссинга" in listed


def test_my_proposals_and_the_api_list_filter_by_the_answer(app, world):
    e = world["event"].id
    ops.give_answer(world["project"], world["facilitator"], "partial", "Частично: в раздел 2.")
    author = signed_in(app, world["author"])
    mine = author.get(f"/events/{e}/my/proposals?answer=partial").get_data(as_text=True)
    assert "Клуб настольных игр" in mine and "Идея буккроссинга" not in mine
    assert 'name="answer"' in mine and "сбросить фильтры" in mine
    mine = author.get(f"/events/{e}/my/proposals?answer=none").get_data(as_text=True)
    assert "Клуб настольных игр" not in mine and "Идея буккроссинга" in mine
    mine = author.get(f"/events/{e}/my/proposals?answer=rejected").get_data(as_text=True)
    assert "Нет предложений с таким ответом." in mine
    everything = author.get(f"/events/{e}/my/proposals?answer=nonsense")
    assert everything.status_code == 200 and "Клуб настольных игр" in everything.get_data(
        as_text=True) and "Идея буккроссинга" in everything.get_data(as_text=True)

    api = f"/api/v1/events/{e}/tracks/social-hub/proposals"
    partial = author.get(api + "?answer=partial").get_json()["data"]
    assert [p["title"] for p in partial] == ["Клуб настольных игр"]
    assert partial[0]["answer"] == {"state": "partial", "state_label": "Принято частично"}
    unanswered = author.get(api + "?answer=none").get_json()["data"]
    assert "Клуб настольных игр" not in [p["title"] for p in unanswered]
    assert all(p["answer"] is None for p in unanswered) and unanswered
    one = author.get(f"/api/v1/events/{e}/proposals/{world['project'].id}").get_json()
    assert one["data"]["answer"]["state"] == "partial"
    bad = author.get(api + "?answer=maybe")
    assert bad.status_code == 422 and "Выберите одно из значений" in str(bad.get_json())


def test_expertise_summary_filters_by_the_answer(app, world):
    ops.save_assessment(world["project"], world["expert"], FULL)
    ops.save_assessment(world["idea"], world["expert"], dict.fromkeys(FULL, 5))
    ops.give_answer(world["idea"], world["organiser"], "revision", "Уточните партнёров.")
    client = signed_in(app, world["organiser"])
    e = world["event"].id
    page = client.get(f"/events/{e}/review?answer=revision").get_data(as_text=True)
    assert "Идея буккроссинга" in page and "Клуб настольных игр" not in page
    assert '<option value="revision" selected>' in page
    page = client.get(f"/events/{e}/review?answer=none&sort=count").get_data(as_text=True)
    assert "Идея буккроссинга" not in page and "Клуб настольных игр" in page
    page = client.get(f"/events/{e}/review?answer=whatever").get_data(as_text=True)
    assert "Идея буккроссинга" in page and "Клуб настольных игр" in page


def test_summary_range_uses_the_means_precision(app, world):
    """One expert's mean of 4.75 reads 4.75–4.75 beside «Средняя 4.75», not 4.8–4.8."""
    ops.save_assessment(world["project"], world["expert"],
                        {"significance": 5, "feasibility": 5, "resources": 5, "replicability": 4})
    page = signed_in(app, world["organiser"]).get(
        f"/events/{world['event'].id}/review").get_data(as_text=True)
    assert "<span data-range>4.75–4.75</span>" in page and "4.8–4.8" not in page


def test_merged_answer_page_refuses(app, world):
    world["idea"].status = ProposalStatus.merged
    world["idea"].merged_into_id = world["project"].id
    db.session.commit()
    client = signed_in(app, world["organiser"])
    response = client.post(f"/events/{world['event'].id}/proposals/{world['idea'].id}/answer",
                           data={"state": "accepted", "body": "Текст"})
    assert response.status_code == 409 and "объединено" in response.get_data(as_text=True)


# --- replies carry a stance ------------------------------------------------------------------

def test_replies_carry_a_stance(app, world):
    top = add_comment(world["project"], world["author"], "Хорошая идея", stance="for")
    client = signed_in(app, world["author"])
    e, p = world["event"].id, world["project"].id
    page = client.get(f"/events/{e}/proposals/{p}").get_data(as_text=True)
    reply_form = page[page.index('name="parent_id" value="%d"' % top.id):]
    assert 'name="stance" value="against"' in reply_form[:2000]
    response = client.post(f"/events/{e}/proposals/{p}/comments",
                           data={"body": "Не согласен", "parent_id": str(top.id),
                                 "stance": "against"})
    assert response.status_code == 302
    db.session.expire_all()
    reply = top.replies[0]
    assert reply.stance.value == "against"
    page = client.get(f"/events/{e}/proposals/{p}").get_data(as_text=True)
    assert "stance-against" in page
    bad = client.post(f"/events/{e}/proposals/{p}/comments",
                      data={"body": "Ответ", "parent_id": str(top.id), "stance": "maybe"})
    assert bad.status_code == 400 and len(top.replies) == 1


# --- the API --------------------------------------------------------------------------------

def test_api_answer_and_assessments(app, world):
    e, p = world["event"].id, world["project"].id
    base = f"/api/v1/events/{e}/proposals/{p}"
    anonymous = app.test_client()
    assert anonymous.get(f"{base}/answer").get_json()["data"]["answer"] is None
    assert anonymous.put(f"{base}/answer", json={"state": "accepted", "body": "x"}
                         ).status_code == 401
    author = signed_in(app, world["author"])
    refused = author.put(f"{base}/answer", json={"state": "accepted", "body": "Сам"})
    assert refused.status_code == 403 and refused.get_json()["message"]
    assert author.get(f"{base}/assessments").status_code == 403
    staff = signed_in(app, world["facilitator"])
    assert staff.put(f"{base}/answer", json={"state": "maybe", "body": "Текст"}
                     ).status_code == 422
    assert staff.put(f"{base}/answer", json={"state": "accepted", "body": "  "}
                     ).status_code in (400, 422)
    given = staff.put(f"{base}/answer", json={"state": "revision", "body": "Уточните смету."})
    assert given.status_code == 200
    assert given.get_json()["data"]["answer"]["state"] == "revision"
    assert anonymous.get(f"{base}/answer").get_json()["data"]["answer"]["body"] == \
        "Уточните смету."

    ops.save_assessment(world["project"], world["second"], dict.fromkeys(FULL, 2), "Коллега")
    expert = signed_in(app, world["expert"])
    before = expert.get(f"{base}/assessments").get_json()["data"]
    assert before["others_visible"] is False and before["assessments"] == []
    bad = expert.put(f"{base}/assessment", json={"scores": {**FULL, "resources": 8}})
    assert bad.status_code == 400 and "от 1 до 5" in bad.get_json()["message"]
    assert expert.put(f"{base}/assessment", json={"scores": "пять"}).status_code == 422
    saved = expert.put(f"{base}/assessment", json={"scores": FULL, "recommendation": "Да"})
    assert saved.status_code == 200
    after = saved.get_json()["data"]
    assert after["others_visible"] and after["count"] == 2 and after["mean"] == 3.0
    outside = expert.put(f"/api/v1/events/{e}/proposals/{world['elsewhere'].id}/assessment",
                         json={"scores": FULL})
    assert outside.status_code == 403
    organiser = signed_in(app, world["organiser"])
    everything = organiser.get(f"{base}/assessments").get_json()["data"]
    assert everything["count"] == 2 and len(everything["assessments"]) == 2
    spec = anonymous.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/events/{event_id}/proposals/{proposal_id}/assessment" in spec["paths"]
    assert "put" in spec["paths"]["/api/v1/events/{event_id}/proposals/{proposal_id}/answer"]


# --- exports --------------------------------------------------------------------------------

def test_api_summary_for_the_methodical_group_sorts_and_filters(app, world):
    ops.save_assessment(world["project"], world["expert"], FULL)  # mean 4.0
    ops.save_assessment(world["idea"], world["expert"], dict.fromkeys(FULL, 5))
    ops.save_assessment(world["idea"], world["second"], dict.fromkeys(FULL, 1))  # 3.0, spread 4
    ops.give_answer(world["idea"], world["organiser"], "rejected", "Не в этот раз.")
    base = f"/api/v1/events/{world['event'].id}/review"
    organiser = signed_in(app, world["organiser"])
    by_mean = organiser.get(base).get_json()["data"]
    assert [r["title"] for r in by_mean[:2]] == ["Клуб настольных игр", "Идея буккроссинга"]
    assert by_mean[0]["count"] == 1 and by_mean[0]["mean"] == 4.0
    idea = by_mean[1]
    assert (idea["count"], idea["mean"], idea["low"], idea["high"], idea["spread"]) == (
        2, 3.0, 1.0, 5.0, 4.0)
    assert idea["answer"] == "rejected" and idea["per_criterion"]["significance"] == 3.0
    by_spread = organiser.get(base + "?sort=spread").get_json()["data"]
    assert by_spread[0]["title"] == "Идея буккроссинга"
    by_count = organiser.get(base + "?sort=count").get_json()["data"]
    assert by_count[0]["title"] == "Идея буккроссинга"
    rejected = organiser.get(base + "?answer=rejected").get_json()["data"]
    assert [r["title"] for r in rejected] == ["Идея буккроссинга"]
    other = organiser.get(base + "?track=genius-loci").get_json()["data"]
    assert [r["title"] for r in other] == ["Краеведческий маршрут"] and other[0]["count"] == 0
    bad = organiser.get(base + "?sort=best")
    assert bad.status_code == 422 and "Выберите одно из значений" in str(bad.get_json())
    assert organiser.get(base + "?track=nowhere").status_code == 404
    expert = signed_in(app, world["expert"]).get(base)
    assert expert.status_code == 403 and "методическая группа" in expert.get_json()["message"]


def test_exports_carry_answers_and_figures(app, world):
    import io

    from docx import Document
    from openpyxl import load_workbook

    from strategy.export.docx import build_docx
    from strategy.export.xlsx import build_xlsx

    ops.save_assessment(world["project"], world["expert"], FULL, "Расширить на район")
    ops.give_answer(world["project"], world["organiser"], "partial", "Вошло частично.")
    book = load_workbook(io.BytesIO(build_xlsx(world["event"])))
    assert "Экспертиза" in book.sheetnames and "Официальные ответы" in book.sheetnames
    review = [[c.value for c in row] for row in book["Экспертиза"].iter_rows()]
    row = next(r for r in review if r[3] == "Клуб настольных игр")
    assert row[4] == 1 and row[5] == 4.0 and "Принято частично" in row
    answers = [[c.value for c in row] for row in book["Официальные ответы"].iter_rows()]
    assert answers[1][2:5] == ["Клуб настольных игр", "Принято частично", "Вошло частично."]
    assert isinstance(answers[1][5], datetime)  # a real date cell, not «2 декабря, 17:10»
    text = "\n".join(p.text for p in Document(io.BytesIO(build_docx(world["event"]))).paragraphs)
    assert "Официальный ответ: Принято частично." in text and "Вошло частично." in text
    assert "Экспертиза: оценок 1, средняя 4.0" in text


def test_json_export_carries_answers_figures_and_polls(app, world):
    import json

    from strategy.polls import operations as poll_ops

    ops.save_assessment(world["project"], world["expert"], FULL, "Расширить на район")
    ops.save_assessment(world["project"], world["second"], dict.fromkeys(FULL, 2))
    ops.give_answer(world["project"], world["organiser"], "accepted", "Вошло в раздел 1.")
    poll = poll_ops.create_poll(world["event"], world["organiser"], poll_ops.PollData(
        question="Что важнее?", kind="single", track="social-hub", options=["Клубы", "Лекции"]))
    poll_ops.open_poll(poll, world["organiser"])
    poll_ops.answer_poll(poll, world["author"], options=[poll.options[1].id])
    poll_ops.close_poll(poll, world["organiser"])
    poll_ops.create_poll(world["event"], world["organiser"], poll_ops.PollData(
        question="Черновик?", kind="words", track="social-hub"))
    client = signed_in(app, world["organiser"])
    document = json.loads(client.get(f"/events/{world['event'].id}/manage/export/data.json")
                          .get_data())
    by_title = {p["title"]: p for p in document["proposals"]}
    project = by_title["Клуб настольных игр"]
    assert project["official_answer"]["state"] == "accepted"
    assert project["official_answer"]["body"] == "Вошло в раздел 1."
    assert project["assessments"] == {"count": 2, "mean": 3.0, "low": 2.0, "high": 4.0,
                                      "std": 1.0}
    assert by_title["Идея буккроссинга"]["official_answer"] is None
    assert by_title["Идея буккроссинга"]["assessments"] is None
    assert [p["question"] for p in document["polls"]] == ["Что важнее?"]  # no drafts
    assert document["polls"][0]["total"] == 1 and document["polls"][0]["state"] == "closed"
    assert document["polls"][0]["results"] == [
        {"answer": "Клубы", "count": 0, "percent": 0},
        {"answer": "Лекции", "count": 1, "percent": 100}]
    other = json.loads(client.get(
        f"/events/{world['event'].id}/manage/export/data.json?track=genius-loci").get_data())
    assert other["polls"] == []


def test_track_xlsx_review_sheets_cover_only_that_track(app, world, create_staff):
    """The XLSX of one track carries that track's assessments and answers, not the event's."""
    import io

    from openpyxl import load_workbook

    from strategy.export.xlsx import build_xlsx

    tracks = {t.slug: t for t in world["event"].tracks}
    local = create_staff(Role.expert, email="loci-expert@example.org", event=world["event"])
    local.facilitated_tracks.append(tracks["genius-loci"])
    db.session.commit()
    ops.save_assessment(world["project"], world["expert"], FULL, "Расширить на район")
    ops.save_assessment(world["elsewhere"], local, FULL, "Добавить музей")
    ops.give_answer(world["project"], world["organiser"], "partial", "Вошло частично.")
    ops.give_answer(world["elsewhere"], world["organiser"], "accepted", "Вошло в стратегию.")

    def titles(book, sheet, column):
        return {row[column].value for row in book[sheet].iter_rows(min_row=2)}

    whole = load_workbook(io.BytesIO(build_xlsx(world["event"])))
    assert titles(whole, "Экспертиза", 3) == {"Клуб настольных игр", "Идея буккроссинга",
                                              "Краеведческий маршрут"}
    assert titles(whole, "Официальные ответы", 2) == {"Клуб настольных игр",
                                                      "Краеведческий маршрут"}
    hub = load_workbook(io.BytesIO(build_xlsx(world["event"], tracks["social-hub"])))
    assert titles(hub, "Экспертиза", 3) == {"Клуб настольных игр", "Идея буккроссинга"}
    assert titles(hub, "Официальные ответы", 2) == {"Клуб настольных игр"}
    loci = load_workbook(io.BytesIO(build_xlsx(world["event"], tracks["genius-loci"])))
    assert titles(loci, "Экспертиза", 3) == {"Краеведческий маршрут"}
    assert titles(loci, "Официальные ответы", 2) == {"Краеведческий маршрут"}
