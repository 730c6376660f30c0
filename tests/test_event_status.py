"""What an event's state lets people do: open takes everything; finished (as Decidim's finished
process) takes no new proposals, edits, supports, library joins, registrations or poll answers
and stays readable, while the discussion (comments, the published draft's review) goes on;
archived is read-only for everyone; a draft is for staff only. Every refusal is a Russian 409
and writes nothing; the pages show a notice instead of a form that would fail."""
from datetime import date

import pytest
import sqlalchemy as sa

from strategy.auth.models import Role
from strategy.comments.models import Comment
from strategy.comments.operations import add_comment
from strategy.core.errors import OperationError
from strategy.discussion import operations as discussion
from strategy.discussion.models import SectionComment, SectionSupport
from strategy.events import operations as events
from strategy.auth.operations import set_participation_mode
from strategy.events.models import EventStatus, ParticipationMode
from strategy.extensions import db
from strategy.moderation.models import Flag
from strategy.moderation import operations as moderation
from strategy.moderation.operations import flag
from strategy.polls import operations as polls
from strategy.polls.models import Poll, PollAnswer
from strategy.programme import operations as programme
from strategy.programme.models import Registration, RegistrationStatus
from strategy.proposals import operations as proposals
from strategy.review import operations as review
from strategy.review.models import AnswerState, OfficialAnswer
from strategy.proposals.models import LibraryJoin, Proposal, ProposalRevision
from strategy.supports.models import Support
from strategy.supports.operations import add_support, withdraw_support
from strategy.workspace import operations as workspace
from strategy.workspace.models import ClusterRun, DraftSection
from tests.test_roles import draft_sections

ITEM = {"title": "Мастерская «Гений места»", "day": "2026-09-28", "start": "10:00",
        "end": "11:30", "track": "genius-loci", "format": "hall", "place": "Зал 1",
        "online_url": "", "speakers": "", "description": "", "registration_required": True,
        "capacity_hall": "20", "capacity_online": "", "waitlist": True}
BODY = "Хорошая мысль: наша библиотека готова участвовать в этом проекте."


def item(event, actor, title, place):
    return programme.create_item(event, actor, programme.ItemData(
        **(ITEM | {"title": title, "place": place})))


@pytest.fixture
def world(create_event, create_staff, create_participant, create_proposal):
    event = create_event(starts_on=date(2026, 9, 27), ends_on=date(2026, 9, 29))
    hub = next(t for t in event.tracks if t.slug == "social-hub")
    organiser = create_staff(Role.organiser, email="metod@example.org")
    author = create_participant(event, name="Автор")
    reader = create_participant(event, name="Читатель")
    theirs = create_proposal(hub, author, title="Клуб настольных игр")
    supported = create_proposal(hub, author, title="Лекторий краеведа")
    mine = create_proposal(hub, reader, title="Мой медиацентр")
    add_support(supported, reader)
    proposals.join_project(supported, reader, library="ЦБС Тулуна")
    registered, free = item(event, organiser, "Сессия А", "Зал 1"), \
        item(event, organiser, "Сессия Б", "Зал 2")
    programme.register(registered, reader, "hall")
    poll = polls.create_poll(event, organiser, polls.PollData(
        question="Что взять в стратегию?", kind="single", track="", options=["Клубы", "Лекции"]))
    polls.open_poll(poll, organiser)
    _run, s1, _s2 = draft_sections(event, hub, [theirs, supported, mine])
    db.session.commit()
    review = discussion.publish_draft(event, organiser)
    section = next(s for s in review.visible_sections if s.section_id == s1.id)
    return {"event": event, "hub": hub, "organiser": organiser, "reader": reader,
            "author": author, "theirs": theirs, "supported": supported, "mine": mine,
            "registered": registered, "free": free, "poll": poll, "section": section}


