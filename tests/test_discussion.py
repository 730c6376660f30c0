"""The draft review (обсуждение проекта): publishing, the phase, section supports and
comments, moderation, the pages, the workspace and the DOCX, with every refusal changing
nothing."""
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from docx import Document

from strategy.auth.models import Role
from strategy.core.db import utcnow
from strategy.core.errors import OperationError
from strategy.extensions import db
from strategy.live.models import Change, ChangeKind
from strategy.discussion import operations as ops
from strategy.discussion.models import (DraftReview, PublishedSection, SectionComment,
                                    SectionSupport)
from strategy.workspace.models import DraftSection, SectionState
from tests.test_roles import draft_sections


@pytest.fixture
def world(event, create_staff, create_participant, create_proposal, create_event):
    tracks = {t.slug: t for t in event.tracks}
    author = create_participant(event, name="Автор")
    proposals = [create_proposal(tracks["social-hub"], author, title=f"Предложение {n}")
                 for n in "АБВ"]
    run, s1, s2 = draft_sections(event, tracks["social-hub"], proposals)
    s1.key_terms = ["клуб", "подростки"]
    s1.summary, s1.summary_edited = "Клубы для подростков в библиотеках.", True
    s2.state = SectionState.agreed
    organiser = create_staff(Role.organiser, email="metod@example.org")
    facilitator = create_staff(Role.facilitator, email="hub@example.org")
    facilitator.facilitated_tracks.append(tracks["social-hub"])
    other_fac = create_staff(Role.facilitator, email="loci@example.org")
    other_fac.facilitated_tracks.append(tracks["genius-loci"])
    db.session.commit()
    participant = create_participant(event, name="Читатель")
    second = create_event(code="OTHER27", title="Другое мероприятие")
    stranger = create_participant(second, name="Гость")
    other_org = create_staff(Role.organiser, email="other@example.org", event=second)
    return {"event": event, "s1": s1, "s2": s2, "organiser": organiser,
            "facilitator": facilitator, "other_fac": other_fac, "participant": participant,
            "author": author, "stranger": stranger, "other_org": other_org,
            "proposals": proposals}


def counts():
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m))
                 for m in (DraftReview, PublishedSection, SectionSupport, SectionComment))


def refused(call, status, text):
    before = counts()
    with pytest.raises(OperationError) as caught:
        call()
    assert caught.value.status == status
    assert text in caught.value.message
    assert counts() == before


def published(w, **kw):
    review = ops.publish_draft(w["event"], w["organiser"], **kw)
    return review, {s.section_id: s for s in review.visible_sections}


def test_publish_all_snapshots_sections_and_opens_phase(world):
    review, by_section = published(world)
    assert review.is_open() and review.scope.value == "all"
    snap = by_section[world["s1"].id]
    assert snap.title == "Раздел 1" and snap.key_terms == ["клуб", "подростки"]
    assert snap.summary == "Клубы для подростков в библиотеках."
    assert snap.proposal_ids == [world["proposals"][0].id]
    assert set(by_section) == {world["s1"].id, world["s2"].id}
    # The snapshot does not follow later edits in the workspace.
    world["s1"].title = "Новое название"
    db.session.commit()
    db.session.refresh(snap)
    assert snap.title == "Раздел 1"
    change = db.session.scalars(sa.select(Change).order_by(Change.id.desc())).first()
    assert change.kind == ChangeKind.draft.value and change.payload["action"] == "publish"


def test_publish_agreed_only_and_republish_keeps_comments(world):
    review, by_section = published(world, scope="agreed")
    assert set(by_section) == {world["s2"].id}
    ops.comment_section(by_section[world["s2"].id], world["participant"], "Согласна с этим",
                        "for")
    review, by_section = published(world, scope="all")
    assert set(by_section) == {world["s1"].id, world["s2"].id}
    assert by_section[world["s2"].id].comment_count == 1
    review, by_section = published(world, scope="agreed")
    withdrawn = [s for s in review.sections if s.withdrawn]
    assert [s.section_id for s in withdrawn] == [world["s1"].id]


