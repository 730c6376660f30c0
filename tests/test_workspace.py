"""The methodical group's workspace: permissions, background runs, edits that survive re-runs."""
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from strategy.auth.models import Role
from strategy.core.db import utcnow
from strategy.core.errors import OperationError
from strategy.extensions import db
from strategy.proposals.models import ProposalStatus
from strategy.workspace import operations as ops
from strategy.workspace.models import (ClusterRun, DraftSection, RunLock, RunStatus,
                                       SectionAssignment, SectionEdit, SectionState)

TOPICS = {
    "craft": [
        ("Краеведческий музей в сельской библиотеке", "Собрать предметы быта старожилов села "
         "и открыть музейную комнату краеведения в библиотеке."),
        ("Краеведческие экскурсии по селу", "Экскурсии по истории села для школьников с "
         "рассказами старожилов и краеведов."),
        ("Краеведческий архив семейных историй", "Оцифровать семейные фотографии и истории "
         "старожилов для краеведческого архива района."),
        ("Клуб юных краеведов", "Школьники изучают историю своего села, встречаются со "
         "старожилами, готовят краеведческие экскурсии."),
    ],
    "digital": [
        ("Курсы компьютерной грамотности для пенсионеров", "Учим пенсионеров пользоваться "
         "Госуслугами, смартфоном и интернетом в библиотеке."),
        ("Цифровая грамотность старшего поколения", "Занятия для пенсионеров: смартфон, "
         "интернет, Госуслуги, защита от мошенников."),
        ("Волонтёры цифровой помощи", "Школьники-волонтёры помогают пенсионерам освоить "
         "смартфон и портал Госуслуги."),
        ("Консультации по Госуслугам в библиотеке", "Библиотекарь помогает жителям записаться "
         "к врачу через Госуслуги и интернет."),
    ],
}


@pytest.fixture
def organiser(create_staff):
    return create_staff(role=Role.organiser, email="metod@example.org")


@pytest.fixture
def people(event, create_participant):
    return [create_participant(event, name=f"Участник {i}", library=f"Библиотека {i}")
            for i in range(4)]


@pytest.fixture
def filled(event, people, create_proposal):
    """Eight proposals in two topics in the first track, with some supports."""
    from strategy.supports.operations import add_support

    track = event.tracks[0]
    proposals = []
    for index, (title, body) in enumerate(TOPICS["craft"] + TOPICS["digital"]):
        proposals.append(create_proposal(track, people[index % 4], title=title, body=body))
    for proposal, supporters in zip(proposals, ([1, 2], [0], [], [3], [0, 1, 2], [3], [], [])):
        for person in supporters:
            if proposal.author_id != people[person].id:
                add_support(proposal, people[person])
    return proposals