WRITES = {
    "propose": lambda w: proposals.create_proposal(w["hub"], w["reader"], {
        "title": "Библиотечный коворкинг", "body": BODY, "kind": "idea"}),
    "edit": lambda w: proposals.update_proposal(w["mine"], w["reader"], {
        "title": "Мой медиацентр для подростков"}),
    "support": lambda w: add_support(w["theirs"], w["reader"]),
    "withdraw support": lambda w: withdraw_support(w["supported"], w["reader"]),
    "comment": lambda w: add_comment(w["theirs"], w["reader"], BODY),
    "flag": lambda w: flag(w["reader"], w["theirs"], reason="Не по теме"),
    "join": lambda w: proposals.join_project(w["theirs"], w["reader"], library="ЦБС Тулуна"),
    "leave": lambda w: proposals.leave_project(w["supported"], w["reader"]),
    "register": lambda w: programme.register(w["free"], w["reader"], "hall"),
    "cancel": lambda w: programme.cancel_registration(w["registered"], w["reader"]),
    "answer": lambda w: polls.answer_poll(w["poll"], w["reader"],
                                          options=[w["poll"].options[0].id]),
    "support section": lambda w: discussion.support_section(w["section"], w["reader"]),
    "comment section": lambda w: discussion.comment_section(w["section"], w["reader"], BODY,
                                                            "for"),
}
# The discussion goes on after the workshop; everything else stops.
AFTER_FINISH = {"comment", "flag", "support section", "comment section"}
NOTICES = {
    "draft": "Мероприятие ещё не открыто",
    "archived": "Мероприятие в архиве: только чтение.",
    "finished": "Мероприятие завершено —",
}


def written() -> tuple:
    """Everything a participant's write could change."""
    def n(model, *where):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

    return (n(Proposal), n(ProposalRevision), n(Support), n(Comment), n(LibraryJoin), n(Flag),
            n(Registration, Registration.status == RegistrationStatus.registered),
            n(Registration, Registration.status == RegistrationStatus.cancelled),
            n(PollAnswer), n(SectionSupport), n(SectionComment),
            db.session.scalar(sa.select(sa.func.sum(Proposal.support_count))),
            db.session.scalar(sa.select(sa.func.sum(Proposal.join_count))),
            tuple(db.session.scalars(sa.select(Proposal.title).order_by(Proposal.id))))


def set_status(event, status: str) -> None:
    """The state alone (the tracks' phases stay open), so a refusal is the event's doing."""
    event.status = EventStatus(status)
    db.session.commit()


@pytest.mark.parametrize("status", ["open", "finished", "archived", "draft"])
@pytest.mark.parametrize("write", list(WRITES))
def test_every_participant_write_in_every_state(world, write, status):
    set_status(world["event"], status)
    before = written()
    allowed = status == "open" or (status == "finished" and write in AFTER_FINISH)
    if allowed:
        WRITES[write](world)
        db.session.expire_all()
        assert written() != before
        return
    with pytest.raises(OperationError) as refused:
        WRITES[write](world)
    assert refused.value.status == 409
    assert NOTICES[status] in refused.value.message
    db.session.rollback()
    db.session.expire_all()
    assert written() == before


def test_the_model_rules_match(world):
    event = world["event"]
    set_status(event, "finished")
    assert not world["theirs"].can_support(world["reader"])
    assert not world["mine"].can_edit(world["reader"])
    assert event.can_take_part("comment") and not event.can_take_part("register")
    assert event.closed_notice("propose") == "Мероприятие завершено — приём предложений закрыт."
    set_status(event, "open")
    assert world["theirs"].can_support(world["reader"])
    assert world["mine"].can_edit(world["reader"])


# --- staff -----------------------------------------------------------------------------------