def test_publish_refusals(world):
    refused(lambda: ops.publish_draft(world["event"], world["participant"]), 403,
            "методическая группа")
    refused(lambda: ops.publish_draft(world["event"], world["facilitator"]), 403,
            "методическая группа")
    refused(lambda: ops.publish_draft(world["event"], world["other_org"]), 403,
            "методическая группа")
    refused(lambda: ops.publish_draft(world["event"], world["organiser"], scope="some"), 400,
            "Выберите")
    refused(lambda: ops.publish_draft(world["event"], world["organiser"],
                                      ends_at=utcnow() - timedelta(hours=1)), 400, "прошло")
    world["s2"].state = SectionState.draft
    db.session.commit()
    refused(lambda: ops.publish_draft(world["event"], world["organiser"], scope="agreed"), 409,
            "Нет согласованных")


def test_publish_without_sections_is_refused(world):
    db.session.execute(sa.delete(DraftSection))
    db.session.commit()
    refused(lambda: ops.publish_draft(world["event"], world["organiser"]), 409,
            "нет разделов")


def test_support_once_withdraw_and_live_counts(world):
    _review, by_section = published(world)
    section = by_section[world["s1"].id]
    ops.support_section(section, world["participant"])
    assert section.support_count == 1
    change = db.session.scalars(sa.select(Change).order_by(Change.id.desc())).first()
    assert change.kind == "draft" and change.payload["support_count"] == 1
    assert change.payload["section_id"] == section.id
    refused(lambda: ops.support_section(section, world["participant"]), 409, "уже поддержали")
    ops.withdraw_section_support(section, world["participant"])
    assert section.support_count == 0
    refused(lambda: ops.withdraw_section_support(section, world["participant"]), 409,
            "не поддерживали")


def test_support_and_comment_refusals(world):
    _review, by_section = published(world, scope="agreed")
    s2 = by_section[world["s2"].id]
    refused(lambda: ops.support_section(s2, world["stranger"]), 403, "другое мероприятие")
    refused(lambda: ops.comment_section(s2, world["stranger"], "Чужой комментарий", "for"),
            403, "другое мероприятие")
    refused(lambda: ops.comment_section(s2, world["participant"], "  ", "for"), 400,
            "от 2 до 2000")
    refused(lambda: ops.comment_section(s2, world["participant"], "x" * 2001, "against"), 400,
            "от 2 до 2000")
    refused(lambda: ops.comment_section(s2, world["participant"], "Без позиции", None), 400,
            "Выберите позицию")
    refused(lambda: ops.comment_section(s2, world["participant"], "Странная", "maybe"), 400,
            "Выберите позицию")
    # An unpublished section: s1 was left out of the agreed-only publication.
    review, _ = published(world, scope="all")
    review, _ = published(world, scope="agreed")
    s1 = next(s for s in review.sections if s.section_id == world["s1"].id)
    refused(lambda: ops.support_section(s1, world["participant"]), 409,
            "не входит в опубликованный")
    refused(lambda: ops.comment_section(s1, world["participant"], "Комментарий", "for"), 409,
            "не входит в опубликованный")
    world["participant"].is_muted = True
    db.session.commit()
    refused(lambda: ops.comment_section(s2, world["participant"], "Комментарий", "for"), 403,
            "ограничил")


def test_closing_freezes_supports_and_comments(world):
    review, by_section = published(world)
    section = by_section[world["s1"].id]
    ops.support_section(section, world["participant"])
    ops.close_review(world["event"], world["organiser"])
    assert not review.is_open()
    refused(lambda: ops.support_section(section, world["author"]), 409, "Обсуждение проекта закрыто")
    refused(lambda: ops.withdraw_section_support(section, world["participant"]), 409,
            "Обсуждение проекта закрыто")
    refused(lambda: ops.comment_section(section, world["author"], "Поздно", "for"), 409,
            "Обсуждение проекта закрыто")
    refused(lambda: ops.close_review(world["event"], world["organiser"]), 409, "уже закрыто")
    refused(lambda: ops.close_review(world["event"], world["participant"]), 403,
            "методическая группа")


