"""What the grouping says of a section (summary, quotes, subtopics, «см. также», coverage, the
«Прочее» reason) is stored when a run finishes, survives re-runs where people fixed a section,
and reaches the workspace page and the DOCX; the run's progress follows the analysis' stages."""
import io

import pandas as pd
import pytest
import sqlalchemy as sa
from docx import Document

from strategy.auth.models import Role
from strategy.export.docx import build_docx
from strategy.extensions import db
from strategy.workspace import operations as ops
from strategy.workspace.models import ClusterRun, DraftSection, RunStatus, SectionAssignment

MUSEUM = [("Музейная комната в сельской библиотеке №%d" % i,
           "Собрать предметы быта старожилов и открыть музейную комнату. Приглашать школьников "
           "на занятия по краеведению.") for i in range(7)]
TOURS = [("Краеведческие экскурсии по селу №%d" % i,
          "Экскурсии по истории села для школьников. Рассказы старожилов и краеведов.")
         for i in range(7)]
DIGITAL = [("Курсы цифровой грамотности для пенсионеров",
            "Учим пенсионеров пользоваться Госуслугами и смартфоном в библиотеке."),
           ("Волонтёры цифровой помощи", "Школьники помогают пенсионерам освоить смартфон.")]
ODD = [("!!!", "???")]

SUMMARY_CRAFT = ("Участники предлагают меры по теме «Краеведение» — 14 предложений. Чаще всего "
                 "речь идёт о таких темах: музейная комната (7 из 14) и экскурсии (7 из 14). "
                 "Подтемы раздела: «Музейная комната» и «Экскурсии».")
SUMMARY_DIGITAL = "Участники предлагают меры по теме «Цифровая грамотность» — 2 предложения."
REASON = "нет значимых слов (только стоп-слова, числа, ссылки или эмодзи)"
SUMMARY_OTHER = f"Сюда отнесено 1 предложение, которое не вошло в другие разделы: {REASON} (1)."


@pytest.fixture
def organiser(create_staff):
    return create_staff(role=Role.organiser, email="metod@example.org")


@pytest.fixture
def track(event):
    return event.tracks[0]


@pytest.fixture
def proposals(event, track, create_participant, create_proposal):
    people = [create_participant(event, name=f"Автор {i}", library=f"Библиотека {i}",
                                 municipality="Черемхово") for i in range(4)]
    return [create_proposal(track, people[i % 4], title=title, body=body)
            for i, (title, body) in enumerate(MUSEUM + TOURS + DIGITAL + ODD)]


def fake_result(proposals, craft_summary=SUMMARY_CRAFT, digital_summary=SUMMARY_DIGITAL):
    """A ClusteringResult as analysis/ returns it, with known contents."""
    from analysis.pipeline import ASSIGNMENT_COLUMNS, SECTION_COLUMNS, ClusteringResult

    ids = [p.id for p in proposals]
    craft, digital, other = ids[:14], ids[14:16], ids[16:]
    rows = []
    for members, section, title in ((craft, 1, "Краеведение"),
                                    (digital, 2, "Цифровая грамотность"),
                                    (other, 3, "Прочее")):
        for rank, pid in enumerate(members, 1):
            rows.append({"id": pid, "section": section, "section_title": title, "group": "",
                         "is_representative": rank <= 2, "rank_in_section": rank,
                         "score": 0.5 if section != 3 else 0.0,
                         "reason": REASON if section == 3 else "",
                         "see_also": [2] if pid == craft[-1] else []})
    assignments = pd.DataFrame(rows, columns=ASSIGNMENT_COLUMNS)
    by_id = {p.id: p for p in proposals}
    first = by_id[craft[0]]
    sections = pd.DataFrame([
        {"section": 1, "group": "", "title": "Краеведение",
         "key_terms": ["музейная комната", "экскурсии"], "size": 14,
         "representative_ids": craft[:2], "votes_total": 0.0, "locked": False,
         "is_other": False, "coverage": 0.71, "summary": craft_summary,
         "quote_ids": [craft[0]],
         "quotes": [{"id": craft[0], "text": f"{first.title}. {first.body}"}],
         "subtopics": [{"title": "Музейная комната", "ids": craft[:7]},
                       {"title": "Экскурсии", "ids": craft[7:]}], "reason": ""},
        {"section": 2, "group": "", "title": "Цифровая грамотность",
         "key_terms": ["пенсионеры", "смартфон"], "size": 2, "representative_ids": digital,
         "votes_total": 0.0, "locked": False, "is_other": False, "coverage": 1.0,
         "summary": digital_summary, "quote_ids": [digital[1]],
         "quotes": [{"id": digital[1], "text": by_id[digital[1]].body}], "subtopics": [],
         "reason": ""},
        {"section": 3, "group": "", "title": "Прочее", "key_terms": [], "size": 1,
         "representative_ids": [], "votes_total": 0.0, "locked": False, "is_other": True,
         "coverage": float("nan"), "summary": SUMMARY_OTHER, "quote_ids": [], "quotes": [],
         "subtopics": [], "reason": REASON},
    ], columns=SECTION_COLUMNS)
    return ClusteringResult(assignments, sections, pd.DataFrame(columns=["id_a", "id_b",
                                                                         "similarity"]),
                            log=["Разделов: 3."])


