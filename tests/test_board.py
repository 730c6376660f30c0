"""The affinity board: its page, multi-move, split to a new column, undo through the edit log,
and conflicts (a move that raced another person's, a board drawn before a re-run)."""
import re

import pytest
import sqlalchemy as sa

from strategy.auth.models import Role
from strategy.comments.operations import add_comment
from strategy.core.errors import OperationError
from strategy.extensions import db
from strategy.live.models import Change
from strategy.proposals.models import Proposal
from strategy.workspace import operations as ops
from strategy.workspace.models import (ClusterRun, DraftSection, RunStatus, SectionAssignment,
                                       SectionEdit, SectionState)
from strategy.workspace.queries import latest_grouping
from strategy.review.operations import give_answer

TITLES = ["Клуб настольных игр", "Краеведческий музей", "Курсы цифровой грамотности",
          "Школа волонтёров", "Летний читальный зал", "Подкаст о библиотеке"]


@pytest.fixture
def colleague(create_staff):
    return create_staff(role=Role.organiser, email="second@example.org")


@pytest.fixture
def author(event, create_participant):
    return create_participant(event, name="Автор предложений")


@pytest.fixture
def board(event, author, create_proposal):
    """A finished run and three sections of the first track: [p0, p1], [p2, p3], [p4, p5]."""
    track = event.tracks[0]
    proposals = [create_proposal(track, author, title=title,
                                 body=f"Описание: {title.lower()} для жителей села.",
                                 kind="project" if n % 2 else "idea")
                 for n, title in enumerate(TITLES)]
    run = ClusterRun(event_id=event.id, track_id=track.id, status=RunStatus.done, progress=100)
    db.session.add(run)
    db.session.flush()
    sections = []
    for position, title in enumerate(["Досуг", "Память места", "Цифровые навыки"]):
        section = DraftSection(event_id=event.id, track_id=track.id, run_id=run.id, title=title,
                               position=position, key_terms=[title.lower()])
        db.session.add(section)
        db.session.flush()
        for rank, proposal in enumerate(proposals[2 * position:2 * position + 2]):
            db.session.add(SectionAssignment(section_id=section.id, proposal_id=proposal.id,
                                             rank=rank, representative=rank == 0))
        sections.append(section)
    db.session.commit()
    return track, run, sections, proposals


def section_of(proposal):
    db.session.expire_all()
    assignment = db.session.scalar(sa.select(SectionAssignment).where(
        SectionAssignment.proposal_id == proposal.id))
    return assignment.section_id if assignment else None


def members(section_id):
    return set(db.session.scalars(sa.select(SectionAssignment.proposal_id).where(
        SectionAssignment.section_id == section_id)))


def board_changes():
    return list(db.session.scalars(sa.select(Change).where(Change.kind == ops.BOARD_CHANGE)
                                   .order_by(Change.id)))


# --------------------------------------------------------------------------- multi-move


def test_multi_move_is_one_edit_pins_and_tells_live_boards(board, organiser):
    track, run, (a, b, c), p = board
    moves = ops.move_proposals([p[0], p[2]], c, organiser)
    assert {m["proposal"] for m in moves} == {p[0].id, p[2].id}
    assert members(c.id) == {p[0].id, p[2].id, p[4].id, p[5].id}
    assert members(a.id) == {p[1].id} and members(b.id) == {p[3].id}
    pinned = dict(db.session.execute(sa.select(SectionAssignment.proposal_id,
                                               SectionAssignment.pinned)).all())
    assert pinned[p[0].id] and pinned[p[2].id] and not pinned[p[1].id]
    edits = db.session.scalars(sa.select(SectionEdit).where(SectionEdit.action == "move")).all()
    assert len(edits) == 1 and edits[0].section_id == c.id
    change = board_changes()[-1]
    assert change.track_id == track.id and change.payload["action"] == "move"
    assert change.payload["by"] == organiser.id
    assert set(change.payload["proposals"]) == {p[0].id, p[2].id}
    assert set(change.payload["sections"]) == {a.id, b.id, c.id}
    assert "title" not in str(change.payload)  # the feed is public: ids only