STAFF_WRITES = {
    "update event": lambda w: events.update_event(w["event"], w["organiser"], events.EventData(
        title="Новое название", code=w["event"].code, starts_on=w["event"].starts_on,
        ends_on=w["event"].ends_on)),
    "add track": lambda w: events.create_track(w["event"], w["organiser"],
                                               events.TrackData(title="Новый трек")),
    "open phase": lambda w: events.open_phase(w["hub"], w["organiser"], "submission"),
    "support rules": lambda w: events.set_support_rules(
        w["hub"], w["organiser"], budget=3, hide_counts=False, projector_shows_counts=True),
    "settings": lambda w: events.set_event_settings(w["event"], w["organiser"],
                                                    moderation_mode="pre", flag_threshold=3),
    "add item": lambda w: item(w["event"], w["organiser"], "Сессия В", "Зал 3"),
    "new poll": lambda w: polls.create_poll(w["event"], w["organiser"], polls.PollData(
        question="Ещё вопрос?", kind="single", track="", options=["Да", "Нет"])),
    "participation": lambda w: set_participation_mode(w["event"], w["organiser"],
                                                      ParticipationMode.invited),
    "reopen": lambda w: events.change_event_status(w["event"], w["organiser"], "open"),
}


def staff_written(event) -> tuple:
    db.session.expire_all()
    return (event.title, event.moderation_mode.value, event.participation_mode.value,
            len(event.tracks), len(event.schedule),
            tuple((t.submission_open, t.support_budget) for t in event.tracks),
            db.session.scalar(sa.select(sa.func.count(Poll.id))), event.status.value)




# The draft's work is staff work too: once archived, the workspace, moderation, expertise and
# the discussion are read-only like the rest.
DRAFT_WRITES = {
    "group": lambda w: workspace.start_run(w["event"], w["hub"], w["organiser"]),
    "rename section": lambda w: workspace.rename_section(
        first_section(w), w["organiser"], "Новое название раздела"),
    "lock section": lambda w: workspace.set_locked(first_section(w), w["organiser"], True),
    "hide proposal": lambda w: moderation.hide_proposal(w["theirs"], w["organiser"], "Не по теме"),
    "pin proposal": lambda w: moderation.set_pinned(w["theirs"], w["organiser"], True),
    "answer": lambda w: review.give_answer(w["theirs"], w["organiser"], AnswerState.accepted,
                                           "Принято в стратегию."),
    "criteria": lambda w: review.set_criteria(w["event"], w["organiser"],
                                              [(None, "Новизна")]),
    "close review": lambda w: discussion.close_review(w["event"], w["organiser"]),
}


def first_section(world) -> DraftSection:
    return db.session.scalars(sa.select(DraftSection).where(
        DraftSection.track_id == world["hub"].id).order_by(DraftSection.id)).first()


def draft_written(event) -> tuple:
    db.session.expire_all()
    sections = db.session.scalars(sa.select(DraftSection).order_by(DraftSection.id)).all()
    return (tuple((s.title, s.locked) for s in sections),
            tuple(db.session.scalars(sa.select(Proposal.status).order_by(Proposal.id))),
            tuple(db.session.scalars(sa.select(Proposal.is_pinned).order_by(Proposal.id))),
            db.session.scalar(sa.select(sa.func.count(OfficialAnswer.id))),
            db.session.scalar(sa.select(sa.func.count(ClusterRun.id))),
            tuple(c["title"] for c in review.criteria_of(event)),
            discussion.review_of(event).closed_at)


@pytest.mark.parametrize("write", list(STAFF_WRITES) + list(DRAFT_WRITES))
def test_an_archived_event_refuses_every_staff_change(world, write):
    event = world["event"]
    set_status(event, "archived")
    before = staff_written(event), draft_written(event)
    with pytest.raises(OperationError) as refused:
        (STAFF_WRITES | DRAFT_WRITES)[write](world)
    assert refused.value.status == 409
    assert "архив" in refused.value.message
    db.session.rollback()
    assert (staff_written(event), draft_written(event)) == before


@pytest.mark.parametrize("write", list(DRAFT_WRITES))
def test_the_drafts_work_goes_on_in_a_finished_event(world, write):
    """The methodical group writes the strategy after the workshop: a finished event takes it."""
    event = world["event"]
    set_status(event, "finished")
    before = draft_written(event)
    DRAFT_WRITES[write](world)
    assert draft_written(event) != before