def test_end_time_closes_the_phase(world):
    review, by_section = published(world, ends_at=utcnow() + timedelta(hours=1))
    review.ends_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    refused(lambda: ops.comment_section(by_section[world["s1"].id], world["participant"],
                                        "Комментарий", "for"), 409, "закрыто")


def test_close_before_publish_is_refused(world):
    refused(lambda: ops.close_review(world["event"], world["organiser"]), 409,
            "ещё не опубликован")


def test_hide_and_restore_by_track_staff_only(world):
    _review, by_section = published(world)
    section = by_section[world["s1"].id]
    comment = ops.comment_section(section, world["participant"], "Против такого раздела",
                                  "against")
    assert section.comment_count == 1
    refused(lambda: ops.hide_section_comment(comment, world["other_fac"], "Спам"), 403,
            "не модерируете")
    refused(lambda: ops.hide_section_comment(comment, world["author"], "Спам"), 403,
            "не модерируете")
    refused(lambda: ops.hide_section_comment(comment, world["facilitator"], " "), 400,
            "причину")
    ops.hide_section_comment(comment, world["facilitator"], "Оскорбление")
    assert comment.hidden and section.comment_count == 0
    assert not comment.can_view(world["author"]) and comment.can_view(world["participant"])
    refused(lambda: ops.hide_section_comment(comment, world["organiser"], "Ещё"), 409,
            "уже скрыт")
    ops.restore_section_comment(comment, world["organiser"])
    assert not comment.hidden and section.comment_count == 1


# --- pages ---------------------------------------------------------------------------------

def test_draft_page_before_and_after_publishing(client, auth, world):
    e = world["event"].id
    page = client.get(f"/events/{e}/draft").get_data(as_text=True)
    assert "ещё не опубликовала" in page
    _review, by_section = published(world)
    s1 = by_section[world["s1"].id]
    auth.as_participant(world["participant"])
    page = client.get(f"/events/{e}/draft").get_data(as_text=True)
    assert "Раздел 1" in page and "Клубы для подростков" in page and "подростки" in page
    assert "Предложение А" in page and f"/proposals/{world['proposals'][0].id}" in page
    assert "Проект стратегии" in page
    response = client.post(f"/events/{e}/draft/sections/{s1.id}/support")
    assert response.status_code == 302
    assert db.session.get(PublishedSection, s1.id).support_count == 1
    response = client.post(f"/events/{e}/draft/sections/{s1.id}/support")
    assert response.status_code == 409 and "уже поддержали" in response.get_data(as_text=True)
    response = client.post(f"/events/{e}/draft/sections/{s1.id}/comments",
                           data={f"s{s1.id}-body": "Хорошо бы добавить сельские библиотеки",
                                 f"s{s1.id}-stance": "addition"})
    assert response.status_code == 302
    page = client.get(f"/events/{e}/draft").get_data(as_text=True)
    assert "Хорошо бы добавить сельские библиотеки" in page and "Дополнение" in page