def test_moving_cards_already_there_changes_nothing(board, organiser):
    track, run, (a, b, c), p = board
    assert ops.move_proposals([p[4]], c, organiser) == []
    assert db.session.scalar(sa.select(sa.func.count(SectionEdit.id))) == 0


def test_move_into_a_locked_section_is_refused_and_nothing_moves(board, organiser):
    track, run, (a, b, c), p = board
    ops.set_locked(c, organiser, True)
    with pytest.raises(OperationError) as refused:
        ops.move_proposals([p[0], p[2]], c, organiser)
    assert refused.value.status == 409 and "закреплён" in refused.value.message
    assert section_of(p[0]) == a.id and section_of(p[2]) == b.id


def test_move_out_of_a_locked_section_is_refused(board, organiser):
    track, run, (a, b, c), p = board
    ops.set_locked(a, organiser, True)
    with pytest.raises(OperationError) as refused:
        ops.move_proposals([p[2], p[0]], c, organiser)
    assert refused.value.status == 409 and "«Досуг» закреплён" in refused.value.message
    assert section_of(p[2]) == b.id


def test_only_the_events_organisers_move(board, create_participant, create_staff, event,
                                         create_event):
    track, run, (a, b, c), p = board
    other = create_staff(Role.organiser, email="other@example.org",
                         event=create_event(code="OTHER27"))
    for actor in (create_participant(event, name="Участник"), other, None):
        with pytest.raises(OperationError) as refused:
            ops.move_proposals([p[0]], c, actor)
        assert refused.value.status == 403
    assert section_of(p[0]) == a.id


# --------------------------------------------------------------------------- conflicts


def test_a_move_that_raced_another_is_reported_not_applied(board, organiser, colleague):
    track, run, (a, b, c), p = board
    seen = {p[0].id: a.id, p[1].id: a.id}  # both saw p0 and p1 in «Досуг»
    ops.move_proposals([p[0]], b, colleague, expected={p[0].id: a.id}, seen_run=run.id)
    with pytest.raises(OperationError) as refused:
        ops.move_proposals([p[0], p[1]], c, organiser, expected=seen, seen_run=run.id)
    assert refused.value.status == 409
    assert "«Клуб настольных игр» уже перенесли" in refused.value.message
    assert "«Память места»" in refused.value.message
    assert section_of(p[0]) == b.id and section_of(p[1]) == a.id  # nothing lost, nothing moved


def test_a_move_after_the_grouping_re_ran_is_refused(board, organiser, event):
    track, run, (a, b, c), p = board
    rerun = ClusterRun(event_id=event.id, track_id=None, status=RunStatus.done)
    db.session.add(rerun)
    db.session.commit()
    assert latest_grouping(track) == rerun.id
    with pytest.raises(OperationError) as refused:
        ops.move_proposals([p[0]], c, organiser, seen_run=run.id)
    assert refused.value.status == 409 and "сгруппировали заново" in refused.value.message
    assert section_of(p[0]) == a.id
    ops.move_proposals([p[0]], c, organiser, seen_run=rerun.id)
    assert section_of(p[0]) == c.id


def test_a_merge_of_a_locked_section_is_refused(board, organiser):
    track, run, (a, b, c), p = board
    ops.set_locked(a, organiser, True)
    for source, target in ((a, b), (b, a)):
        with pytest.raises(OperationError) as refused:
            ops.merge_sections(source, target, organiser)
        assert refused.value.status == 409 and "«Досуг» закреплён" in refused.value.message
    assert members(a.id) == {p[0].id, p[1].id} and members(b.id) == {p[2].id, p[3].id}


@pytest.mark.parametrize("title, message", [("   ", "Введите название"),
                                            ("Память места", "уже есть раздел"),
                                            ("память  МЕСТА", "уже есть раздел"),
                                            ("Я" * 201, "не больше 200")])
def test_bad_titles_are_refused(board, organiser, title, message):
    track, run, (a, b, c), p = board
    with pytest.raises(OperationError) as refused:
        ops.rename_section(a, organiser, title)
    assert refused.value.status == 400 and message in refused.value.message
    db.session.expire_all()
    assert db.session.get(DraftSection, a.id).title == "Досуг"


