"""An event file with several problems reports all of them, each with its place in the file,
exits with code 2 and writes nothing; the export command fails cleanly as well."""
import json
import re
from datetime import date

import sqlalchemy as sa

from strategy.events.models import Event, ScheduleItem, Track
from strategy.extensions import db
from strategy.moderation.models import AuditEntry

GOOD = {"title": "Живые библиотеки Приангарья-2023", "code": "ZHIVYE23",
        "timezone": "Asia/Irkutsk", "starts_on": "2023-09-26", "ends_on": "2023-09-27",
        "tracks": [{"title": "Гений места"}, {"title": "Библиотека – социальный хаб"}],
        "programme": [
            {"date": "2023-09-26", "start": "10:00", "end": "11:00", "title": "Открытие"},
            {"date": "2023-09-27", "start": "10:00", "end": "11:30", "title": "Мастерская",
             "track": "genij-mesta", "format": "hybrid", "capacity_hall": 10}]}


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def run_import(runner, tmp_path, data, *args):
    path = tmp_path / "event.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return runner.invoke(args=["event", "import", str(path), *args])


def test_a_good_file_is_imported(app, runner, tmp_path, organiser):
    result = run_import(runner, tmp_path, GOOD)
    assert result.exit_code == 0, result.output
    event = db.session.scalar(sa.select(Event))
    assert event.is_draft and [t.slug for t in event.tracks] == ["genij-mesta",
                                                                 "biblioteka-socialnyj-hab"]


def test_wrong_settings_do_not_hide_the_programmes_problems(app, runner, tmp_path, organiser):
    data = json.loads(json.dumps(GOOD))
    data["timezone"] = "Asia/Irkutskk"
    data["moderation"] = "maybe"
    data["programme"][0]["end"] = "09:00"
    data["programme"][1]["date"] = "2023-10-05"
    audit_before = count(AuditEntry)
    result = run_import(runner, tmp_path, data)
    assert result.exit_code == 2
    output = result.output
    assert "timezone: Неизвестный часовой пояс «Asia/Irkutskk»" in output
    assert "moderation: Выберите режим модерации" in output
    assert "programme[0].end: Окончание должно быть позже начала" in output
    assert "programme[1].date: День 2023-10-05 вне дат мероприятия" in output
    assert (count(Event), count(Track), count(ScheduleItem)) == (0, 0, 0)
    assert count(AuditEntry) == audit_before


def test_a_taken_code_and_a_taken_slug_are_both_reported(app, runner, tmp_path, organiser,
                                                         create_event):
    create_event(code="ZHIVYE23", starts_on=date(2023, 9, 26), ends_on=date(2023, 9, 27))
    db.session.commit()
    data = json.loads(json.dumps(GOOD))
    data["tracks"][1]["slug"] = "genij-mesta"
    result = run_import(runner, tmp_path, data)
    assert result.exit_code == 2
    assert "code: Код «ZHIVYE23» уже занят" in result.output
    assert "tracks[1].slug: Адрес «genij-mesta» уже занят" in result.output
    assert count(Event) == 1


def test_a_wrong_type_at_the_top_is_named_by_its_key(app, runner, tmp_path, organiser):
    data = json.loads(json.dumps(GOOD))
    data["title"] = 2023
    data["tracks"] = "Гений места"
    result = run_import(runner, tmp_path, data)
    assert result.exit_code == 2
    assert "  - title: ожидается строка" in result.output
    assert "  - tracks: ожидается список" in result.output
    assert "файл.title" not in result.output


def test_a_file_that_is_not_json_is_reported_in_russian(app, runner, tmp_path, organiser):
    path = tmp_path / "event.json"
    path.write_text('{"title": "Форум",\n "code": }', encoding="utf-8")
    result = runner.invoke(args=["event", "import", str(path)])
    assert result.exit_code == 2
    assert "строка 2, позиция 10: это не JSON" in result.output
    assert "Expecting" not in result.output


def test_a_cp1251_file_names_the_byte(app, runner, tmp_path, organiser):
    path = tmp_path / "event.json"
    path.write_bytes(json.dumps(GOOD, ensure_ascii=False).encode("cp1251"))
    result = runner.invoke(args=["event", "import", str(path)])
    assert result.exit_code == 2
    assert "байт 11: файл не в кодировке UTF-8" in result.output
    assert count(Event) == 0


def test_export_into_a_missing_folder_exits_2(app, runner, tmp_path, organiser, create_event):
    event = create_event()
    db.session.commit()
    out = tmp_path / "no-such-folder" / "event.json"
    result = runner.invoke(args=["event", "export", "--event", str(event.id), "--out", str(out)])
    assert result.exit_code == 2
    assert "не записан" in result.output and result.exception is None or \
        isinstance(result.exception, SystemExit)


def test_a_code_given_on_the_command_line_is_named_so(app, runner, tmp_path, organiser):
    result = run_import(runner, tmp_path, GOOD, "--code", "ЖИВЫЕ")
    assert result.exit_code == 2
    assert "  - --code: Код мероприятия — от 4 до 20 латинских букв" in result.output
    assert count(Event) == 0


def test_the_event_group_says_what_it_is_for(app, runner):
    listing = runner.invoke(args=["--help"]).output
    assert re.search(r"event\s+An event as a file \(export, import\)", listing)


def test_a_session_of_an_archived_track_survives_the_round_trip(app, runner, tmp_path,
                                                                organiser, create_event):
    from strategy.events.operations import set_track_archived
    from strategy.programme import operations as ops

    event = create_event(starts_on=date(2026, 9, 27), ends_on=date(2026, 9, 29))
    ops.create_item(event, organiser, ops.ItemData(
        title="Встреча хаба", day="2026-09-28", start="10:00", end="11:00", track="social-hub",
        place="Зал 2", format="hall"))
    hub = db.session.scalar(sa.select(Track).where(Track.slug == "social-hub"))
    set_track_archived(hub, organiser, True)
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    runner.invoke(args=["event", "export", "--event", str(event.id), "--out", str(first)])
    result = runner.invoke(args=["event", "import", str(first), "--code", "COPY27"])
    assert result.exit_code == 0, result.output
    copy = db.session.scalar(sa.select(Event).where(Event.code == "COPY27"))
    assert [(t.slug, t.archived) for t in copy.tracks] == [("genius-loci", False),
                                                          ("social-hub", True)]
    assert copy.schedule[0].track.slug == "social-hub"
    runner.invoke(args=["event", "export", "--event", str(copy.id), "--out", str(second)])
    a, b = json.loads(first.read_text()), json.loads(second.read_text())
    assert a.pop("code") == "TEST26" and b.pop("code") == "COPY27"
    assert a == b and a["tracks"][1]["archived"] is True


def test_a_file_of_another_format_version_is_refused(app, runner, tmp_path, organiser):
    result = run_import(runner, tmp_path, GOOD | {"format_version": 2})
    assert result.exit_code == 2
    assert "format_version: версия файла 2 не поддерживается, нужна 1." in result.output
    assert count(Event) == 0
    assert run_import(runner, tmp_path, GOOD | {"format_version": 1}).exit_code == 0
