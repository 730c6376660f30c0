"""Downloads: every file is opened with its own library and checked against the database."""
import csv
import io
import json
import re
import shutil
import subprocess
import zipfile

import openpyxl
import pytest
import sqlalchemy as sa
from docx import Document

from strategy.auth.models import Role
from strategy.comments.operations import add_comment
from strategy.extensions import db
from strategy.proposals.models import Proposal, ProposalStatus
from strategy.proposals.operations import join_project
from strategy.supports.models import Support
from strategy.supports.operations import add_support
from strategy.workspace import operations as ops
from strategy.workspace.models import DraftSection, SectionAssignment

TEXTS = [
    ("Краеведческий музей в сельской библиотеке", "Собрать предметы быта старожилов села и "
     "открыть музейную комнату краеведения."),
    ("Краеведческие экскурсии по селу", "Экскурсии по истории села для школьников - с "
     "рассказами \"старожилов\" и краеведов."),
    ("Клуб юных краеведов", "Школьники изучают историю села, встречаются со старожилами."),
    ("Курсы компьютерной грамотности для пенсионеров", "Учим пенсионеров пользоваться "
     "Госуслугами, смартфоном и интернетом."),
    ("Цифровая грамотность старшего поколения", "Занятия для пенсионеров: смартфон, интернет, "
     "Госуслуги, защита от мошенников."),
    ("Волонтёры цифровой помощи", "Школьники-волонтёры помогают пенсионерам освоить смартфон."),
]
INJECTION = "=HYPERLINK(\"http://evil.example\",\"нажми\")"


@pytest.fixture
def world(event, create_participant, create_proposal, organiser):
    """Two tracks; proposals with supports, comments and a join; one hidden, one merged, one
    added after the grouping; one author without consent; a formula-looking title."""
    people = [create_participant(event, name=f"Участник {i}", library=f"Библиотека №{i}",
                                 municipality=f"Район {i}", consent=(i != 1)) for i in range(5)]
    track, other = event.tracks
    proposals = [create_proposal(track, people[i % 5], title=t, body=b)
                 for i, (t, b) in enumerate(TEXTS)]
    tricky = create_proposal(other, people[2], title=INJECTION, body="+7 (3952) 20-00-00",
                             partners="@библиотека", expected_result="-5% очередей")
    for proposal, supporters in zip(proposals + [tricky], ([1, 2, 3], [0, 2], [], [0, 1, 2, 4],
                                                          [3], [3], [0, 1])):
        for person in supporters:
            add_support(proposal, people[person])
    add_comment(proposals[0], people[3], "Поддерживаю, у нас есть фонд.")
    add_comment(tricky, people[0], "-2+3 это формула?")
    join_project(proposals[3], people[4], library="Центральная библиотека Тулуна",
                 municipality="Тулун")
    hidden = create_proposal(track, people[0], title="Скрытое предложение про рекламу",
                             body="Реклама чего-то постороннего, не по теме.")
    merged = create_proposal(track, people[3], title="Дубль курсов для пенсионеров",
                             body="Курсы компьютерной грамотности для пенсионеров в библиотеке.")
    run = ops.start_run(event, None, organiser)
    assert ops.execute_run(run.id).status.value == "done"
    hidden.status = ProposalStatus.hidden
    hidden.hidden_reason = "Не по теме"
    merged.status = ProposalStatus.merged
    merged.merged_into_id = proposals[3].id
    db.session.commit()
    late = create_proposal(track, people[4], title="Новое после группировки",
                           body="Библиотечный кинозал для молодёжи по выходным.")
    return {"people": people, "proposals": proposals, "tricky": tricky, "hidden": hidden,
            "merged": merged, "late": late}


def published():
    return list(db.session.scalars(sa.select(Proposal).where(
        Proposal.status == ProposalStatus.published).order_by(Proposal.id)))


def section_title_of(proposal) -> str:
    assignment = db.session.scalar(sa.select(SectionAssignment).where(
        SectionAssignment.proposal_id == proposal.id))
    return assignment.section.title if assignment else "Не распределены по разделам"


def supporters_in_track(track_id) -> int:
    return db.session.scalar(sa.select(sa.func.count(sa.distinct(Support.user_id))).where(
        Support.track_id == track_id))


def fetch(client, auth, organiser, url):
    auth.as_staff(organiser)
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


# --------------------------------------------------------------------------- DOCX