def test_renaming_to_its_own_name_in_other_case_is_fine(board, organiser):
    track, run, (a, b, c), p = board
    ops.rename_section(a, organiser, "ДОСУГ")
    assert a.title == "ДОСУГ"


# --------------------------------------------------------------------------- split to a new column


def test_cards_from_two_sections_make_a_new_section(board, organiser):
    track, run, (a, b, c), p = board
    new = ops.split_off(track, organiser, [p[1], p[3]])
    assert new.title == "Новый раздел" and members(new.id) == {p[1].id, p[3].id}
    assert members(a.id) == {p[0].id} and members(b.id) == {p[2].id}
    second = ops.split_off(track, organiser, [p[5]])
    assert second.title == "Новый раздел 2"
    with pytest.raises(OperationError) as refused:
        ops.split_off(track, organiser, [])
    assert refused.value.status == 400


# --------------------------------------------------------------------------- undo


def assignment_flags(proposal_id):
    db.session.expire_all()
    a = db.session.scalar(sa.select(SectionAssignment).where(
        SectionAssignment.proposal_id == proposal_id))
    return a.section_id, a.pinned, a.representative


def test_undo_a_multi_move_puts_every_card_back_as_it_was(board, organiser):
    track, run, (a, b, c), p = board
    before = {x.id: assignment_flags(x.id) for x in (p[0], p[2])}
    ops.move_proposals([p[0], p[2]], c, organiser)
    undone = ops.undo_last(track, organiser)
    assert undone.action == "move" and undone.details["undone"] is True
    assert {x: assignment_flags(x) for x in before} == before
    assert db.session.scalar(sa.select(SectionEdit).where(SectionEdit.action == "undo")) \
        .details["undid"] == undone.id
    assert board_changes()[-1].payload["action"] == "undo"


def test_undo_a_merge_brings_the_section_back_with_its_id_and_members(board, organiser):
    track, run, (a, b, c), p = board
    ops.set_state(b, organiser, "review")
    ops.rename_section(b, organiser, "Память места и люди")
    b_id = b.id
    flags = {x.id: assignment_flags(x.id) for x in (p[2], p[3])}
    ops.merge_sections(b, a, organiser)
    assert db.session.get(DraftSection, b_id) is None
    ops.undo_last(track, organiser)
    db.session.expire_all()
    restored = db.session.get(DraftSection, b_id)
    assert restored is not None and restored.title == "Память места и люди"
    assert restored.state is SectionState.review and restored.key_terms == ["память места"]
    assert {x: assignment_flags(x) for x in flags} == flags
    assert members(a.id) == {p[0].id, p[1].id}
    assert db.session.get(DraftSection, a.id).key_terms == ["досуг"]


def test_undo_a_split_removes_the_new_section(board, organiser):
    track, run, (a, b, c), p = board
    new = ops.split_off(track, organiser, [p[1], p[3]], "Разное")
    new_id = new.id
    ops.undo_last(track, organiser)
    db.session.expire_all()
    assert db.session.get(DraftSection, new_id) is None
    assert section_of(p[1]) == a.id and section_of(p[3]) == b.id


def test_undo_goes_back_step_by_step_through_rename_lock_and_state(board, organiser):
    track, run, (a, b, c), p = board
    ops.rename_section(a, organiser, "Игры и досуг")
    ops.set_state(a, organiser, "agreed")
    ops.set_locked(a, organiser, True)
    assert [ops.undo_last(track, organiser).action for _ in range(3)] == \
        ["lock", "state", "rename"]
    db.session.expire_all()
    section = db.session.get(DraftSection, a.id)
    assert (section.title, section.state, section.locked) == ("Досуг", SectionState.draft, False)
    assert section.state_changed_by_id is None
    with pytest.raises(OperationError) as nothing:
        ops.undo_last(track, organiser)
    assert nothing.value.status == 409 and "Отменять нечего" in nothing.value.message


def test_undo_takes_back_only_my_own_edits(board, organiser, colleague):
    track, run, (a, b, c), p = board
    ops.move_proposals([p[0]], c, organiser)
    ops.rename_section(b, colleague, "Память")
    assert ops.undo_last(track, organiser).action == "move"
    db.session.expire_all()
    assert db.session.get(DraftSection, b.id).title == "Память"
    assert section_of(p[0]) == a.id


