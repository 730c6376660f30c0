"""Imports: a participants list and pre-collected proposals, every kind of bad file, a report
row by row, one transaction, and an export → import → export round trip."""
import csv
import io
import re

import openpyxl
import pytest
import sqlalchemy as sa

from strategy.auth.models import Role, User
from strategy.auth.operations import find_user_by_return_code
from strategy.extensions import db
from strategy.proposals.models import Proposal, ProposalStatus
from strategy.supports.operations import add_support

PARTICIPANTS_CSV = ("Имя;Библиотека;Муниципалитет;Согласие\r\n"
                    "Анна Петрова;ЦБС Братска;Братск;да\r\n"
                    "Олег Сидоров;Библиотека Тулуна;Тулун;нет\r\n"
                    "Ирина Ким;;;\r\n")


def upload(client, event, content: bytes, filename: str, kind="proposals", encoding="auto",
           track=""):
    return client.post(f"/events/{event.id}/manage/import",
                       data={"kind": kind, "encoding": encoding, "track": track,
                             "file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def mapping_url(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    return response.headers["Location"]


def do_import(client, url, action="import", **columns):
    """Submit the mapping form with the columns the page pre-selected (as a person would)."""
    page = client.get(url).get_data(as_text=True)
    data = {}
    for name, options in re.findall(r'name="(col_\w+)">(.*?)</select>', page, re.S):
        selected = re.search(r'<option value="(-?\d+)" selected', options)
        data[name] = selected.group(1) if selected else "-1"
    data.update(columns)
    data["action"] = action
    return client.post(url, data=data)


def test_import_is_for_organisers_only(client, auth, event, create_participant):
    assert client.get(f"/events/{event.id}/manage/import").status_code == 302
    auth.as_participant(create_participant(event))
    assert client.get(f"/events/{event.id}/manage/import").status_code == 403
    assert upload(client, event, b"a;b\n1;2\n", "x.csv").status_code == 403


def test_participants_list_with_codes_and_consent(client, auth, event, organiser):
    auth.as_staff(organiser)
    url = mapping_url(upload(client, event, ("\ufeff" + PARTICIPANTS_CSV).encode(),
                             "участники.csv", kind="participants"))
    page = client.get(url).get_data(as_text=True)
    assert "Анна Петрова" in page and "Какой столбец за что отвечает" in page
    response = do_import(client, url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Импортировано строк: 3 из 3" in html
    codes = re.findall(r"<code>([A-Z0-9-]+)</code>", html)
    assert len(codes) == 3
    anna = find_user_by_return_code(codes[0])
    assert anna.display_name == "Анна Петрова" and anna.consent_public_affiliation
    oleg = db.session.scalar(sa.select(User).where(User.display_name == "Олег Сидоров"))
    assert oleg.library == "Библиотека Тулуна" and not oleg.consent_public_affiliation
    # the same file again: every row is a duplicate, nothing is imported, and it says so
    url = mapping_url(upload(client, event, PARTICIPANTS_CSV.encode(), "again.csv",
                             kind="participants"))
    response = do_import(client, url)
    assert response.status_code == 400
    assert "импортировать нечего" in response.get_data(as_text=True)
    assert client.post(url, data={"action": "import"}).status_code == 400


def test_cp1251_is_read_and_said(client, auth, event, organiser):
    auth.as_staff(organiser)
    url = mapping_url(upload(client, event, PARTICIPANTS_CSV.encode("cp1251"), "p.csv",
                             kind="participants"))
    page = client.get(url).get_data(as_text=True)
    assert "Windows-1251" in page and "Анна Петрова" in page


@pytest.mark.parametrize("content, filename, encoding, message", [
    (PARTICIPANTS_CSV.encode("cp1251"), "p.csv", "utf-8", "не в кодировке UTF-8"),
    (PARTICIPANTS_CSV.encode("utf-16"), "p.csv", "auto", "двоичные данные"),
    ("Name;Straße\r\nMüller;Köln Groß\r\n".encode("latin-1"), "p.csv", "auto",
     "Не удалось определить кодировку"),
    (b"\x98\x98;\xff\r\n", "p.csv", "auto", "ни в UTF-8, ни в Windows-1251"),
    (b"%PDF-1.4 ...", "report.pdf", "auto", "Нужен файл CSV или XLSX"),
    (b"\xd0\xcf\x11\xe0old excel", "old.xls", "auto", "XLS не поддерживается"),
    (b"PK\x03\x04broken", "broken.xlsx", "auto", "не удалось открыть как XLSX"),
    (b"", "empty.csv", "auto", "Файл пустой"),
    ("Имя;Библиотека\r\n".encode(), "head.csv", "auto", "только заголовки"),
], ids=["cp1251-as-utf8", "utf16", "latin1", "undecodable", "pdf", "xls", "broken-xlsx",
        "empty", "header-only"])
def test_bad_files_get_a_clear_message(client, auth, event, organiser, content, filename,
                                       encoding, message):
    auth.as_staff(organiser)
    response = upload(client, event, content, filename, kind="participants", encoding=encoding)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert 'value="participants" checked' in html  # the form keeps what was chosen


def test_limits_on_size_and_rows(client, auth, event, organiser):
    auth.as_staff(organiser)
    big = b"a;b\r\n" + b"x" * (5 * 1024 * 1024 + 10)
    response = upload(client, event, big, "big.csv")
    assert response.status_code == 413 and "больше 5 МБ" in response.get_data(as_text=True)
    many = "Имя\r\n" + "".join(f"Участник {i}\r\n" for i in range(5001))
    response = upload(client, event, many.encode(), "many.csv", kind="participants")
    assert response.status_code == 400
    assert "можно не больше 5000" in response.get_data(as_text=True)


def test_missing_columns_are_named(client, auth, event, organiser):
    auth.as_staff(organiser)
    url = mapping_url(upload(client, event, "Текст;Автор\r\nЧто-то;Кто-то\r\n".encode(),
                             "p.csv"))
    response = do_import(client, url)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "не найдены обязательные столбцы: Заголовок, Трек" in html
    assert db.session.scalar(sa.select(sa.func.count(Proposal.id))) == 0


def test_row_by_row_report_and_one_transaction(client, auth, event, organiser,
                                               create_participant, create_proposal):
    auth.as_staff(organiser)
    existing = create_proposal(event.tracks[0], create_participant(event))
    rows = [
        ["Заголовок", "Текст", "Трек", "Тип", "Автор", "Библиотека"],
        ["Летняя читальня в парке", "Книги и шезлонги в городском парке.", "Гений места",
         "проект", "Анна", "ЦБС Братска"],                                     # line 2 ok
        ["Без трека", "Текст есть.", "Неизвестный трек", "", "", ""],         # 3 unknown track
        ["", "Текст без заголовка.", "social-hub", "", "", ""],                # 4 empty title
        ["Длинный", "я" * 5001, "social-hub", "", "", ""],                     # 5 over-long
        ["Летняя читальня в парке", "Книги и шезлонги в городском парке.", "genius-loci",
         "", "", ""],                                                          # 6 duplicate
        [existing.title, existing.body, "genius-loci", "", "", ""],            # 7 existing
        ["Странный тип", "Текст.", "social-hub", "лекция", "", ""],            # 8 bad kind
        ["Клуб настольных игр", "Игротека по пятницам.", "Библиотека – социальный хаб",
         "идея", "Олег", ""],                                                  # 9 ok
    ]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)
    url = mapping_url(upload(client, event, buffer.getvalue().encode(), "proposals.csv"))
    checked = do_import(client, url, action="check").get_data(as_text=True)
    assert "без ошибок 2 из 8" in checked
    assert db.session.scalar(sa.select(sa.func.count(Proposal.id))) == 1  # check writes nothing
    html = do_import(client, url).get_data(as_text=True)
    assert "Импортировано строк: 2 из 8" in html
    report = dict(re.findall(r"<tr><td>(\d+)</td><td>[^<]*</td><td class=\"reason\">([^<]+)",
                             html))
    assert set(report) == {"3", "4", "5", "6", "7", "8"}
    assert "неизвестный трек" in report["3"] and "пустое поле «Заголовок»" in report["4"]
    assert "5001 символов, можно 5000" in report["5"]
    assert "повтор строки выше" in report["6"] and "уже есть" in report["7"]
    assert "неизвестный тип" in report["8"]
    titles = set(db.session.scalars(sa.select(Proposal.title).where(Proposal.source == "import")))
    assert titles == {"Летняя читальня в парке", "Клуб настольных игр"}
    hub = db.session.scalar(sa.select(Proposal).where(Proposal.title == "Клуб настольных игр"))
    assert hub.track.slug == "social-hub" and hub.author.display_name == "Олег"
    # the file is gone after import: a second submit cannot import twice
    assert client.post(url, data={"action": "import"}).status_code == 404


def proposal_rows(client, event):
    text = client.get(f"/events/{event.id}/manage/export/proposals.csv").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    keep = ("трек", "заголовок", "текст", "тип", "ожидаемый результат", "партнёры", "статус",
            "в проекте", "автор", "библиотека", "муниципалитет")
    return sorted(tuple(r[k] for k in keep) for r in rows)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_export_import_export_loses_nothing(client, auth, create_event,
                                                       create_participant, create_proposal,
                                                       organiser, fmt):
    source = create_event(code="SRC26")
    people = [create_participant(source, name="Мария Иванова", library="ЦБС Ангарска",
                                 municipality="Ангарск"),
              create_participant(source, name="Пётр Скрытный", library="Секретная библиотека",
                                 municipality="Тайный район", consent=False)]
    track, other = source.tracks
    first = create_proposal(track, people[0], title="Краеведческий клуб «Корни»",
                            body="Встречи со старожилами;\nэкскурсии, \"квесты\" и архив.",
                            kind="project", expected_result="-10% пустых залов",
                            partners="=школа + музей")
    create_proposal(other, people[1], title="@коворкинг для подростков",
                    body="Место, где можно просто быть.", kind="practice")
    hidden = create_proposal(track, people[1], title="Снятое предложение", body="Не по теме.")
    hidden.status = ProposalStatus.hidden
    db.session.commit()
    add_support(first, people[1])
    auth.as_staff(organiser)
    before = proposal_rows(client, source)
    target = create_event(code="DST26")
    if fmt == "csv":
        content = client.get(f"/events/{source.id}/manage/export/proposals.csv").data
    else:
        content = client.get(f"/events/{source.id}/manage/export/data.xlsx").data
        assert "Предложения" in openpyxl.load_workbook(io.BytesIO(content)).sheetnames
    url = mapping_url(upload(client, target, content, f"export.{fmt}"))
    html = do_import(client, url).get_data(as_text=True)
    assert "Импортировано строк: 3 из 3" in html, html[:3000]
    after = proposal_rows(client, target)
    assert after == before
    imported = db.session.scalar(sa.select(Proposal).where(
        Proposal.event_id == target.id, Proposal.title == "Снятое предложение"))
    assert imported.status is ProposalStatus.hidden


def test_cli_imports(runner, event, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text(PARTICIPANTS_CSV, encoding="utf-8")
    result = runner.invoke(args=["import-participants", str(people)])
    assert result.exit_code == 0, result.output
    assert "Импортировано: 3 из 3" in result.output
    assert len(re.findall(r"\t[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", result.output)) == 3
    proposals = tmp_path / "proposals.csv"
    proposals.write_text("Заголовок;Текст\r\nЧитальня;Книги в парке.\r\n;Без заголовка\r\n",
                         encoding="utf-8")
    result = runner.invoke(args=["import-proposals", str(proposals), "--track", "social-hub",
                                 "--check"])
    assert result.exit_code == 0 and "Проверено: 1 из 2" in result.output
    assert "строка 3: пустое поле «Заголовок»" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Proposal.id))) == 0
    result = runner.invoke(args=["import-proposals", str(proposals), "--track", "social-hub"])
    assert result.exit_code == 0 and "Импортировано: 1 из 2" in result.output
    result = runner.invoke(args=["import-proposals", str(proposals)])
    assert result.exit_code != 0 and "Трек" in result.output


def test_menu_has_the_import_and_the_cli_takes_the_event(client, auth, runner, create_event,
                                                         organiser, tmp_path):
    first = create_event(code="ONE26")
    create_event(code="TWO26")
    auth.as_staff(organiser)
    html = client.get(f"/events/{first.id}/manage/export").get_data(as_text=True)
    assert f'href="/events/{first.id}/manage/import"' in html
    people = tmp_path / "people.csv"
    people.write_text(PARTICIPANTS_CSV, encoding="utf-8")
    result = runner.invoke(args=["import-participants", str(people), "--event", str(first.id)])
    assert result.exit_code == 0, result.output
    names = set(db.session.scalars(sa.select(User.display_name).where(
        User.event_id == first.id, User.role == Role.participant)))
    assert names == {"Анна Петрова", "Олег Сидоров", "Ирина Ким"}