def test_comment_form_errors_keep_the_text(client, auth, world):
    e = world["event"].id
    _review, by_section = published(world)
    s1 = by_section[world["s1"].id]
    auth.as_participant(world["participant"])
    response = client.post(f"/events/{e}/draft/sections/{s1.id}/comments",
                           data={f"s{s1.id}-body": "Мой текст без позиции"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Выберите позицию" in body and "Мой текст без позиции" in body
    response = client.post(f"/events/{e}/draft/sections/{s1.id}/comments",
                           data={f"s{s1.id}-body": "x", f"s{s1.id}-stance": "for"})
    assert response.status_code == 400 and "от 2 до 2000" in response.get_data(as_text=True)
    assert counts()[3] == 0
    ops.close_review(world["event"], world["organiser"])
    response = client.post(f"/events/{e}/draft/sections/{s1.id}/comments",
                           data={f"s{s1.id}-body": "x"})
    assert response.status_code == 409 and "закрыто" in response.get_data(as_text=True)


def test_participant_cannot_publish(client, auth, world):
    auth.as_participant(world["participant"])
    response = client.post(f"/events/{world['event'].id}/manage/draft/publish",
                           data={"scope": "all"})
    assert response.status_code == 403
    assert counts()[0] == 0


def test_manage_page_publishes_and_closes(client, auth, world):
    e = world["event"].id
    auth.as_staff(world["organiser"])
    assert "Опубликовать проект" in client.get(f"/events/{e}/manage/draft").get_data(as_text=True)
    response = client.post(f"/events/{e}/manage/draft/publish",
                           data={"scope": "all", "ends_at": "вчера"})
    assert response.status_code == 400 and "ДД.ММ.ГГГГ" in response.get_data(as_text=True)
    response = client.post(f"/events/{e}/manage/draft/publish", data={"scope": "all"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(DraftReview)).is_open()
    assert client.post(f"/events/{e}/manage/draft/close").status_code == 302
    assert not db.session.scalar(sa.select(DraftReview)).is_open()


def test_workspace_shows_comments_beside_the_section(client, auth, world):
    _review, by_section = published(world)
    ops.comment_section(by_section[world["s1"].id], world["participant"],
                        "Раздел нужно дополнить краеведением", "addition")
    auth.as_staff(world["organiser"])
    page = client.get(f"/events/{world['event'].id}/manage/workspace?track=social-hub")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Обсуждение проекта" in body and "Раздел нужно дополнить краеведением" in body


def test_docx_carries_the_discussion(client, auth, world):
    _review, by_section = published(world)
    ops.comment_section(by_section[world["s1"].id], world["participant"],
                        "Против закрытия клубов летом", "against")
    ops.support_section(by_section[world["s1"].id], world["participant"])
    auth.as_staff(world["organiser"])
    response = client.get(f"/events/{world['event'].id}/manage/export/strategy.docx")
    assert response.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(response.data)).paragraphs)
    assert "Обсуждение проекта" in text
    assert "Против закрытия клубов летом" in text


# --- the JSON API ----------------------------------------------------------------------------

def test_api_draft_support_and_comments(client, auth, world):
    e = world["event"].id
    response = client.get(f"/api/v1/events/{e}/draft")
    assert response.status_code == 404 and "не опубликован" in response.get_json()["message"]
    _review, by_section = published(world)
    s1 = by_section[world["s1"].id]
    data = client.get(f"/api/v1/events/{e}/draft").get_json()["data"]
    assert data["open"] is True and data["scope"] == "all"
    section = data["tracks"][0]["sections"][0]
    assert section["title"] == "Раздел 1" and section["key_terms"] == ["клуб", "подростки"]
    assert section["proposals"][0]["title"] == "Предложение А"
    assert section["stances"] == {"for": 0, "against": 0, "addition": 0}
    assert client.post(f"/api/v1/events/{e}/draft/sections/{s1.id}/support").status_code == 401
    auth.as_participant(world["participant"])
    answer = client.post(f"/api/v1/events/{e}/draft/sections/{s1.id}/support")
    assert answer.status_code == 200 and answer.get_json()["data"]["support_count"] == 1
    again = client.post(f"/api/v1/events/{e}/draft/sections/{s1.id}/support")
    assert again.status_code == 409 and "уже поддержали" in again.get_json()["message"]
    answer = client.delete(f"/api/v1/events/{e}/draft/sections/{s1.id}/support")
    assert answer.get_json()["data"] == {"section_id": s1.id, "supported": False,
                                         "support_count": 0}
    before = counts()
    bad = client.post(f"/api/v1/events/{e}/draft/sections/{s1.id}/comments",
                      json={"body": " ", "stance": "for"})
    assert bad.status_code == 422 or bad.status_code == 400
    bad = client.post(f"/api/v1/events/{e}/draft/sections/{s1.id}/comments",
                      json={"body": "Текст", "stance": "maybe"})
    assert bad.status_code in (400, 422) and "Выберите" in str(bad.get_json())
    assert counts() == before
    made = client.post(f"/api/v1/events/{e}/draft/sections/{s1.id}/comments",
                       json={"body": "Дополню: нужны сельские филиалы", "stance": "addition"})
    assert made.status_code == 201 and made.get_json()["data"]["stance"] == "addition"
    listed = client.get(f"/api/v1/events/{e}/draft/sections/{s1.id}/comments").get_json()
    assert [c["body"] for c in listed["data"]] == ["Дополню: нужны сельские филиалы"]
    assert client.get(f"/api/v1/events/{e}/draft/sections/99999/comments").status_code == 404


def test_api_refuses_strangers_and_closed_phase(client, auth, world):
    e = world["event"].id
    _review, by_section = published(world)
    s1 = by_section[world["s1"].id]
    auth.as_participant(world["stranger"])
    answer = client.post(f"/api/v1/events/{e}/draft/sections/{s1.id}/comments",
                         json={"body": "Чужой комментарий", "stance": "for"})
    assert answer.status_code == 403 and "другое мероприятие" in answer.get_json()["message"]
    ops.close_review(world["event"], world["organiser"])
    auth.logout()
    auth.as_participant(world["participant"])
    answer = client.post(f"/api/v1/events/{e}/draft/sections/{s1.id}/support")
    assert answer.status_code == 409 and "закрыто" in answer.get_json()["message"]
    assert counts()[2:] == (0, 0)


def test_openapi_documents_the_draft(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert "/api/v1/events/{event_id}/draft" in paths
    assert {"post", "delete"} <= set(paths["/api/v1/events/{event_id}/draft/sections/{section_id}/support"])
    assert {"get", "post"} <= set(paths["/api/v1/events/{event_id}/draft/sections/{section_id}/comments"])


# --- section comments in the moderation queue ------------------------------------------------

def audit_of(comment_id):
    from strategy.moderation.models import AuditEntry

    return db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.target_type == "section_comment", AuditEntry.target_id == comment_id)
        .order_by(AuditEntry.id)).all()