def test_undo_after_someone_moved_the_card_again_is_refused_then_steps_back(board, organiser,
                                                                           colleague):
    track, run, (a, b, c), p = board
    ops.rename_section(a, organiser, "Игры")
    ops.move_proposals([p[0]], c, organiser)
    ops.move_proposals([p[0]], b, colleague)
    with pytest.raises(OperationError) as refused:
        ops.undo_last(track, organiser)
    assert refused.value.status == 409
    assert "«Клуб настольных игр» после этого уже перенесли" in refused.value.message
    assert section_of(p[0]) == b.id  # the colleague's move stands
    assert ops.undo_last(track, organiser).action == "rename"  # the next undo steps back
    db.session.expire_all()
    assert db.session.get(DraftSection, a.id).title == "Досуг"


def test_undo_after_the_grouping_re_ran_is_refused(board, organiser, event):
    track, run, (a, b, c), p = board
    ops.move_proposals([p[0]], c, organiser)
    db.session.add(SectionEdit(event_id=event.id, action="run",
                               details={"run": run.id, "track": track.slug}))
    db.session.commit()
    with pytest.raises(OperationError) as refused:
        ops.undo_last(track, organiser)
    assert refused.value.status == 409 and "сгруппировали заново" in refused.value.message
    assert section_of(p[0]) == c.id


def test_undo_of_a_move_into_a_section_locked_since_is_refused(board, organiser, colleague):
    track, run, (a, b, c), p = board
    ops.move_proposals([p[0]], c, organiser)
    ops.set_locked(c, colleague, True)
    with pytest.raises(OperationError) as refused:
        ops.undo_last(track, organiser)
    assert refused.value.status == 409 and "закреплён" in refused.value.message
    assert section_of(p[0]) == c.id


# --------------------------------------------------------------------------- the page and JSON


BASE = "/events/{e}/manage/workspace/board"
JSON = {"Accept": "application/json"}


def post(client, url, body):
    return client.post(url, json=body, headers=JSON)


def cards(html, shown_only=False):
    """The card tags of a board page; with shown_only, those the filters leave visible."""
    tags = re.findall(r'<li class="board-card[^>]*>', html)
    return [tag for tag in tags if not (shown_only and re.search(r"\shidden>$", tag))]


def test_board_page_shows_columns_cards_and_the_new_column(client, auth, event, board,
                                                           organiser, author):
    track, run, (a, b, c), p = board
    add_comment(p[0], author, "Не нужно, есть клуб в ДК", stance="against")
    auth.as_staff(organiser)
    page = client.get(BASE.format(e=event.id)).get_data(as_text=True)
    for section in (a, b, c):
        assert f'data-section="{section.id}"' in page and section.title in page
    assert len(cards(page)) == 6
    assert 'data-section="new"' in page and f'data-run="{run.id}"' in page
    assert "board.js" in page and "Sortable.min.js" in page and "board.css" in page
    fragment = client.get(BASE.format(e=event.id) + "?fragment=1").get_data(as_text=True)
    assert "<html" not in fragment and len(cards(fragment)) == 6


def test_server_side_filters_hide_cards(client, auth, event, board, organiser):
    track, run, (a, b, c), p = board
    auth.as_staff(organiser)

    def shown(query):
        html = client.get(BASE.format(e=event.id) + "?fragment=1&" + query).get_data(
            as_text=True)
        return len(cards(html, shown_only=True))

    assert shown("kind=project") == 3
    assert shown("q=МУЗЕЙ") == 1
    assert shown("contested=1") == 0
    give_answer(p[0], organiser, "accepted", "Вошло в раздел о досуге.")
    assert shown("answer=accepted") == 1 and shown("answer=none") == 5
    assert shown("answer=rejected") == 0 and shown("answer=nonsense") == 6