def wait_for(client, event, run_id, timeout=60):
    """Poll the JSON status as the page does until the run ends."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        data = client.get(f"/events/{event.id}/manage/workspace/runs/{run_id}",
                          headers={"Accept": "application/json"}).get_json()["data"]
        if not data["active"]:
            return data
        time.sleep(0.2)
    raise AssertionError("run did not finish")


def run_via_http(client, event, track="genius-loci"):
    response = client.post(f"/events/{event.id}/manage/workspace/runs", data={"track": track},
                           headers={"Accept": "application/json"})
    assert response.status_code == 202, response.get_json()
    return wait_for(client, event, response.get_json()["data"]["id"])


def sections_of(track):
    return list(db.session.scalars(sa.select(DraftSection).where(
        DraftSection.track_id == track.id).order_by(DraftSection.id)))


def section_of(proposal) -> DraftSection:
    db.session.expire_all()
    assignment = db.session.scalar(sa.select(SectionAssignment).where(
        SectionAssignment.proposal_id == proposal.id))
    return assignment.section if assignment else None


WORKSPACE_URLS = ["/events/{id}/manage/workspace",
                  "/events/{id}/manage/workspace?track=social-hub"]


@pytest.mark.parametrize("url", WORKSPACE_URLS)
def test_anonymous_is_sent_to_sign_in(client, event, url):
    response = client.get(url.format(id=event.id))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", WORKSPACE_URLS)
def test_participant_and_facilitator_get_403(client, auth, event, create_participant,
                                             create_staff, url):
    auth.as_participant(create_participant(event))
    assert client.get(url.format(id=event.id)).status_code == 403
    assert client.post(f"/events/{event.id}/manage/workspace/runs",
                       data={"track": "all"}).status_code == 403
    auth.logout()
    auth.as_staff(create_staff(role=Role.facilitator))
    assert client.get(url.format(id=event.id)).status_code == 403


def test_run_groups_every_published_proposal_once(client, auth, event, organiser, filled):
    auth.as_staff(organiser)
    hidden = filled[-1]
    hidden.status = ProposalStatus.hidden
    db.session.commit()
    data = run_via_http(client, event)
    assert data["status"] == "done", data
    assert data["progress"] == 100
    assert data["n_proposals"] == 7
    track = event.tracks[0]
    # the panel stands above whichever track is open, another one too: it names its own
    assert f"трек «{track.title}» — 7 предложений" in data["message"]
    other = client.get(f"/events/{event.id}/manage/workspace?track=social-hub")
    assert data["message"] in other.get_data(as_text=True)
    sections = sections_of(track)
    assert len(sections) >= 2
    placed = [a.proposal_id for s in sections for a in s.assignments]
    assert sorted(placed) == sorted(p.id for p in filled[:-1])
    assert all(s.title and s.summary for s in sections)
    assert all(s.key_terms for s in sections if not s.is_other)
    # the two topics end up apart
    assert section_of(filled[0]).id != section_of(filled[4]).id
    page = client.get(f"/events/{event.id}/manage/workspace").get_data(as_text=True)
    for section in sections:
        assert section.title in page
    assert hidden.title not in page
    assert "поддержали" in page and "участников трека" in page


def test_page_ranks_proposals_by_support(client, auth, event, organiser, filled):
    auth.as_staff(organiser)
    run_via_http(client, event)
    page = client.get(f"/events/{event.id}/manage/workspace").get_data(as_text=True)
    for section in sections_of(event.tracks[0]):
        members = sorted((a.proposal for a in section.assignments),
                         key=lambda p: (-p.support_count, -p.comment_count, p.id))
        positions = [page.index(f'data-proposal="{p.id}"') for p in members]
        assert positions == sorted(positions)


def test_second_concurrent_run_is_refused(client, auth, event, organiser, filled):
    auth.as_staff(organiser)
    track = event.tracks[0]
    queued = ops.start_run(event, track, organiser)
    response = client.post(f"/events/{event.id}/manage/workspace/runs",
                           data={"track": "all"}, headers={"Accept": "application/json"})
    assert response.status_code == 409
    assert "Группировка уже идёт" in response.get_json()["message"]
    assert "Гений места" in response.get_json()["message"]
    page = client.post(f"/events/{event.id}/manage/workspace/runs", data={"track": track.slug})
    assert page.status_code == 409
    assert "Группировка уже идёт" in page.get_data(as_text=True)
    # edits wait while the track is being grouped
    ops.execute_run(queued.id)
    assert db.session.get(ClusterRun, queued.id).status is RunStatus.done
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RunLock)) == 0
    assert run_via_http(client, event)["status"] == "done"


def test_edits_wait_for_a_running_grouping(app, event, organiser, filled):
    run = ops.start_run(event, event.tracks[0], organiser)
    ops.execute_run(run.id)
    section = sections_of(event.tracks[0])[0]
    ops.start_run(event, event.tracks[0], organiser)
    with pytest.raises(OperationError) as error:
        ops.rename_section(section, organiser, "Новое имя")
    assert error.value.status == 409


def test_stale_run_does_not_block_the_track_forever(app, event, organiser, filled):
    stuck = ops.start_run(event, event.tracks[0], organiser)
    db.session.execute(sa.update(ClusterRun).where(ClusterRun.id == stuck.id).values(
        status=RunStatus.running, updated_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    fresh = ops.start_run(event, event.tracks[0], organiser)
    db.session.refresh(stuck)
    assert stuck.status is RunStatus.failed
    assert "прервалась" in stuck.message
    assert ops.execute_run(fresh.id).status is RunStatus.done


def test_empty_track_gives_a_clear_message(client, auth, event, organiser):
    auth.as_staff(organiser)
    data = run_via_http(client, event, track="social-hub")
    assert data["status"] == "done"
    assert "нечего" in data["message"]
    assert sections_of(event.tracks[1]) == []
    page = client.get(f"/events/{event.id}/manage/workspace?track=social-hub")
    assert "нет опубликованных предложений" in page.get_data(as_text=True)


def test_one_proposal_track_makes_one_section(client, auth, event, organiser, people,
                                             create_proposal):
    auth.as_staff(organiser)
    only = create_proposal(event.tracks[1], people[0])
    data = run_via_http(client, event, track="social-hub")
    assert data["status"] == "done"
    assert any("одно предложение" in line for line in data["log"])
    sections = sections_of(event.tracks[1])
    assert len(sections) == 1 and [a.proposal_id for a in sections[0].assignments] == [only.id]
    page = client.get(f"/events/{event.id}/manage/workspace?track=social-hub")
    assert "Мало данных" in page.get_data(as_text=True)


def test_human_edits_survive_a_rerun(client, auth, event, organiser, filled, people,
                                     create_proposal):
    auth.as_staff(organiser)
    run_via_http(client, event)
    craft, digital = section_of(filled[0]), section_of(filled[4])
    base = f"/events/{event.id}/manage/workspace"
    # rename, move a digital proposal into the craft section, lock the craft section
    response = client.post(f"{base}/sections/{digital.id}/rename",
                           data={"title": "Цифровая грамотность", "summary": ""})
    assert response.status_code == 302
    moved = filled[5]
    assert client.post(f"{base}/proposals/{moved.id}/move",
                       data={"section": craft.id}).status_code == 302
    assert client.post(f"{base}/sections/{craft.id}/lock", data={"locked": "1"}).status_code == 302
    locked_members = {a.proposal_id for a in section_of(filled[0]).assignments}
    assert moved.id in locked_members
    # new proposals arrive, then the grouping runs again
    for title, body in TOPICS["digital"][:2]:
        create_proposal(event.tracks[0], people[1], title=title + " (2)", body=body)
    data = run_via_http(client, event)
    assert data["status"] == "done"
    db.session.expire_all()
    craft_after = db.session.get(DraftSection, craft.id)
    assert craft_after is not None and craft_after.locked
    assert {a.proposal_id for a in craft_after.assignments} == locked_members
    # the renamed section is matched again (by its members) and keeps the human title
    digital_before = {filled[4].id, filled[6].id, filled[7].id}
    digital_after = db.session.get(DraftSection, digital.id)
    assert digital_after is not None and digital_after.title == "Цифровая грамотность"
    assert digital_before & {a.proposal_id for a in digital_after.assignments}
    actions = set(db.session.scalars(sa.select(SectionEdit.action)))
    assert {"run", "rename", "move", "lock"} <= actions


def test_moved_proposal_stays_pinned(client, auth, event, organiser, filled):
    auth.as_staff(organiser)
    run_via_http(client, event)
    target = section_of(filled[0])
    moved = filled[4]
    client.post(f"/events/{event.id}/manage/workspace/proposals/{moved.id}/move",
                data={"section": target.id})
    run_via_http(client, event)
    assert section_of(moved).id == target.id


def test_merge_and_split(client, auth, event, organiser, filled):
    auth.as_staff(organiser)
    run_via_http(client, event)
    base = f"/events/{event.id}/manage/workspace"
    craft, digital = section_of(filled[0]), section_of(filled[4])
    all_ids = {a.proposal_id for a in craft.assignments} | {a.proposal_id for a in
                                                            digital.assignments}
    assert client.post(f"{base}/sections/{digital.id}/merge",
                       data={"into": craft.id}).status_code == 302
    db.session.expire_all()
    assert db.session.get(DraftSection, digital.id) is None
    merged = db.session.get(DraftSection, craft.id)
    assert {a.proposal_id for a in merged.assignments} == all_ids
    # split two digital proposals back out
    chosen = [filled[4].id, filled[5].id]
    response = client.post(f"{base}/sections/{craft.id}/split",
                           data={"proposal": chosen, "title": "Цифровые навыки"})
    assert response.status_code == 302
    new = section_of(filled[4])
    assert new.title == "Цифровые навыки" and new.id != craft.id
    assert {a.proposal_id for a in new.assignments} == set(chosen)
    assert all(a.pinned for a in new.assignments)


def test_bad_edits_get_russian_messages_and_keep_input(client, auth, event, organiser, filled):
    auth.as_staff(organiser)
    run_via_http(client, event)
    base = f"/events/{event.id}/manage/workspace"
    section = section_of(filled[0])
    response = client.post(f"{base}/sections/{section.id}/split",
                           data={"title": "Мой новый раздел"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Отметьте предложения" in page and 'value="Мой новый раздел"' in page
    long_title = "Очень длинное название " * 12
    response = client.post(f"{base}/sections/{section.id}/rename", data={"title": long_title})
    assert response.status_code == 400
    assert "не больше 200 символов" in response.get_data(as_text=True)
    assert client.post(f"{base}/sections/{section.id}/rename",
                       data={"title": "   "}).status_code == 400
    assert client.post(f"{base}/sections/{section.id}/state",
                       data={"state": "done"}).status_code == 400
    assert client.post(f"{base}/sections/999999/lock", data={"locked": "1"}).status_code == 404
    assert client.post(f"{base}/proposals/{filled[0].id}/move",
                       data={"section": ""}).status_code == 400
    client.post(f"{base}/sections/{section.id}/lock", data={"locked": "1"})
    response = client.post(f"{base}/proposals/{filled[4].id}/move", data={"section": section.id})
    assert response.status_code == 409
    assert "закреплён" in response.get_data(as_text=True)


def test_editorial_state_records_who_and_when(client, auth, event, organiser, filled):
    auth.as_staff(organiser)
    run_via_http(client, event)
    section = section_of(filled[0])
    base = f"/events/{event.id}/manage/workspace/sections/{section.id}/state"
    for state in ("review", "agreed"):
        assert client.post(base, data={"state": state}).status_code == 302
    db.session.expire_all()
    section = db.session.get(DraftSection, section.id)
    assert section.state is SectionState.agreed
    assert section.state_changed_by_id == organiser.id and section.state_changed_at
    page = client.get(f"/events/{event.id}/manage/workspace").get_data(as_text=True)
    assert "Согласовано" in page and organiser.display_name in page


def test_cli_cluster_runs_synchronously(runner, event, filled):
    result = runner.invoke(args=["cluster", "--track", "genius-loci"])
    assert result.exit_code == 0, result.output
    assert "Готово" in result.output
    assert sections_of(event.tracks[0])
    result = runner.invoke(args=["cluster", "--track", "nope"])
    assert result.exit_code != 0 and "Нет трека" in result.output