@pytest.mark.parametrize("write", [w for w in STAFF_WRITES if w != "reopen"])
def test_a_finished_event_is_still_the_organisers_to_work_on(world, write):
    """Organisers go on after the workshop (settings, programme, outcomes); only reopening a
    track's phase waits for the event itself to be reopened."""
    event = world["event"]
    world["hub"].submission_open = False
    set_status(event, "finished")
    before = staff_written(event)
    if write == "open phase":
        with pytest.raises(OperationError) as refused:
            STAFF_WRITES[write](world)
        assert refused.value.status == 409 and "«завершено»" in refused.value.message
        db.session.rollback()
        assert staff_written(event) == before
        return
    STAFF_WRITES[write](world)
    assert staff_written(event) != before


# --- pages and the API -----------------------------------------------------------------------

def text(response) -> str:
    return response.get_data(as_text=True)


def test_finished_pages_show_the_notice_instead_of_the_forms(client, auth, world):
    event, reader = world["event"], world["reader"]
    set_status(event, "finished")
    auth.as_participant(reader)
    base = f"/events/{event.id}"
    home = text(client.get(base))
    assert "Мероприятие завершено — приём предложений закрыт" in home
    assert f'href="{base}/proposals/new"' not in home
    track = text(client.get(f"{base}/tracks/social-hub"))
    assert "Мероприятие завершено — приём предложений закрыт" in track
    edit = client.get(f"{base}/proposals/{world['mine'].id}/edit")  # the reader's own
    assert edit.status_code == 409 and "приём предложений закрыт" in text(edit)
    detail = text(client.get(f"{base}/proposals/{world['theirs'].id}"))
    assert "Мероприятие завершено — поддержка закрыта." in detail
    assert f'action="{base}/proposals/{world["theirs"].id}/support"' not in detail
    assert "Мероприятие завершено — присоединиться к проекту уже нельзя." in detail
    assert 'id="comment-form"' in detail and "Пожаловаться" in detail  # discussion goes on
    item_page = text(client.get(f"{base}/programme/{world['free'].id}"))
    assert "Мероприятие завершено — регистрация закрыта." in item_page
    assert f'action="{base}/programme/{world["free"].id}/register"' not in item_page
    poll_page = text(client.get(f"{base}/polls/{world['poll'].id}"))
    assert "Мероприятие завершено — опросы закрыты." in poll_page
    assert 'class="stack poll-form"' not in poll_page

    before = written()
    posted = client.post(f"{base}/proposals/new", data={
        "track": "social-hub", "title": "Библиотечный коворкинг", "body": BODY, "kind": "idea"})
    assert posted.status_code == 409 and "приём предложений закрыт" in text(posted)
    supported = client.post(f"{base}/proposals/{world['theirs'].id}/support")
    assert supported.status_code == 409 and "поддержка закрыта" in text(supported)
    registered = client.post(f"{base}/programme/{world['free'].id}/register",
                             data={"seat": "hall"})
    assert registered.status_code == 409 and "регистрация закрыта" in text(registered)
    api = client.post(f"/api/v1/events/{event.id}/proposals/{world['theirs'].id}/support")
    assert api.status_code == 409
    assert api.get_json()["message"] == "Мероприятие завершено — поддержка закрыта."
    assert written() == before
    commented = client.post(f"{base}/proposals/{world['theirs'].id}/comments",
                            data={"body": BODY, "stance": ""})
    assert commented.status_code == 302
    assert written() != before


