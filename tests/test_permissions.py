"""Permission rules live on the models and are checked by the operations themselves, so the
UI, the API, the CLI and the seed are guarded alike. These tests call the operations directly."""
import pytest

from strategy.auth.models import Role
from strategy.comments.operations import add_comment
from strategy.core.errors import OperationError
from strategy.events import operations as event_ops
from strategy.extensions import db
from strategy.moderation import operations as moderation_ops
from strategy.proposals.operations import join_project
from strategy.supports.operations import add_support
from strategy.workspace import operations as workspace_ops
from tests.test_roles import draft_sections


@pytest.fixture
def two_events(create_event, event, create_participant, create_proposal):
    other = create_event(code="OTHER27", title="Другое мероприятие")
    track = event.tracks[1]
    author = create_participant(event, name="Автор")
    proposal = create_proposal(track, author)
    stranger = create_participant(other, name="Гость")
    return event, other, track, proposal, stranger


def refused(call, status=403):
    with pytest.raises(OperationError) as caught:
        call()
    assert caught.value.status == status
    return caught.value.message


def test_a_participant_of_another_event_cannot_act_here(two_events, create_proposal):
    event, _other, track, proposal, stranger = two_events
    assert "другое мероприятие" in refused(lambda: add_support(proposal, stranger))
    refused(lambda: add_comment(proposal, stranger, "Чужой комментарий"))
    refused(lambda: join_project(proposal, stranger, library="ЦБС"))
    refused(lambda: create_proposal(track, stranger, title="Чужое предложение в треке"))
    refused(lambda: moderation_ops.flag(stranger, proposal))
    db.session.rollback()
    assert proposal.support_count == 0 and proposal.comment_count == 0


def test_staff_of_another_event_cannot_moderate_or_manage_here(two_events, create_staff):
    event, other, track, proposal, _stranger = two_events
    organiser = create_staff(Role.organiser, email="other@example.org", event=other)
    refused(lambda: moderation_ops.hide_proposal(proposal, organiser, "Не из этого события"))
    refused(lambda: event_ops.close_phase(track, organiser, "support"))
    refused(lambda: event_ops.set_event_settings(event, organiser, moderation_mode="pre",
                                                 flag_threshold=3))
    db.session.rollback()
    assert proposal.is_visible and track.support_open


def test_a_facilitator_mutes_only_people_who_wrote_in_their_tracks(two_events, create_staff,
                                                                   create_participant):
    event, _other, track, proposal, _stranger = two_events
    author = proposal.author
    elsewhere = create_staff(Role.facilitator, email="genius@example.org")
    elsewhere.facilitated_tracks.append(event.tracks[0])
    mine = create_staff(Role.facilitator, email="hub@example.org")
    mine.facilitated_tracks.append(track)
    db.session.commit()
    assert "Ограничить можно" in refused(
        lambda: moderation_ops.set_muted(author, elsewhere, event, True))
    silent = create_participant(event, name="Молчаливый участник")
    refused(lambda: moderation_ops.set_muted(silent, mine, event, True))
    moderation_ops.set_muted(author, mine, event, True)
    assert author.is_muted


def test_workspace_edits_are_refused_to_anyone_but_the_events_organisers(two_events,
                                                                        create_staff,
                                                                        create_proposal):
    event, other, track, proposal, _stranger = two_events
    second_proposal = create_proposal(track, proposal.author, title="Второе предложение трека")
    _run, first, second = draft_sections(event, track, [proposal, second_proposal])
    facilitator = create_staff(Role.facilitator, email="hub@example.org")
    outsider = create_staff(Role.organiser, email="other@example.org", event=other)
    for actor in (facilitator, outsider, None):
        refused(lambda: workspace_ops.rename_section(first, actor, "Чужое название"))
        refused(lambda: workspace_ops.merge_sections(first, second, actor))
    refused(lambda: workspace_ops.start_run(event, track, facilitator))
    db.session.rollback()
    assert first.title == "Раздел 1"


def test_rename_validates_before_it_changes_anything(two_events, create_staff):
    event, _other, track, proposal, _stranger = two_events
    _run, first, _second = draft_sections(event, track, [proposal])
    organiser = create_staff(Role.organiser, email="metod@example.org")
    refused(lambda: workspace_ops.rename_section(first, organiser, "Новое имя", "я" * 5000), 400)
    assert first.title == "Раздел 1" and not db.session.dirty


def test_my_supports_leave_out_what_moderation_hid(client, auth, two_events, create_staff,
                                                   create_participant):
    event, _other, _track, proposal, _stranger = two_events
    supporter = create_participant(event, name="Сторонник")
    add_support(proposal, supporter)
    organiser = create_staff(Role.organiser, email="metod@example.org")
    moderation_ops.hide_proposal(proposal, organiser, "Нарушает правила")
    auth.as_participant(supporter)
    page = client.get(f"/events/{event.id}/my/supports").get_data(as_text=True)
    assert proposal.title not in page


def test_hidden_replies_are_shown_to_moderators_not_to_participants(client, auth, two_events,
                                                                   create_staff):
    event, _other, _track, proposal, _stranger = two_events
    top = add_comment(proposal, proposal.author, "Первый комментарий")
    reply = add_comment(proposal, proposal.author, "Ответ, который скроют", parent=top)
    organiser = create_staff(Role.organiser, email="metod@example.org")
    moderation_ops.hide_comment(reply, organiser, "Оскорбление")
    reader = event.participants[0]
    assert top.replies_visible_to(reader) == [reply]  # the author still sees their own
    assert top.replies_visible_to(None) == []
    assert top.replies_visible_to(organiser) == [reply]


def test_a_refused_operation_leaves_nothing_in_the_session(two_events):
    from strategy.core.errors import operation

    _event, _other, _track, proposal, _stranger = two_events

    @operation
    def rename_then_refuse(target):
        target.title = "Изменено до отказа"
        raise OperationError("Отказ", 409)

    refused(lambda: rename_then_refuse(proposal), 409)
    assert not db.session.dirty
    assert proposal.title == "Краеведческий клуб для подростков"