def test_json_move_and_conflict_envelopes(client, auth, event, board, organiser):
    track, run, (a, b, c), p = board
    auth.as_staff(organiser)
    url = BASE.format(e=event.id) + "/move"
    body = {"proposals": [p[0].id, p[1].id], "section": c.id, "run": run.id,
            "expected": {str(p[0].id): a.id, str(p[1].id): a.id}}
    answer = post(client, url, body)
    assert answer.status_code == 200 and answer.get_json()["success"] is True
    assert "2 предложения — в разделе «Цифровые навыки»" in answer.get_json()["data"]["message"]
    answer = post(client, url, {**body, "section": b.id})  # the board still thinks «Досуг»
    assert answer.status_code == 409
    envelope = answer.get_json()
    assert envelope["success"] is False and envelope["error"] == 409
    assert "уже перенесли" in envelope["message"]
    answer = post(client, url, {"proposals": [], "section": b.id})
    assert answer.status_code == 400 and answer.get_json()["message"]
    answer = post(client, url, {"proposals": ["x"], "section": b.id})
    assert answer.status_code == 400


def test_json_split_merge_rename_lock_state_undo(client, auth, event, board, organiser):
    track, run, (a, b, c), p = board
    auth.as_staff(organiser)
    base = BASE.format(e=event.id)
    answer = post(client, base + "/split", {"track": track.slug, "proposals": [p[0].id],
                                            "run": run.id})
    new_id = answer.get_json()["data"]["section"]
    assert answer.status_code == 200 and answer.get_json()["data"]["title"] == "Новый раздел"
    answer = post(client, f"{base}/sections/{new_id}/rename", {"title": "Цифровые навыки"})
    assert answer.status_code == 400 and "уже есть раздел" in answer.get_json()["message"]
    assert post(client, f"{base}/sections/{new_id}/rename",
                {"title": "Игры"}).status_code == 200
    assert post(client, f"{base}/sections/{new_id}/state", {"state": "review"}).status_code == 200
    assert post(client, f"{base}/sections/{new_id}/state", {"state": "x"}).status_code == 400
    assert post(client, f"{base}/sections/{c.id}/lock", {"locked": True}).status_code == 200
    answer = post(client, f"{base}/sections/{c.id}/merge", {"into": b.id, "run": run.id})
    assert answer.status_code == 409 and "закреплён" in answer.get_json()["message"]
    answer = post(client, f"{base}/sections/{b.id}/merge", {"into": a.id, "run": run.id})
    assert answer.status_code == 200
    assert post(client, f"{base}/sections/{b.id}/merge", {"into": a.id}).status_code == 404
    answer = post(client, base + "/undo", {"track": track.slug, "run": run.id})
    assert answer.status_code == 200 and answer.get_json()["data"]["action"] == "merge"
    assert members(b.id) == {p[2].id, p[3].id}


def test_card_detail_shows_the_full_text(client, auth, event, board, organiser, author):
    track, run, (a, b, c), p = board
    add_comment(p[2], author, "Поддерживаю, нужно в каждом селе", stance="for")
    auth.as_staff(organiser)
    html = client.get(BASE.format(e=event.id) + f"/proposals/{p[2].id}").get_data(as_text=True)
    assert p[2].title in html and p[2].body in html and "Поддерживаю" in html
    assert "Память места" in html and "Перенести в раздел" in html
    hidden = client.get(BASE.format(e=event.id) + "/proposals/999999")
    assert hidden.status_code == 404


def test_contested_mark_follows_objections(client, auth, event, board, organiser,
                                           create_participant):
    track, run, (a, b, c), p = board
    for n in range(3):
        add_comment(p[4], create_participant(event, name=f"Критик {n}"), "Против",
                    stance="against")
    auth.as_staff(organiser)
    html = client.get(BASE.format(e=event.id) + "?fragment=1&contested=1").get_data(
        as_text=True)
    assert 'data-contested="1"' in html and "Спорных: 1" in html
    assert html.count('data-contested="1"') == 1


def test_a_grouping_run_tells_open_boards(app, event, board, organiser):
    track, run, sections, p = board
    new = ops.start_run(event, track, organiser)
    ops.execute_run(new.id)
    change = board_changes()[-1]
    assert change.payload["action"] == "run" and change.track_id == track.id
    assert latest_grouping(track) == new.id
    assert db.session.scalar(sa.select(sa.func.count(Proposal.id))) == 6