def test_flags_send_a_section_comment_back_to_the_queue_and_approval_publishes_it(world):
    from strategy.discussion.queries import queued_section_comments
    from strategy.moderation.models import Flag

    world["event"].flag_threshold = 2
    db.session.commit()
    _review, by_section = published(world)
    section = by_section[world["s1"].id]
    comment = ops.comment_section(section, world["author"], "Закрыть все клубы", "against")
    track = section.track_id
    assert queued_section_comments([track]) == []
    ops.flag_section_comment(world["participant"], comment, "Оскорбительно")
    refused(lambda: ops.flag_section_comment(world["participant"], comment), 409,
            "уже пожаловались")
    refused(lambda: ops.flag_section_comment(world["stranger"], comment), 403, "")
    db.session.refresh(comment)
    assert comment.flag_count == 1 and comment.published
    assert queued_section_comments([track]) == [comment]  # flagged: a facilitator looks
    ops.flag_section_comment(world["facilitator"], comment)
    db.session.refresh(comment)
    db.session.refresh(section)
    assert comment.status.value == "pending" and section.comment_count == 0
    assert not comment.can_view(world["participant"]) and comment.can_view(world["author"])
    assert section.stance_counts()["against"] == 0
    assert audit_of(comment.id) == ["auto_queue"]
    refused(lambda: ops.approve_section_comment(comment, world["other_fac"]), 403,
            "не модерируете")
    refused(lambda: ops.approve_section_comment(comment, world["participant"]), 403,
            "не модерируете")
    ops.approve_section_comment(comment, world["facilitator"])
    db.session.refresh(section)
    assert comment.published and comment.flag_count == 0 and section.comment_count == 1
    assert not db.session.scalar(sa.select(sa.func.count(Flag.id)).where(
        Flag.target_key == f"s{comment.id}", Flag.resolved.is_(False)))
    assert queued_section_comments([track]) == []
    refused(lambda: ops.approve_section_comment(comment, world["facilitator"]), 409,
            "не ждёт проверки")
    refused(lambda: ops.dismiss_section_comment_flags(comment, world["facilitator"]), 409,
            "Открытых жалоб нет")
    ops.flag_section_comment(world["organiser"], comment)  # a third person: one open flag
    ops.dismiss_section_comment_flags(comment, world["organiser"])
    db.session.refresh(comment)
    assert comment.published and comment.flag_count == 0
    assert audit_of(comment.id) == ["auto_queue", "section_comment_approve",
                                    "section_comment_flags_dismiss"]


