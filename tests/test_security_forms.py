"""Imports check rows with the same rules as the forms; a closed track is not offered."""
import re

from strategy.extensions import db
from strategy.imports.operations import guess_mapping, read_table, validate


def page(response) -> str:
    return response.get_data(as_text=True)


def report_for(event, kind: str, csv_text: str):
    table = read_table("rows.csv", csv_text.encode("utf-8"))
    mapping = guess_mapping(kind, table.headers)
    return validate(kind, event, table, mapping)


def test_import_refuses_a_title_the_form_refuses(event):
    report = report_for(event, "proposals", "Заголовок;Текст;Трек\n"
                        "Я;Текст предложения достаточно длинный.;Гений места\n"
                        "Клуб краеведов;Коротко;Гений места\n"
                        "Клуб краеведов;Ежемесячные встречи со старожилами.;Гений места\n")
    assert [r.line for r in report.rejected] == [2, 3]
    reasons = " ".join(" ".join(r.errors) for r in report.rejected)
    assert "Заголовок: от 5 до" in reasons and "Текст: от 10 до" in reasons
    assert len(report.valid) == 1


def test_import_refuses_a_name_the_join_form_refuses(event):
    report = report_for(event, "participants", "Имя;Библиотека\nЯ;ЦБС\nАнна Петрова;ЦБС\n")
    assert [r.line for r in report.rejected] == [2]
    assert "От 2 до 80 символов." in " ".join(report.rejected[0].errors)


def offered_tracks(html: str) -> list[str]:
    select = re.search(r'<select[^>]*name="track".*?</select>', html, re.S).group(0)
    return re.findall(r'<option[^>]*value="([^"]+)"', select)


def test_a_closed_track_is_neither_offered_nor_preselected(client, auth, event,
                                                           create_participant):
    closed = event.tracks[0]
    closed.submission_open = False
    db.session.commit()
    auth.as_participant(create_participant(event))
    html = page(client.get(f"/events/{event.id}/proposals/new?track={closed.slug}"))
    assert offered_tracks(html) == [event.tracks[1].slug]
    assert f'value="{closed.slug}" selected' not in html
    refused = client.post(f"/events/{event.id}/proposals/new", data={
        "track": closed.slug, "kind": "idea", "title": "Заголовок предложения",
        "body": "Текст предложения достаточно длинный."})
    assert refused.status_code == 409
    assert offered_tracks(page(refused)) == [event.tracks[1].slug]