def test_archived_pages_are_read_only(client, auth, world):
    event, reader = world["event"], world["reader"]
    set_status(event, "archived")
    auth.as_participant(reader)
    base = f"/events/{event.id}"
    detail = text(client.get(f"{base}/proposals/{world['theirs'].id}"))
    assert detail.count("Мероприятие в архиве: только чтение.") >= 3  # support, join, comments
    assert 'id="comment-form"' not in detail and "<summary>Ответить</summary>" not in detail
    assert "Пожаловаться" not in detail
    draft = text(client.get(f"{base}/draft"))
    assert "Мероприятие в архиве: только чтение." in draft
    assert f"/draft/sections/{world['section'].id}/comment" not in draft
    before = written()
    commented = client.post(f"{base}/proposals/{world['theirs'].id}/comments",
                            data={"body": BODY, "stance": ""})
    assert commented.status_code == 409 and "только чтение" in text(commented)
    api = client.post(f"/api/v1/events/{event.id}/proposals/{world['theirs'].id}/comments",
                      json={"body": BODY})
    assert api.status_code == 409
    cancelled = client.post(f"{base}/programme/{world['registered'].id}/cancel")
    assert cancelled.status_code == 409
    assert written() == before


def test_archived_staff_pages_say_so_and_offer_no_changes(client, auth, world):
    event = world["event"]
    set_status(event, "archived")
    auth.as_staff(world["organiser"])
    page = text(client.get(f"/events/{event.id}/manage/workspace"))
    assert "Мероприятие в архиве: только чтение." in page
    assert "data-run-form" not in page
    track = first_section(world).track
    sections = text(client.get(f"/events/{event.id}/manage/workspace?track={track.slug}"))
    assert first_section(world).title in sections  # the sections are shown, read-only
    for control in ('class="move-form"', 'class="section-tools"', 'class="pick"'):
        assert control not in sections
    started = client.post(f"/events/{event.id}/manage/workspace/runs", data={"track": "all"})
    assert started.status_code == 409 and "только чтение" in text(started)
    renamed = client.post(f"/events/{event.id}/manage/workspace/sections/"
                          f"{first_section(world).id}/rename", data={"title": "Другое"})
    assert renamed.status_code == 409
    db.session.expire_all()
    assert first_section(world).title != "Другое"


def rule_urls(app, event_id: int):
    """Every GET rule of the app that names an event, filled with this event's id."""
    for rule in app.url_map.iter_rules():
        if "event_id" not in rule.arguments or "GET" not in (rule.methods or ()):
            continue
        values = {}
        for name in rule.arguments:
            converter = rule._converters.get(name)
            kind = type(converter).__name__ if converter else ""
            if name == "event_id":
                values[name] = event_id
            elif kind == "IntegerConverter":
                values[name] = 1
            elif kind == "AnyConverter":
                values[name] = next(iter(converter.items)) if hasattr(converter, "items") \
                    else "csv"
            else:
                values[name] = "social-hub" if name == "slug" else "x"
        try:
            yield rule.rule, rule.build(values, append_unknown=False)[1]
        except Exception:  # a converter this sweep does not fill: built by hand below
            continue


def test_a_draft_event_is_found_by_staff_only_on_every_route(app, client, auth, world,
                                                            create_event, create_participant):
    event = world["event"]
    event.title = "Секретный черновик форума"
    set_status(event, "draft")
    other = create_event(code="OTHER27", title="Другое мероприятие")
    outsider = create_participant(other, name="Гость")
    urls = list(rule_urls(app, event.id))
    assert len(urls) > 30
    for who in ("anonymous", "participant of another event"):
        if who != "anonymous":
            auth.as_participant(outsider)
        for rule, url in urls:
            response = client.get(url)
            # 400/422: the query's own arguments are checked before the event is looked up.
            assert response.status_code in (302, 400, 401, 403, 404, 422), (
                who, rule, url, response.status_code)
            assert world["event"].title not in text(response), (who, rule)
            assert world["theirs"].title not in text(response), (who, rule)
        auth.logout()
    auth.as_staff(world["organiser"])
    assert client.get(f"/events/{event.id}").status_code == 200
    assert "Черновик" in text(client.get(f"/events/{event.id}"))