def test_two_people_moving_one_card_at_once_one_wins_the_other_is_told(app, event, board,
                                                                       organiser, colleague):
    """Real threads, real database: each round both drop the same card, seen in the same
    section, into different sections at the same moment."""
    import threading

    from tests.conftest import Auth

    track, run, sections, p = board
    ids = [s.id for s in sections]
    clients = []
    for person in (organiser, colleague):
        client = app.test_client()
        assert Auth(client).as_staff(person).status_code == 302
        clients.append(client)
    url = BASE.format(e=event.id) + "/move"
    for round_ in range(6):
        where = section_of(p[0])
        targets = [s for s in ids if s != where]
        answers: dict[int, tuple[int, dict]] = {}
        start = threading.Barrier(2)

        def person(n: int) -> None:
            with app.app_context():  # the test client encodes JSON with the app's encoder
                start.wait()
                response = post(clients[n], url, {"proposals": [p[0].id],
                                                   "section": targets[n], "run": run.id,
                                                   "expected": {str(p[0].id): where}})
                answers[n] = (response.status_code, response.get_json())

        threads = [threading.Thread(target=person, args=(n,)) for n in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        statuses = sorted(status for status, _ in answers.values())
        assert statuses == [200, 409], (round_, answers)
        winner = next(n for n, (status, _) in answers.items() if status == 200)
        loser = answers[1 - winner][1]
        assert loser["success"] is False and "перенес" in loser["message"]
        assert section_of(p[0]) == targets[winner]
    moves = db.session.scalars(sa.select(SectionEdit).where(SectionEdit.action == "move")).all()
    assert len(moves) == 6  # one edit per round: the refused move left nothing behind


# --------------------------------------------------------------------------- the synthesis


@pytest.mark.parametrize("text, first", [
    ("Участники предлагают курсы. Чаще всего речь идёт о Госуслугах.", "Участники предлагают курсы."),
    ("Библиотека им. А. Вампилова в г. Иркутске открыла клуб. Второе.",
     "Библиотека им. А. Вампилова в г. Иркутске открыла клуб."),
    ("Работает в ЦБС. Второе.", "Работает в ЦБС."),
    ("Зачем? Затем.", "Зачем?"),
    ("  Одно   предложение без точки ", "Одно предложение без точки"),
    ("", ""),
])
def test_first_sentence_of_a_summary(text, first):
    from strategy.workspace.board import first_sentence

    assert first_sentence(text) == first


BIG_TITLES = ["Школа грантрайтинга", "Грантовый клуб", "Грантовый календарь",
              "Малые гранты для сёл", "Типовые сметы заявок", "Разбор отклонённых заявок",
              "Гранты вместе с НКО", "Проектный офис", "Куратор в опорной библиотеке",
              "Ставка проектного куратора", "Онлайн-приёмная офиса", "Банк проектных идей",
              "Проектная мастерская района"]


@pytest.fixture
def synthesised(event, author, create_proposal):
    """A run and two sections of the first track: one of 13 proposals with the grouping's
    summary, quotes, two subtopics and partners; one of a single proposal that also fits the
    big one («см. также»)."""
    track = event.tracks[0]
    big = [create_proposal(track, author, title=title, body=f"{title}: предлагаем для района.",
                           partners="ОГУНБ, Ресурсный центр НКО" if n < 4 else "")
           for n, title in enumerate(BIG_TITLES)]
    lone = create_proposal(track, author, title="Летний читальный зал",
                           body="Читальный зал в парке с июня по август.")
    run = ClusterRun(event_id=event.id, track_id=track.id, status=RunStatus.done, progress=100)
    db.session.add(run)
    db.session.flush()
    grants = DraftSection(event_id=event.id, track_id=track.id, run_id=run.id, position=0,
                          title="Проектный офис и гранты", key_terms=["гранты", "куратор"])
    summer = DraftSection(event_id=event.id, track_id=track.id, run_id=run.id, position=1,
                          title="Лето в библиотеке", key_terms=["лето"])
    db.session.add_all([grants, summer])
    db.session.flush()
    for rank, proposal in enumerate(big):
        db.session.add(SectionAssignment(section_id=grants.id, proposal_id=proposal.id,
                                         rank=rank, representative=rank == 0))
    db.session.add(SectionAssignment(section_id=summer.id, proposal_id=lone.id, rank=0))
    grants.synthesis = {
        "summary": "Участники предлагают меры по теме «Проектный офис и гранты» — 13 "
                   "предложений. Чаще всего речь идёт о заявках и кураторах.",
        "size": 13, "coverage": 0.8, "reason": "",
        "quotes": [{"proposal_id": big[0].id, "text": "Учимся писать заявки вместе.",
                    "author": author.display_name}],
        "subtopics": [{"title": "Заявки на гранты", "proposal_ids": [p.id for p in big[:7]]},
                      {"title": "Проектные кураторы", "proposal_ids": [p.id for p in big[7:]]}],
        "see_also": {}}
    summer.synthesis = {"summary": "Участники предлагают читальный зал летом.", "size": 1,
                        "quotes": [], "subtopics": [], "see_also": {str(lone.id): grants.id}}
    db.session.commit()
    return grants, summer, big, lone


def column_head(html: str, section_id: int) -> str:
    start = html.index(f'data-section="{section_id}"')
    return html[start:html.index('<ul class="board-cards"', start)]


def test_columns_show_summary_line_agreement_subtopics_and_see_also(
        client, auth, event, synthesised, organiser, create_participant):
    grants, summer, big, lone = synthesised
    for n in range(3):
        add_comment(lone, create_participant(event, name=f"Критик {n}"), "Против",
                    stance="against")
    add_comment(big[0], create_participant(event, name="Сторонница"), "За", stance="for")
    auth.as_staff(organiser)
    html = client.get(BASE.format(e=event.id) + "?fragment=1").get_data(as_text=True)
    head = column_head(html, grants.id)
    # The first sentence only names the section and counts it (the head shows both): the
    # summary line is the next sentence.
    assert "Чаще всего речь идёт о заявках и кураторах." in head
    assert "— 13" not in head
    assert 'data-column-subtopics="2"' in head
    assert "2 подтемы: Заявки на гранты, Проектные кураторы" in head
    assert "за: 1, против: 0" in head and "Спорный раздел" not in head
    assert "Поддержали 0% участников трека" in head
    # «см. также»: the lone proposal of the summer section fits this one about as well.
    assert 'data-column-see-also="1"' in head
    assert "см. также: 1 предложение из других разделов" in head
    lone_head = column_head(html, summer.id)
    assert "Участники предлагают читальный зал летом." in lone_head
    assert "Спорный раздел" in lone_head and "за: 0, против: 3" in lone_head
    assert "data-column-subtopics" not in lone_head and "data-column-see-also" not in lone_head


def test_card_panel_shows_the_sections_summary_quotes_subtopics_and_partners(
        client, auth, event, synthesised, organiser, author):
    grants, summer, big, lone = synthesised
    auth.as_staff(organiser)
    html = client.get(BASE.format(e=event.id) + f"/proposals/{big[8].id}").get_data(
        as_text=True)
    panel = html[html.index("data-detail-section"):]
    assert "Раздел «Проектный офис и гранты»" in panel
    assert "Участники предлагают меры по теме «Проектный офис и гранты» — 13 предложений. " \
           "Чаще всего речь идёт о заявках и кураторах." in panel
    assert "«Учимся писать заявки вместе.»" in panel and author.display_name in panel
    subtopics = panel[panel.index("data-detail-subtopics"):panel.index("</ul>")]
    assert "Заявки на гранты" in subtopics and "(7 предложений)" in subtopics
    current = re.search(r'<li class="is-current">([^<]*)', subtopics)
    assert current and "Проектные кураторы" in current.group(1)  # this card's subtopic
    partners = panel[panel.index("data-detail-partners"):]
    assert "ОГУНБ" in partners and "Ресурсный центр НКО" in partners
    assert "(4 предложения)" in partners
    # A small section: no subtopics or partners; its proposal that fits the big one says so.
    lone_html = client.get(BASE.format(e=event.id) + f"/proposals/{lone.id}").get_data(
        as_text=True)
    assert "data-detail-subtopics" not in lone_html and "data-detail-partners" not in lone_html
    assert "data-detail-also-in" in lone_html and "«Проектный офис и гранты»" in lone_html