def run_once(event, track, organiser, monkeypatch=None, result=None):
    if monkeypatch is not None:
        monkeypatch.setattr(ops, "cluster_track", lambda t, progress=None: result)
    run = ops.start_run(event, track, organiser)
    run = ops.execute_run(run.id)
    assert run.status is RunStatus.done, run.message
    db.session.expire_all()
    return run


def stored(track):
    sections = list(db.session.scalars(sa.select(DraftSection).where(
        DraftSection.track_id == track.id).order_by(DraftSection.position)))
    return {s.title: s for s in sections}


def test_a_finished_run_stores_what_the_grouping_said(event, track, organiser, proposals,
                                                      monkeypatch):
    run_once(event, track, organiser, monkeypatch, fake_result(proposals))
    sections = stored(track)
    craft, digital, other = (sections["Краеведение"], sections["Цифровая грамотность"],
                             sections["Прочее"])
    assert craft.summary.startswith("Участники предлагают меры по теме «Краеведение»\u00a0— 14")
    synthesis = craft.synthesis
    assert synthesis["size"] == 14 and synthesis["coverage"] == 0.71
    quote = synthesis["quotes"][0]
    assert quote["proposal_id"] == proposals[0].id
    assert quote["author"] == proposals[0].author.display_name
    assert quote["text"].startswith("Собрать предметы быта")  # the title is not quoted
    assert [s["title"] for s in synthesis["subtopics"]] == ["Музейная комната", "Экскурсии"]
    assert synthesis["subtopics"][0]["proposal_ids"] == [p.id for p in proposals[:7]]
    assert synthesis["see_also"] == {str(proposals[13].id): digital.id}
    assert other.is_other and other.synthesis["reason"] == REASON
    assert other.synthesis["coverage"] is None
    assert digital.synthesis["reason"] == "" and digital.synthesis["subtopics"] == []


def test_re_runs_keep_a_locked_sections_text_and_a_written_summary(event, track, organiser,
                                                                   proposals, monkeypatch):
    run_once(event, track, organiser, monkeypatch, fake_result(proposals))
    sections = stored(track)
    craft, digital = sections["Краеведение"], sections["Цифровая грамотность"]
    ops.set_locked(craft, organiser, True)
    ops.rename_section(digital, organiser, "Цифровая помощь", summary="Написано людьми.")
    before = dict(craft.synthesis), craft.summary
    changed = fake_result(proposals, craft_summary="Участники предлагают другое.",
                          digital_summary="Участники предлагают новое.")
    # the analysis keeps ids (and, for matched sections, titles): the ids are the stored ones
    changed.sections["section"] = changed.sections["section"].map(
        {1: craft.id, 2: digital.id, 3: sections["Прочее"].id})
    changed.assignments["section"] = changed.assignments["section"].map(
        {1: craft.id, 2: digital.id, 3: sections["Прочее"].id})
    changed.assignments["see_also"] = [[digital.id] if s else [] for s in
                                       changed.assignments["see_also"]]
    run_once(event, track, organiser, monkeypatch, changed)
    sections = stored(track)
    craft, digital = sections["Краеведение"], sections["Цифровая помощь"]
    assert (craft.synthesis, craft.summary) == before
    assert digital.summary == "Написано людьми." and digital.summary_edited
    assert digital.synthesis["summary"] == "Участники предлагают новое."


def test_moves_and_renames_keep_the_summary_honest(event, track, organiser, proposals,
                                                   monkeypatch):
    from strategy.export.drafts import load_export_data, section_views

    run_once(event, track, organiser, monkeypatch, fake_result(proposals))
    sections = stored(track)
    craft, digital = sections["Краеведение"], sections["Цифровая грамотность"]
    ops.rename_section(digital, organiser, "Цифровая помощь")
    db.session.expire_all()
    assert "«Цифровая помощь»" in db.session.get(DraftSection, digital.id).summary
    ops.move_proposal(proposals[0], db.session.get(DraftSection, digital.id), organiser)
    db.session.expire_all()
    views = {v.title: v for v in section_views(load_export_data(event, track), track)}
    craft_view = views["Краеведение"]
    # 13 members now: the grouping's «14 предложений» no longer holds, and no sentence of a
    # proposal is passed off as the summary
    assert "14" not in craft_view.summary and "13 предложениях" in craft_view.summary
    assert "Собрать предметы быта" not in craft_view.summary
    assert craft_view.subtopics and len(craft_view.subtopics[0][1]) == 6
    assert all(p.id != proposals[0].id for p, _quote in craft_view.quotes)