def xml_parts(content: bytes) -> dict[str, str]:
    """Every XML part of an Office file (a ZIP), as text: what any reader could see."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    return {name: archive.read(name).decode("utf-8") for name in archive.namelist()
            if name.endswith((".xml", ".rels"))}


def parts_of_document(content: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(content)).read("word/document.xml").decode()


def docx_outline(content: bytes):
    """(style, text) of every paragraph of the document."""
    document = Document(io.BytesIO(content))
    return document, [(p.style.name, p.text) for p in document.paragraphs]


def test_docx_structure_and_numbers_match_the_database(client, auth, event, organiser, world):
    response = fetch(client, auth, organiser, f"/events/{event.id}/manage/export/strategy.docx")
    assert response.mimetype.endswith("wordprocessingml.document")
    assert "attachment" in response.headers["Content-Disposition"]
    document, outline = docx_outline(response.data)
    texts = [t for _, t in outline]
    assert "Проект стратегии развития библиотек Иркутской области" in texts[:12]
    assert "по итогам проектировочной сессии «Стратегия развития библиотек Иркутской " \
           "области»" in [t.replace("\u00a0", " ") for t in texts[:12]]
    assert any(re.fullmatch(r"Черновик для обсуждения\. Сформирован \d{1,2} [а-я]+ 20\d\d "
                            r"в \d\d:\d\d\.", t.replace("\u00a0", " ")) for t in texts[:20])
    # the contents: one entry per Heading 1–2, each a PAGEREF field to its heading's bookmark
    xml = parts_of_document(response.data)
    refs = re.findall(r"PAGEREF (_Toc\d+) \\h", xml)
    marks = dict(re.findall(r'<w:bookmarkStart w:id="\d+" w:name="(_Toc\d+)"/>'
                            r'(?:<w:r>)?.*?<w:t[^>]*>([^<]+)</w:t>', xml))
    headings = [t for s, t in outline if s in ("Heading 1", "Heading 2")]
    assert len(refs) == len(headings) == len(marks) and set(refs) == set(marks)
    assert [marks[r] for r in refs] == headings
    assert document.settings.element.find(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}updateFields") is not None
    headings1 = [t for s, t in outline if s == "Heading 1"]
    assert headings1[:2] == ["1. Гений места", "2. Библиотека\u00a0— социальный хаб"]
    assert headings1[-2].startswith("Приложение") and headings1[-1] == "Указатель партнёров"
    # every published proposal exactly once, as Heading 3, under its section's Heading 2
    section, found = None, {}
    for index, (style, text) in enumerate(outline):
        if style == "Heading 2":
            section = re.sub(r"^\d+\.\d+\. ", "", text)
        elif style == "Heading 3":
            title = re.sub(r"^\d+\.\d+\.\d+\. ", "", text)
            meta = next(t for s, t in outline[index + 1:] if t.startswith("Автор:"))
            found.setdefault(title, []).append((section, meta))
    from strategy.export.docx import typograph
    for proposal in published():
        title = typograph(proposal.title)
        assert len(found.get(title, [])) == 1, (title, found.get(title))
        placed_in, meta = found[title][0]
        assert placed_in == typograph(section_title_of(proposal))
        assert (f"Поддержали {proposal.support_count} из "
                f"{supporters_in_track(proposal.track_id)} участник") in meta
        assert f"Комментариев: {proposal.comment_count}." in meta
    for gone in (world["hidden"], world["merged"]):
        assert gone.title not in "\n".join(texts)
    # joins and consent
    joined = typograph(world["proposals"][3].title)
    assert "Центральная библиотека Тулуна" in found[joined][0][1]
    no_consent = world["people"][1]
    parts = xml_parts(response.data)
    assert any("Библиотека №0" in text for text in parts.values())  # the check can see names
    for name, text in parts.items():
        assert no_consent.library not in text, name
        assert no_consent.municipality not in text, name
    assert all(no_consent.library not in t for t in texts)
    assert any("Библиотека №0" in t for t in texts)
    # Russian typography in the body text
    body = next(t for t in texts if t.startswith("Экскурсии по истории села"))
    assert "\u00a0— с рассказами «старожилов»" in body
    # the appendix has the charts and the method
    assert len(document.inline_shapes) == 4
    assert "Как сформированы разделы" in [t for s, t in outline if s == "Heading 2"]
    assert any("Мало" in t or "предварительные" in t for t in texts)


def test_docx_agreed_only(client, auth, event, organiser, world):
    sections = list(db.session.scalars(sa.select(DraftSection).order_by(DraftSection.id)))
    agreed = sections[0]
    ops.set_state(agreed, organiser, "agreed")
    response = fetch(client, auth, organiser,
                     f"/events/{event.id}/manage/export/strategy.docx?agreed=1")
    _, outline = docx_outline(response.data)
    headings2 = [re.sub(r"^\d+\.\d+\. ", "", t) for s, t in outline if s == "Heading 2"]
    assert agreed.title in " ".join(headings2)
    for other in sections[1:]:
        assert other.title not in headings2
    assert "Не распределены по разделам" not in headings2
    assert any("только согласованные" in t.lower() for _, t in outline)


# --------------------------------------------------------------------------- XLSX


def test_xlsx_sheets_and_numbers(client, auth, event, organiser, world):
    response = fetch(client, auth, organiser, f"/events/{event.id}/manage/export/data.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Предложения", "Разделы", "Поддержки по трекам", "Комментарии",
                               "Участники", "Поддержки", "Экспертиза", "Официальные ответы",
                               "Статистика", "Опросы"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet["A1"].font.bold
        assert sheet.column_dimensions["A"].width >= 4
    rows = list(book["Предложения"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    column = {name: header.index(name) for name in header}
    all_proposals = list(db.session.scalars(sa.select(Proposal)))
    assert sorted(r[column["id"]] for r in body) == sorted(p.id for p in all_proposals)
    by_id = {r[column["id"]]: r for r in body}
    for proposal in all_proposals:
        row = by_id[proposal.id]
        assert row[column["поддержек"]] == proposal.support_count
        assert row[column["статус"]] == proposal.status.label
        assert row[column["тип"]] == proposal.kind.label
        assert row[column["трек"]] == proposal.track.title
        assert row[column["в проекте"]] == ("да" if proposal.status is ProposalStatus.published
                                            else "нет")
    assert by_id[world["merged"].id][column["объединено с"]] == world["proposals"][3].id
    assert by_id[world["hidden"].id][column["причина скрытия"]] == "Не по теме"
    no_consent = world["people"][1]
    assert all(no_consent.library not in str(v) for r in body for v in r)
    tracks = list(book["Поддержки по трекам"].iter_rows(values_only=True))[1:]
    assert [row[0] for row in tracks] == [t.title for t in event.tracks]
    for row in tracks:
        track = next(t for t in event.tracks if t.title == row[0])
        assert row[3] == sum(p.support_count for p in published() if p.track_id == track.id)
        assert row[4] == supporters_in_track(track.id)
    supports = list(book["Поддержки"].iter_rows(values_only=True))[1:]
    assert len(supports) == db.session.scalar(sa.select(sa.func.count(Support.id)))
    stats = dict(list(book["Статистика"].iter_rows(values_only=True))[1:])
    assert stats["Опубликованных предложений (входят в проект)"] == len(published())


def test_formula_injection_is_neutralised(client, auth, event, organiser, world):
    auth.as_staff(organiser)
    base = f"/events/{event.id}/manage/export"
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"{base}/data.xlsx").data))
    dangerous = ("=", "+", "-", "@", "\t", "\r")
    checked = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.data_type != "f"
                    assert not cell.value.startswith(dangerous), (sheet.title, cell.value)
                    checked += cell.value.startswith("'")
    assert checked >= 4  # title, body, partners, expected result, comment
    for name in ("proposals", "comments", "participants", "sections", "supports"):
        text = client.get(f"{base}/{name}.csv").data.decode("utf-8-sig")
        for row in csv.reader(io.StringIO(text), delimiter=";"):
            for value in row:
                assert not value.startswith(dangerous), (name, value)
    proposals_csv = client.get(f"{base}/proposals.csv").data.decode("utf-8-sig")
    assert "'" + INJECTION.replace('"', '""') in proposals_csv
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"{base}/polis.zip").data))
    comments = list(csv.DictReader(io.StringIO(archive.read("comments.csv").decode())))
    assert all(not c["comment-body"].startswith(dangerous) for c in comments)


# --------------------------------------------------------------------------- CSV, JSON, Pol.is


def test_csv_is_utf8_with_bom_and_marks_statuses(client, auth, event, organiser, world):
    response = fetch(client, auth, organiser, f"/events/{event.id}/manage/export/proposals.csv")
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == db.session.scalar(sa.select(sa.func.count(Proposal.id)))
    status = {int(r["id"]): r["статус"] for r in rows}
    assert status[world["hidden"].id] == "hidden"
    assert status[world["merged"].id] == "merged"
    late = next(r for r in rows if int(r["id"]) == world["late"].id)
    assert late["id раздела"] == "" and late["в проекте"] == "1"


def test_json_shape_and_consent(client, auth, event, organiser, world):
    response = fetch(client, auth, organiser, f"/events/{event.id}/manage/export/data.json")
    data = json.loads(response.data)
    assert data["format"] == "strategy-workshop-export" and data["version"] == 1
    assert {t["slug"] for t in data["tracks"]} == {"genius-loci", "social-hub"}
    proposals = {p["id"]: p for p in data["proposals"]}
    assert proposals[world["hidden"].id]["in_draft"] is False
    assert proposals[world["merged"].id]["merged_into"] == world["proposals"][3].id
    for p in published():
        assert proposals[p.id]["support_count"] == p.support_count
    in_sections = [pid for t in data["tracks"] for s in t["sections"] for pid in s["proposal_ids"]]
    assert len(in_sections) == len(set(in_sections))
    assert set(in_sections) == {p.id for p in published()} - {world["late"].id}
    hidden_author = world["people"][1]
    for p in data["proposals"]:
        if p["author"]["id"] == hidden_author.id:
            assert p["author"]["library"] == ""
            assert p["author"]["name"] == hidden_author.display_name
    participants = {u["id"]: u for u in data["participants"]}
    assert participants[hidden_author.id]["library"] == ""
    assert participants[world["people"][0].id]["library"] == "Библиотека №0"
    assert len(data["supports"]) == db.session.scalar(sa.select(sa.func.count(Support.id)))
    assert data["statistics"]["proposals_published"] == len(published())


def test_polis_zip_has_the_polis_shape(client, auth, event, organiser, world):
    response = fetch(client, auth, organiser, f"/events/{event.id}/manage/export/polis.zip")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert set(archive.namelist()) == {"summary.csv", "comments.csv", "votes.csv",
                                       "participants-votes.csv"}
    comments = list(csv.DictReader(io.StringIO(archive.read("comments.csv").decode())))
    assert list(comments[0]) == ["timestamp", "datetime", "comment-id", "author-id", "agrees",
                                 "disagrees", "moderated", "comment-body"]
    by_id = {int(c["comment-id"]): c for c in comments}
    assert by_id[world["hidden"].id]["moderated"] == "-1"
    assert by_id[world["proposals"][0].id]["agrees"] == "3"
    votes = list(csv.DictReader(io.StringIO(archive.read("votes.csv").decode())))
    assert len(votes) == db.session.scalar(sa.select(sa.func.count(Support.id)))
    assert {v["vote"] for v in votes} == {"1"}
    summary = dict(csv.reader(io.StringIO(archive.read("summary.csv").decode())))
    assert summary["comments"] == str(len(comments))


# --------------------------------------------------------------------------- stats, access, CLI


def test_stats_page_and_charts(client, auth, event, organiser, world):
    page = fetch(client, auth, organiser, f"/events/{event.id}/manage/stats")
    html = page.get_data(as_text=True)
    assert "Статистика сессии" in html and "Не указан или скрыт участником" in html
    assert "Центральная библиотека Тулуна: 1" in html
    for name in ("tracks", "activity", "municipalities", "libraries"):
        svg = client.get(f"/events/{event.id}/manage/stats/{name}.svg")
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
        assert b"<svg" in svg.data
    tracks_svg = client.get(f"/events/{event.id}/manage/stats/tracks.svg").data.decode()
    assert "Гений места" in tracks_svg
    assert client.get(f"/events/{event.id}/manage/stats/nope.svg").status_code == 404


DOWNLOADS = ["/export", "/export/strategy.docx", "/export/data.xlsx", "/export/proposals.csv",
             "/export/data.json", "/export/polis.zip", "/stats", "/stats/tracks.svg"]


@pytest.mark.parametrize("path", DOWNLOADS)
def test_downloads_are_for_organisers_only(client, auth, event, create_participant,
                                           create_staff, path):
    url = f"/events/{event.id}/manage{path}"
    assert client.get(url).status_code == 302
    auth.as_participant(create_participant(event))
    assert client.get(url).status_code == 403
    auth.logout()
    auth.as_staff(create_staff(role=Role.facilitator))
    assert client.get(url).status_code == 403


def test_empty_event_exports_cleanly(client, auth, event, organiser):
    auth.as_staff(organiser)
    for path in DOWNLOADS + ["/stats/activity.svg", "/export/strategy.docx?agreed=1"]:
        assert client.get(f"/events/{event.id}/manage{path}").status_code == 200, path


def test_cli_export_writes_every_format(runner, event, world, tmp_path):
    for fmt in ("docx", "xlsx", "csv", "json", "polis"):
        out = tmp_path / f"out.{fmt}"
        result = runner.invoke(args=["export", "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
    Document(str(tmp_path / "out.docx"))
    openpyxl.load_workbook(tmp_path / "out.xlsx")
    json.loads((tmp_path / "out.json").read_text())
    zipfile.ZipFile(tmp_path / "out.polis")
    result = runner.invoke(args=["export", "--format", "docx", "--out", str(tmp_path / "x"),
                                 "--track", "nope"])
    assert result.exit_code != 0 and "Нет трека" in result.output


def test_cli_export_takes_the_event(runner, create_event, create_participant, create_proposal,
                                    tmp_path):
    first = create_event(code="ONE26")
    create_proposal(first.tracks[0], create_participant(first), title="Предложение первого")
    second = create_event(code="TWO26", title="Другая сессия")
    out = tmp_path / "first.json"
    result = runner.invoke(args=["export", "--format", "json", "--out", str(out),
                                 "--event", str(first.id)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["event"]["code"] == "ONE26"
    assert [p["title"] for p in data["proposals"]] == ["Предложение первого"]
    result = runner.invoke(args=["export", "--format", "json", "--out", str(out),
                                 "--event", "TWO26"])
    assert json.loads(out.read_text())["event"]["code"] == second.code  # by its code
    result = runner.invoke(args=["export", "--format", "json", "--out", str(out)])
    assert result.exit_code == 2 and "укажите нужное параметром --event" in result.output
    result = runner.invoke(args=["export", "--format", "json", "--out", str(out),
                                 "--event", "999"])
    assert result.exit_code == 2 and "Мероприятие «999» не найдено" in result.output


def test_menu_has_the_downloads_for_organisers_only(client, auth, event, organiser,
                                                    create_staff):
    auth.as_staff(organiser)
    html = client.get(f"/events/{event.id}/manage/export").get_data(as_text=True)
    assert f'href="/events/{event.id}/manage/stats"' in html
    assert f'href="/events/{event.id}/manage/export"' in html
    auth.logout()
    auth.as_staff(create_staff(role=Role.facilitator))
    page = client.get(f"/events/{event.id}/manage")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'href="/events/{event.id}/manage/queue"' in html  # the staff menu is there
    assert f'href="/events/{event.id}/manage/export"' not in html


# --------------------------------------------------------------------------- issue 13: the draft

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def test_docx_fields_properties_and_no_instruction_text(client, auth, event, organiser, world):
    event.place = ("Иркутская областная государственная универсальная научная библиотека "
                   "им. И. И. Молчанова-Сибирского, ул. Лермонтова, 253, Иркутск")
    db.session.commit()
    response = fetch(client, auth, organiser, f"/events/{event.id}/manage/export/strategy.docx")
    document, outline = docx_outline(response.data)
    parts = xml_parts(response.data)
    # page numbers: a PAGE field in the footer, none on the title page
    footers = [text for name, text in parts.items() if name.startswith("word/footer")]
    assert any("PAGE" in text and 'fldCharType="begin"' in text for text in footers)
    assert document.sections[0].different_first_page_header_footer
    # the contents is a dirty field the reader rebuilds; settings ask for it, in schema order
    settings = document.settings.element
    update = settings.find(f"{W}updateFields")
    assert update is not None and update.get(f"{W}val") == "true"
    names = [child.tag for child in settings]
    assert names.index(f"{W}updateFields") < names.index(f"{W}compat")
    assert 'w:dirty="true"' in parts["word/document.xml"]
    body = "\n".join(t for _, t in outline)
    assert "Номера страниц" not in body and "обновления оглавления" not in body
    # core properties
    properties = document.core_properties
    assert properties.title == "Проект стратегии развития библиотек Иркутской области"
    assert properties.author == ("Иркутская областная государственная универсальная научная "
                                 "библиотека им. И. И. Молчанова-Сибирского")
    assert properties.language == "ru-RU"
    # the title page: the organiser's name kept together, the address on its own line
    title_page = [t for _, t in outline[:20]]
    organiser_line = next(t for t in title_page if t.startswith("Иркутская областная"))
    assert "им.\u00a0И.\u00a0И.\u00a0Молчанова-Сибирского" in organiser_line
    assert "ул.\u00a0Лермонтова, 253, Иркутск" in title_page


def test_author_line_names_the_place_once(client, auth, event, organiser, create_participant,
                                          create_proposal):
    from strategy.core.places import names_place, place_line
    assert place_line("Центральная городская библиотека, Черемхово", "Черемхово") == \
        "Центральная городская библиотека, Черемхово"
    assert names_place("Межпоселенческая библиотека Ольхонского района", "Ольхонский район")
    assert place_line("ЦБС Братска", "Ангарский городской округ") == \
        "ЦБС Братска, Ангарский городской округ"
    author = create_participant(event, name="Ольга Ким", municipality="Черемхово",
                                library="Центральная городская библиотека, Черемхово")
    create_proposal(event.tracks[0], author, title="Читальня на вокзале", body="Книги в зале.")
    response = fetch(client, auth, organiser, f"/events/{event.id}/manage/export/strategy.docx")
    _, outline = docx_outline(response.data)
    meta = next(t for _, t in outline if t.startswith("Автор: Ольга Ким"))
    assert meta.startswith("Автор: Ольга Ким, Центральная городская библиотека, Черемхово.")
    assert "Черемхово, Черемхово" not in meta


def test_a_participants_affiliation_names_the_place_once(app):
    """The screens' author lines («Центральная городская библиотека, Черемхово», not «…,
    Черемхово, Черемхово») follow the same rule as the downloads."""
    from strategy.auth.models import User

    person = User(display_name="Юлия", library="Центральная городская библиотека, Черемхово",
                  municipality="Черемхово", consent_public_affiliation=True)
    assert person.public_affiliation == "Центральная городская библиотека, Черемхово"
    person.library = "ЦБС Братска"
    assert person.public_affiliation == "ЦБС Братска, Черемхово"
    person.consent_public_affiliation = False
    assert person.public_affiliation == ""


def method_note(client, event) -> str:
    _, outline = docx_outline(client.get(
        f"/events/{event.id}/manage/export/strategy.docx").data)
    start = next(i for i, (s, t) in enumerate(outline) if t == "Как сформированы разделы")
    end = next((i for i, (s, t) in enumerate(outline) if i > start and s.startswith("Heading")),
               len(outline))
    return "\n".join(t for _, t in outline[start + 1:end]).replace("\u00a0", " ")


def test_method_note_says_what_really_happened(client, auth, event, organiser, world):
    auth.as_staff(organiser)
    note = method_note(client, event)
    assert "Группировка запускалась 1 раз" in note
    assert "разделы вручную не правила" in note
    assert "Затем методическая группа" not in note
    sections = list(db.session.scalars(sa.select(DraftSection).order_by(DraftSection.id)))
    ops.rename_section(sections[0], organiser, "Краеведение в сёлах")
    ops.set_locked(sections[0], organiser, True)
    ops.set_state(sections[1], organiser, "agreed")
    note = method_note(client, event)
    assert "разделы вручную не правила" not in note
    assert "переименований разделов — 1" in note and "закреплений — 1" in note
    assert "смен состояния — 1" in note and "переносов предложений" not in note
    assert f"Разделов в проекте: {len(sections)}; согласовано — 1" in note
    assert "закреплено — 1." in note


def test_method_note_names_the_run_that_left_each_tracks_sections(client, auth, event,
                                                                    organiser, world):
    auth.as_staff(organiser)
    first, second = event.tracks[0], event.tracks[1]
    note = method_note(client, event)
    assert "Группировка запускалась 1 раз. Последняя группировка по трекам:" in note
    assert f"«{first.title}» — " in note and note.count("вместе со всеми треками") == 2
    run = ops.start_run(event, first, organiser)
    run = ops.execute_run(run.id)
    note = method_note(client, event)
    # the newest run is one track's: its figures are not the document's, nor the other track's
    assert "Группировка запускалась 2 раза." in note
    assert f"«{first.title}» — " in note and f"({run.n_proposals} предложени" in note
    assert note.count("вместе со всеми треками") == 1
    from strategy.export.docx import typograph
    assert f"«{typograph(second.title)}» — ".replace("\u00a0", " ") in note


def test_agreement_shares_stances_and_contested_mark(client, auth, event, organiser, world):
    from strategy.export.agreement import is_contested, proposal_agreement, Stances
    assert is_contested(0.1, for_=1, against=3)
    assert not is_contested(0.1, for_=4, against=3)
    assert is_contested(0.5, for_=5, against=2)
    assert not is_contested(0.1, for_=0, against=2)
    assert proposal_agreement(3, 4, Stances(1, 0)).percent == 75
    assert proposal_agreement(0, 0, Stances()).share == 0
    people, target = world["people"], world["proposals"][1]
    for person in (people[0], people[2]):
        add_comment(target, person, "Не согласен, это дорого.", stance="against")
    add_comment(target, people[0], "Передумал: согласен.", stance="for")  # latest counts
    add_comment(target, people[4], "Хорошая мысль.", stance="for")
    add_comment(target, people[4], "Уточню срок.", stance="neutral")  # so 4 is neutral now
    response = fetch(client, auth, organiser, f"/events/{event.id}/manage/export/strategy.docx")
    from strategy.export.docx import typograph
    _, outline = docx_outline(response.data)
    index = next(i for i, (s, t) in enumerate(outline)
                 if s == "Heading 3" and t.endswith(typograph(target.title)))
    meta = next(t for _, t in outline[index:] if "Автор:" in t)
    track = supporters_in_track(target.track_id)
    share = round(100 * target.support_count / track)
    assert f"Поддержали {target.support_count} из {track} участник" in meta
    assert f"({share}\u00a0%)" in meta
    assert "В комментариях за\u00a0— 1, против\u00a0— 1." in meta
    assert not meta.startswith("Спорное")
    add_comment(target, people[3], "Против.", stance="against")
    add_comment(target, create_extra(event), "Против.", stance="against")  # 3 against, 1 for
    _, outline = docx_outline(client.get(
        f"/events/{event.id}/manage/export/strategy.docx").data)
    index = next(i for i, (s, t) in enumerate(outline)
                 if s == "Heading 3" and t.endswith(typograph(target.title)))
    meta = next(t for _, t in outline[index:] if "Автор:" in t)
    assert meta.startswith("Спорное предложение.")
    assert any(t.startswith("Есть разногласия. Спорных предложений в разделе: 1")
               for _, t in outline)
    book = openpyxl.load_workbook(io.BytesIO(client.get(
        f"/events/{event.id}/manage/export/data.xlsx").data))
    rows = list(book["Предложения"].iter_rows(values_only=True))
    column = {name: rows[0].index(name) for name in rows[0]}
    row = next(r for r in rows[1:] if r[column["id"]] == target.id)
    assert row[column["комментариев «против»"]] == 3 and row[column["комментариев «за»"]] == 1
    assert row[column["спорное"]] == "да"
    assert row[column["поддержали, % участников трека"]] == share


def create_extra(event):
    from strategy.auth.operations import join_event
    user, _code = join_event(event, display_name="Ещё участник", library="", municipality="",
                             consent_public_affiliation=False)
    return user


def test_partners_merged_across_spellings_and_indexed(client, auth, event, organiser,
                                                      create_participant, create_proposal):
    from strategy.export.partners import merge_partner_names, split_partners
    assert split_partners("Совет ветеранов, школы; «Движение первых»\nи МФЦ") == \
        ["Совет ветеранов", "школы", "«Движение первых»", "МФЦ"]
    shown = merge_partner_names(["Совет ветеранов", "совет ветеранов", "Совет ветеранов",
                                 "Центр «Мой бизнес»", "центр \"Мой бизнес\""])
    assert shown["совет ветеранов"] == "Совет ветеранов"
    assert shown["центр \"Мой бизнес\""] == shown["Центр «Мой бизнес»"]
    person = create_participant(event)
    track = event.tracks[0]
    first = create_proposal(track, person, title="Клуб ветеранов", body="Встречи по средам.",
                            partners="Совет ветеранов, районная газета, ФПГ")
    second = create_proposal(track, person, title="Летопись села", body="Воспоминания.",
                             partners="совет ветеранов; Школы; Фонд президентских грантов")
    response = fetch(client, auth, organiser, f"/events/{event.id}/manage/export/strategy.docx")
    _, outline = docx_outline(response.data)
    texts = [t for _, t in outline]
    section_partners = next(t for t in texts if t.startswith("Партнёры раздела: "))
    assert section_partners.count("Совет ветеранов") == 1
    assert "Совет ветеранов (1.1.1, 1.1.2)" in section_partners  # both, by their numbers
    start = len(texts) - 1 - texts[::-1].index("Указатель партнёров")  # not the contents
    index = [t.replace("\u00a0", " ") for t in texts[start + 2:]]
    # the abbreviation and the name it spells are one entry, shown in full
    assert index == ["Районная газета — 1.1.1", "Совет ветеранов — 1.1.1, 1.1.2",
                     "Фонд президентских грантов (ФПГ) — 1.1.1, 1.1.2", "Школы — 1.1.2"]
    results = [t for t in texts if t.startswith("Ожидаемые результаты")]
    assert results == []  # neither proposal names a result: no empty heading
    del first, second


def test_a_section_names_its_partners_as_the_whole_draft_and_its_index_do(
        client, auth, event, organiser, create_participant, create_proposal):
    # one track writes the short forms, another the full ones: the first track's section
    # used to list «Эксперты ПФКИ» while the index named the same body in full
    person = create_participant(event)
    first, second = event.tracks[0], event.tracks[1]
    create_proposal(first, person, title="Школа заявок", body="Разбор заявок.",
                    partners="Эксперты ПФКИ, Ресурсный центр НКО")
    create_proposal(second, person, title="Грантовый офис", body="Консультации.",
                    partners="Эксперты Президентского фонда культурных инициатив; "
                             "Ресурсный центр НКО Иркутской области")
    response = fetch(client, auth, organiser, f"/events/{event.id}/manage/export/strategy.docx")
    _, outline = docx_outline(response.data)
    texts = [t.replace("\u00a0", " ") for _, t in outline]
    lists = [t for t in texts if t.startswith("Партнёры раздела: ")]
    assert lists == [
        "Партнёры раздела: Ресурсный центр НКО Иркутской области (1.1.1); Эксперты "
        "Президентского фонда культурных инициатив (1.1.1).",
        "Партнёры раздела: Ресурсный центр НКО Иркутской области (2.1.1); Эксперты "
        "Президентского фонда культурных инициатив (2.1.1)."]
    start = len(texts) - 1 - texts[::-1].index("Указатель партнёров")
    assert texts[start + 2:start + 4] == [
        "Ресурсный центр НКО Иркутской области — 1.1.1, 2.1.1",
        "Эксперты Президентского фонда культурных инициатив — 1.1.1, 2.1.1"]


def test_charts_have_one_title_whole_ticks_event_hours_and_others_last(app, event, world):
    import pandas as pd

    from strategy.export import charts
    from strategy.export.drafts import HIDDEN_KEY, load_export_data
    data = load_export_data(event)
    for name, build in charts.BUILDERS.items():
        figure = build(data)
        assert all(not ax.get_title() for ax in figure.axes), name  # the caption is the title
        for ax in figure.axes:
            if not ax.axison:
                continue
            counts = ax.get_yticks() if name == "activity" else ax.get_xticks()
            assert all(float(t).is_integer() for t in counts), (name, counts)
    table = charts.activity_table(data)
    hours = charts.event_hours(data, table)
    assert min(hours) == int(table["hour"].min()) and max(hours) == int(table["hour"].max())
    assert len(hours) < 24
    counts = pd.Series({HIDDEN_KEY: 9, **{f"Район {i}": 30 - i for i in range(25)}})
    top = charts.top_counts(counts, "Не указан")
    assert list(top.index[-2:]) == ["Не указан", "Другие"]
    assert top["Другие"] == sum(30 - i for i in range(charts.TOP_N, 25))
    assert list(top.iloc[:charts.TOP_N]) == sorted(top.iloc[:charts.TOP_N], reverse=True)


def test_xlsx_dates_are_dates_in_the_event_zone_and_rows_follow_the_draft(client, auth, event,
                                                                          organiser, world):
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    add_comment(world["proposals"][0], world["people"][2], "Поддерживаю.", stance="for")
    response = fetch(client, auth, organiser, f"/events/{event.id}/manage/export/data.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book["Предложения"]
    header = [c.value for c in sheet[1]]
    created = header.index("создано") + 1
    ids = header.index("id") + 1
    for row in sheet.iter_rows(min_row=2):
        cell = row[created - 1]
        assert cell.is_date and isinstance(cell.value, datetime), cell.value
        proposal = db.session.get(Proposal, row[ids - 1].value)
        local = proposal.created_at.replace(tzinfo=timezone.utc).astimezone(
            ZoneInfo("Asia/Irkutsk")).replace(tzinfo=None, microsecond=0)
        assert cell.value == local
    # rows by track, then section (in draft order), then support
    tracks = [r[header.index("трек")] for r in sheet.iter_rows(min_row=2, values_only=True)]
    order = [t.title for t in event.tracks]
    assert tracks == sorted(tracks, key=order.index)
    first_track = [r for r in sheet.iter_rows(min_row=2, values_only=True)
                   if r[header.index("трек")] == order[0]
                   and r[header.index("в проекте")] == "да"]
    sections = list(db.session.scalars(sa.select(DraftSection).where(
        DraftSection.track_id == event.tracks[0].id)
        .order_by(DraftSection.is_other, DraftSection.position, DraftSection.id)))
    rank = {s.title: i for i, s in enumerate(sections)}
    placed = [rank.get(r[header.index("раздел")], len(rank)) for r in first_track]
    assert placed == sorted(placed)
    comments = list(book["Комментарии"].iter_rows(values_only=True))
    column = {name: comments[0].index(name) for name in comments[0]}
    assert {r[column["позиция"]] for r in comments[1:]} == {"За", None}  # None: no stance
    assert {r[column["статус"]] for r in comments[1:]} == {"Опубликован"}
    assert all(isinstance(r[column["создано"]], datetime) for r in comments[1:])


def test_pdf_without_libreoffice_says_so_in_russian(app, client, auth, event, organiser, world,
                                                    runner, tmp_path):
    app.config["SOFFICE"] = ""
    auth.as_staff(organiser)
    page = client.get(f"/events/{event.id}/manage/export").get_data(as_text=True)
    assert "PDF недоступен: на сервере не установлен LibreOffice" in page
    assert "strategy.pdf" not in page
    response = client.get(f"/events/{event.id}/manage/export/strategy.pdf")
    assert response.status_code == 503
    assert "не установлен LibreOffice" in response.get_data(as_text=True)
    result = runner.invoke(args=["export", "--format", "pdf", "--out", str(tmp_path / "d.pdf")])
    assert result.exit_code != 0 and "не установлен LibreOffice" in result.output


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice and poppler-utils are not installed")
def test_pdf_has_the_contents_filled_with_page_numbers(client, auth, event, organiser, world,
                                                       tmp_path):
    auth.as_staff(organiser)
    page = client.get(f"/events/{event.id}/manage/export").get_data(as_text=True)
    assert "strategy.pdf" in page
    response = fetch(client, auth, organiser, f"/events/{event.id}/manage/export/strategy.pdf")
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    path = tmp_path / "draft.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          check=True).stdout.decode()
    pages = text.split("\f")
    contents = next(p for p in pages if "Содержание" in p)
    numbered = re.findall(r"^\s*(\d+\. Гений места)[ .]+(\d+)\s*$", contents, re.M)
    assert numbered and int(numbered[0][1]) >= 3, contents[:500]
    appendix = re.search(r"Приложение\. Статистика и методика[ .]+(\d+)", contents)
    assert appendix and "Приложение. Статистика и методика" in pages[int(appendix[1]) - 1]


def test_summary_is_third_person_and_quotes_name_their_authors(client, auth, event, organiser,
                                                               world):
    response = fetch(client, auth, organiser, f"/events/{event.id}/manage/export/strategy.docx")
    _, outline = docx_outline(response.data)
    summaries = [t for s, t in outline if t.startswith("Кратко: ")]
    quotes = [t for s, t in outline if s == "Quote"]
    assert summaries and quotes
    bodies = [p.body for p in published()]
    for summary in summaries:
        # the grouping's summary, or (members changed since) one built from the key terms
        assert summary.startswith(("Кратко: Участники предлагают ", "Кратко: Раздел объединяет ",
                                   "Кратко: Сюда отнесен")), summary
        for body in bodies:  # no sentence of a proposal presented as the summary
            first = body.split(". ")[0].rstrip(".")
            assert first not in summary.replace("\u00a0", " "), (first, summary)
    authors = {p.author.display_name for p in published()}
    for quote in quotes:
        quote = quote.replace("\u00a0", " ")
        assert quote.startswith("«") and "» — " in quote
        assert quote.split("» — ")[1].split(",")[0] in authors
    # a person's summary is kept as written
    section = db.session.scalars(sa.select(DraftSection).order_by(DraftSection.id)).first()
    ops.rename_section(section, organiser, section.title, summary="Написано методистом.")
    _, outline = docx_outline(client.get(
        f"/events/{event.id}/manage/export/strategy.docx").data)
    assert "Кратко: Написано методистом." in [t for _, t in outline]


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice and poppler-utils are not installed")
def test_libreoffice_fills_the_contents_on_opening_the_docx(client, auth, event, organiser,
                                                             world, tmp_path):
    """A plain conversion, with no update step: what a person sees opening the file."""
    response = fetch(client, auth, organiser, f"/events/{event.id}/manage/export/strategy.docx")
    (tmp_path / "draft.docx").write_bytes(response.data)
    subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                    "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(tmp_path / "draft.docx")], check=True, capture_output=True, timeout=180)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "draft.pdf"), "-"],
                          capture_output=True, check=True).stdout.decode()
    pages = text.split("\f")
    contents = next(p for p in pages if "Содержание" in p)
    numbers = re.findall(r"^\s*\S.*?\.{3,}\s*(\d+)\s*$", contents, re.M)
    assert len(numbers) >= 5, contents[:600]
    found = re.search(r"Указатель партнёров\.{3,}\s*(\d+)", contents)
    assert found and "Указатель партнёров" in pages[int(found[1]) - 1]