def test_pre_moderation_holds_section_comments_until_approved(world):
    from strategy.events.models import ModerationMode

    world["event"].moderation_mode = ModerationMode.pre
    db.session.commit()
    _review, by_section = published(world)
    section = by_section[world["s1"].id]
    comment = ops.comment_section(section, world["author"], "Нужен летний лагерь", "addition")
    db.session.refresh(section)
    assert comment.status.value == "pending" and section.comment_count == 0
    assert section.comments_visible_to(world["participant"]) == []
    assert section.comments_visible_to(world["author"]) == [comment]
    refused(lambda: ops.flag_section_comment(world["participant"], comment), 409,
            "уже у модератора")
    ops.approve_section_comment(comment, world["organiser"])
    db.session.refresh(section)
    assert section.comment_count == 1 and section.comments_visible_to(world["participant"])


def test_queue_hides_a_section_comment_everywhere_with_an_audit_entry(client, auth, world):
    _review, by_section = published(world)
    section = by_section[world["s1"].id]
    kept = ops.comment_section(section, world["author"], "Поддерживаю клубы", "for")
    rude = ops.comment_section(section, world["author"], "Грубость про коллег", "against")
    e = world["event"].id
    auth.as_participant(world["participant"])
    page = client.get(f"/events/{e}/draft").get_data(as_text=True)
    assert f"/events/{e}/draft/comments/{rude.id}/flag" in page
    flagged = client.post(f"/events/{e}/draft/comments/{rude.id}/flag",
                          data={"reason": "Грубо"})
    assert flagged.status_code == 302
    again = client.post(f"/events/{e}/draft/comments/{rude.id}/flag")
    assert again.status_code == 409 and "уже пожаловались" in again.get_data(as_text=True)
    refused_page = client.post(f"/events/{e}/manage/draft/comments/{rude.id}/hide",
                               data={"reason": "Нет"})
    assert refused_page.status_code == 403
    auth.logout()

    auth.as_staff(world["facilitator"])
    queue = client.get(f"/events/{e}/manage/queue").get_data(as_text=True)
    assert "Грубость про коллег" in queue and "Поддерживаю клубы" not in queue
    assert "⚑ Грубо" in queue
    assert f"/manage/draft/comments/{rude.id}/hide" in queue
    empty = client.post(f"/events/{e}/manage/draft/comments/{rude.id}/hide",
                        data={"reason": " "})
    assert empty.status_code == 400 and "причину" in empty.get_data(as_text=True)
    hidden = client.post(f"/events/{e}/manage/draft/comments/{rude.id}/hide",
                         data={"reason": "Оскорбление коллег",
                               "next": f"/events/{e}/manage/queue"})
    assert hidden.status_code == 302 and hidden.headers["Location"].endswith("/manage/queue")
    assert audit_of(rude.id) == ["section_comment_hide"]
    assert "Грубость про коллег" not in client.get(
        f"/events/{e}/manage/queue").get_data(as_text=True)
    auth.logout()

    auth.as_participant(world["participant"])
    page = client.get(f"/events/{e}/draft").get_data(as_text=True)
    assert "Поддерживаю клубы" in page and "Грубость про коллег" not in page
    auth.logout()
    auth.as_staff(world["organiser"])
    workspace = client.get(f"/events/{e}/manage/workspace?track=social-hub").get_data(
        as_text=True)
    assert "Поддерживаю клубы" in workspace and "Грубость про коллег" not in workspace
    docx = client.get(f"/events/{e}/manage/export/strategy.docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.data)).paragraphs)
    assert "Поддерживаю клубы" in text and "Грубость про коллег" not in text
    log = client.get(f"/events/{e}/manage/audit").get_data(as_text=True)
    assert "Комментарий к проекту скрыт" in log
    restored = client.post(f"/events/{e}/manage/draft/comments/{rude.id}/restore")
    assert restored.status_code == 302
    db.session.expire_all()
    assert db.session.get(SectionComment, rude.id).published
    assert db.session.get(SectionComment, kept.id).published


def test_api_moderates_section_comments_like_the_queue(client, auth, world):
    """Pre-moderation through /api/v1: the facilitator approves, hides with a reason the author
    reads, restores; a flag is counted once per person; every step is audited."""
    from strategy.events.models import ModerationMode

    world["event"].moderation_mode = ModerationMode.pre
    db.session.commit()
    e = world["event"].id
    _review, by_section = published(world)
    section = by_section[world["s1"].id]
    comment = ops.comment_section(section, world["author"], "Нужен летний лагерь", "addition")
    base = f"/api/v1/events/{e}/draft/comments/{comment.id}"
    auth.as_participant(world["participant"])
    refused_api = client.post(f"{base}/approve")
    assert refused_api.status_code == 403 and "не модерируете" in refused_api.get_json()["message"]
    auth.logout()
    auth.as_staff(world["facilitator"])
    approved = client.post(f"{base}/approve")
    assert approved.status_code == 200
    assert approved.get_json()["data"]["status"] == "published"
    assert approved.get_json()["meta"]["message"] == "Комментарий опубликован."
    db.session.expire_all()
    assert db.session.get(PublishedSection, section.id).comment_count == 1
    no_reason = client.post(f"{base}/hide", json={})
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["errors"]
    hidden = client.post(f"{base}/hide", json={"reason": "Повтор другого комментария"})
    assert hidden.get_json()["data"]["status"] == "hidden"
    assert client.post(f"{base}/hide", json={"reason": "Ещё раз"}).status_code == 409
    auth.logout()
    auth.as_participant(world["author"])
    mine = client.get(f"/api/v1/events/{e}/draft/sections/{section.id}/comments").get_json()
    assert mine["data"][0]["hidden_reason"] == "Повтор другого комментария"
    assert mine["data"][0]["flag_count"] is None  # the author does not moderate
    auth.logout()
    auth.as_staff(world["facilitator"])
    assert client.post(f"{base}/restore").get_json()["data"]["status"] == "published"
    auth.logout()
    auth.as_participant(world["participant"])
    flagged = client.post(f"{base}/flag", json={"reason": "Не по теме"})
    assert flagged.status_code == 200 and "жалоба передана" in flagged.get_json()["meta"]["message"]
    again = client.post(f"{base}/flag", json={})
    assert again.status_code == 409 and "уже пожаловались" in again.get_json()["message"]
    assert client.post(f"/api/v1/events/{e}/draft/comments/99999/flag").status_code == 404
    assert audit_of(comment.id) == ["section_comment_approve", "section_comment_hide",
                                    "section_comment_restore"]


def test_api_publishes_closes_and_then_refuses_comments(client, auth, world):
    """The methodical group publishes through the API; closing freezes the comments, and a
    comment outside the phase is refused in Russian with nothing written."""
    e = world["event"].id
    auth.as_participant(world["participant"])
    early = client.post(f"/api/v1/events/{e}/draft/publish", json={"scope": "all"})
    assert early.status_code == 403 and "методическая группа" in early.get_json()["message"]
    before = client.post(f"/api/v1/events/{e}/draft/sections/1/comments",
                         json={"body": "Раньше времени", "stance": "for"})
    assert before.status_code == 404 and "не опубликован" in before.get_json()["message"]
    assert counts() == (0, 0, 0, 0)
    auth.logout()
    auth.as_staff(world["organiser"])
    bad = client.post(f"/api/v1/events/{e}/draft/publish", json={"ends_at": "завтра"})
    assert bad.status_code == 422 and "ISO 8601" in str(bad.get_json()["errors"])
    past = client.post(f"/api/v1/events/{e}/draft/publish",
                       json={"ends_at": "2020-01-01T10:00:00+08:00"})
    assert past.status_code == 400 and "уже прошло" in past.get_json()["message"]
    assert counts() == (0, 0, 0, 0)
    done = client.post(f"/api/v1/events/{e}/draft/publish",
                       json={"scope": "agreed", "ends_at": "2099-01-01T18:00:00+08:00"})
    assert done.status_code == 200
    draft = done.get_json()["data"]
    assert draft["open"] and draft["scope"] == "agreed"
    assert draft["ends_at"] == "2099-01-01T10:00:00Z"
    section = draft["tracks"][0]["sections"][0]["id"]
    auth.logout()
    auth.as_participant(world["participant"])
    url = f"/api/v1/events/{e}/draft/sections/{section}/comments"
    assert client.post(url, json={"body": "Поддерживаю раздел", "stance": "for"}
                       ).status_code == 201
    auth.logout()
    auth.as_staff(world["organiser"])
    closed = client.post(f"/api/v1/events/{e}/draft/close")
    assert closed.status_code == 200 and closed.get_json()["data"]["open"] is False
    again = client.post(f"/api/v1/events/{e}/draft/close")
    assert again.status_code == 409 and "уже закрыто" in again.get_json()["message"]
    auth.logout()
    auth.as_participant(world["participant"])
    frozen = counts()
    late = client.post(url, json={"body": "После закрытия", "stance": "against"})
    assert late.status_code == 409 and re.search("[а-я]", late.get_json()["message"])
    page = client.post(f"/events/{e}/draft/sections/{section}/comments",
                       data={f"s{section}-body": "После закрытия", f"s{section}-stance": "for"})
    assert page.status_code == 409 and "закрыто" in page.get_data(as_text=True)
    db.session.expire_all()
    assert counts() == frozen


def test_page_comment_or_support_before_publishing_says_why(client, auth, world):
    e, s1 = world["event"].id, world["s1"].id
    auth.as_participant(world["participant"])
    early = client.post(f"/events/{e}/draft/sections/{s1}/comments",
                        data={f"s{s1}-body": "Раньше времени", f"s{s1}-stance": "for"})
    assert early.status_code == 404
    assert "Проект ещё не опубликован для обсуждения." in early.get_data(as_text=True)
    support = client.post(f"/events/{e}/draft/sections/{s1}/support")
    assert support.status_code == 404 and "не опубликован" in support.get_data(as_text=True)
    assert counts() == (0, 0, 0, 0)
    published(world)
    missing = client.post(f"/events/{e}/draft/sections/99999/comments",
                          data={"s99999-body": "Нет раздела", "s99999-stance": "for"})
    assert missing.status_code == 404
    assert "Раздел проекта не найден." in missing.get_data(as_text=True)