def test_workspace_page_shows_summary_quotes_subtopics_and_see_also(client, auth, event, track,
                                                                    organiser, proposals,
                                                                    monkeypatch):
    run_once(event, track, organiser, monkeypatch, fake_result(proposals))
    digital = stored(track)["Цифровая грамотность"]
    auth.as_staff(organiser)
    html = client.get(f"/events/{event.id}/manage/workspace?track={track.slug}").get_data(
        as_text=True)
    assert "Участники предлагают меры по теме «Краеведение»" in html
    assert "<blockquote" in html and "«Собрать предметы быта" in html
    assert proposals[0].author.display_name in html
    assert "Подтемы раздела" in html and "Музейная комната" in html
    assert "data-see-also" in html and f'data-also-in="{digital.id}"' in html
    assert "Почему эти предложения здесь" not in html  # the «Прочее» summary already says it


def text_of(document: Document) -> list[str]:
    return [p.text for p in document.paragraphs]


def test_docx_has_summary_quotes_subtopics_and_see_also(event, track, organiser, proposals,
                                                        monkeypatch):
    run_once(event, track, organiser, monkeypatch, fake_result(proposals))
    document = Document(io.BytesIO(build_docx(event, track)))
    paragraphs = text_of(document)
    joined = "\n".join(paragraphs)
    summary = next(p for p in paragraphs if p.startswith("Кратко: Участники предлагают меры по "
                                                         "теме «Краеведение»"))
    assert "\u00a0— 14" in summary and "Собрать" not in summary
    quotes = [p for p in document.paragraphs if p.style.name == "Quote"]
    assert any(q.text.startswith("«Собрать предметы быта") and
               proposals[0].author.display_name in q.text for q in quotes)
    assert "Подтемы раздела:" in paragraphs
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert any(b.startswith("Музейная комната\u00a0— 7\u00a0предложений (1.1.1") or
               b.startswith("Музейная комната\u00a0— 7 предложений (1.1.1") for b in bullets), \
        bullets
    see_also = next(p for p in paragraphs if p.startswith("См. также: 1.1.14"))
    assert "(раздел «Краеведение»)" in see_also
    assert any(p.startswith("См. также: раздел 1.2 «Цифровая грамотность»") for p in paragraphs)
    assert REASON in joined
    for instruction in ("Номера страниц", "обновления оглавления", "Нажмите", "F9"):
        assert instruction not in joined


def test_progress_follows_the_analysis_stages(event, track, organiser, create_participant,
                                              create_proposal, monkeypatch):
    people = [create_participant(event, name=f"Автор {i}") for i in range(3)]
    for i, (title, body) in enumerate(MUSEUM[:4] + DIGITAL + TOURS[:3]):
        create_proposal(track, people[i % 3], title=title, body=body)
    seen = []

    def record(run, progress, message):
        seen.append((run.stage, progress, message))
        run.progress = max(0, min(100, progress))
        run.message = message
        db.session.commit()

    monkeypatch.setattr(ops, "set_progress", record)
    run = run_once(event, track, organiser)
    stages = [stage for stage, _p, _m in seen]
    for stage in ("prepare", "vectorize", "cluster", "name", "duplicates", "done"):
        assert stage in stages
    order = [stages.index(s) for s in ("vectorize", "cluster", "name", "duplicates")]
    assert order == sorted(order)
    percents = [p for _s, p, _m in seen]
    assert percents == sorted(percents)
    assert any("строим признаки текстов" in m.lower() for _s, _p, m in seen)
    run = db.session.get(ClusterRun, run.id)
    assert run.stage == "done" and run.progress == 100
    # a real run stores a third-person summary and quotes of its members
    sections = [s for s in stored(track).values() if not s.is_other]
    assert sections and all(s.synthesis and s.synthesis["summary"].startswith("Участники")
                            for s in sections)
    members = {a.proposal_id: a.section_id for a in db.session.scalars(
        sa.select(SectionAssignment))}
    for section in sections:
        for quote in section.synthesis["quotes"]:
            assert members[quote["proposal_id"]] == section.id


def test_run_status_json_names_the_stage(client, auth, event, track, organiser, proposals,
                                         monkeypatch):
    run = run_once(event, track, organiser, monkeypatch, fake_result(proposals))
    auth.as_staff(organiser)
    data = client.get(f"/events/{event.id}/manage/workspace/runs/{run.id}",
                      headers={"Accept": "application/json"}).get_json()["data"]
    assert data["stage"] == "done" and data["stage_label"] == "сохраняем разделы"
