"""What the audit of issue 9 found, tried as its users would: the copy form keeps what was
typed, a session invitation says where it registers its holder, and more."""
import re
from datetime import date

import pytest
import sqlalchemy as sa

from strategy.events.models import Event
from strategy.extensions import db
from strategy.programme import operations as ops

ITEM = {"title": "Мастерская «Гений места»", "day": "2026-09-28", "start": "10:00",
        "end": "11:30", "track": "genius-loci", "format": "hall", "place": "Зал 1",
        "online_url": "", "speakers": "", "description": "", "registration_required": True,
        "capacity_hall": "1", "capacity_online": "", "waitlist": True}


def page(response) -> str:
    return response.get_data(as_text=True)


def events_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Event))


@pytest.mark.parametrize("typed, status, message", [
    ({"code": "TEST26"}, 409, "уже занят"),
    ({"code": "ЖИВЫЕ27"}, 400, "латинских букв"),
    ({"starts_on": "26/09/2027"}, 400, "не читается"),
    ({"title": ""}, 400, "Заполните"),
])
def test_a_refused_copy_keeps_what_was_typed(client, auth, workshop, organiser, typed, status,
                                             message):
    auth.as_staff(organiser)
    data = {"title": "Живые библиотеки Приангарья-2027", "code": "ZHIVYE27",
            "starts_on": "2027-09-26"} | typed
    response = client.post(f"/events/{workshop.id}/manage/event/copy", data=data)
    assert response.status_code == status
    html = page(response)
    assert message in html and 'id="copy-error"' in html
    for name, value in data.items():
        assert re.search(rf'name="{name}" value="{re.escape(value)}"', html), name
    assert "code:" not in html.split('id="copy-error"', 1)[1][:300]  # no file places on screen
    settings = html.split('id="copy-h"', 1)[0]  # the event's own form shows the event itself
    assert f'value="{workshop.title}"' in settings and 'value="TEST26"' in settings
    assert 'value="2026-09-27"' in settings and "2027" not in settings
    assert events_count() == 1


def test_a_session_invitation_names_the_session_and_says_it_registered(
        app, client, auth, workshop, organiser):
    item = ops.create_item(workshop, organiser, ops.ItemData(**ITEM))
    auth.as_staff(organiser)
    links = []
    for name in ("Первая Приглашённая", "Вторая Приглашённая"):
        made = client.post(f"/events/{workshop.id}/manage/invitations", data={
            "display_name": name, "target": f"item:{item.id}"})
        links.append(re.search(r"data-invitation-link>([^<]+)<", page(made)).group(1).strip())
    guest = app.test_client()
    path = "/i/" + links[0].rsplit("/i/", 1)[1]
    invitation_page = page(guest.get(path))
    assert ("Приглашение на сессию «Мастерская «Гений места»» (понедельник, 28 сентября, "
            "10:00)") in invitation_page
    joined = guest.post(path, data={"display_name": "Первая Приглашённая", "library": "ЦБС",
                                    "municipality": "Иркутск"}, follow_redirects=True)
    assert "Вы зарегистрированы: «Мастерская «Гений места»», в зале." in page(joined)
    second = app.test_client()
    joined = second.post("/i/" + links[1].rsplit("/i/", 1)[1], data={
        "display_name": "Вторая Приглашённая", "library": "ЦБС", "municipality": "Иркутск"},
        follow_redirects=True)
    assert "вы в листе ожидания (№ 1)" in page(joined)


def test_an_event_wide_invitation_mentions_no_session(app, client, auth, workshop, organiser):
    auth.as_staff(organiser)
    made = client.post(f"/events/{workshop.id}/manage/invitations", data={
        "display_name": "Гость Без Сессии", "target": ""})
    link = re.search(r"data-invitation-link>([^<]+)<", page(made)).group(1).strip()
    html = page(app.test_client().get("/i/" + link.rsplit("/i/", 1)[1]))
    assert "data-invitation-target" not in html


EVENT_FORM = {"title": "Стратегия развития библиотек Иркутской области", "code": "TEST26",
              "starts_on": "2026-09-27", "ends_on": "2026-09-29", "timezone": "Asia/Irkutsk",
              "place": "Иркутск", "description": "", "moderation_mode": "post"}


@pytest.mark.parametrize("item_day, changes, field_day", [
    ("2026-09-28", {"ends_on": "2026-09-27"}, "2026-09-28"),
    ("2026-09-28", {"starts_on": "2026-09-29"}, "2026-09-28"),
    ("2026-09-28", {"starts_on": "2026-09-29", "timezone": "Europe/Moscow"}, "2026-09-28"),
])
def test_new_dates_may_not_leave_a_session_outside(client, auth, workshop, organiser, item_day,
                                                   changes, field_day):
    ops.create_item(workshop, organiser, ops.ItemData(**ITEM | {"day": item_day}))
    auth.as_staff(organiser)
    response = client.post(f"/events/{workshop.id}/manage/event", data=EVENT_FORM | changes)
    assert response.status_code == 409
    html = page(response)
    assert f"Сессия «Мастерская «Гений места»» ({field_day}) окажется вне дат" in html
    for value in changes.values():
        assert f'value="{value}"' in html  # what was typed stays
    db.session.expire_all()
    assert (workshop.starts_on.isoformat(), workshop.ends_on.isoformat(),
            workshop.timezone) == ("2026-09-27", "2026-09-29", "Asia/Irkutsk")


def test_a_new_time_zone_keeps_the_sessions_clock_times(client, auth, workshop, organiser):
    """Correcting the zone (Irkutsk typed, Krasnoyarsk meant) must not move 10:00 to 09:00."""
    item = ops.create_item(workshop, organiser, ops.ItemData(**ITEM))
    auth.as_staff(organiser)
    response = client.post(f"/events/{workshop.id}/manage/event",
                           data=EVENT_FORM | {"timezone": "Asia/Krasnoyarsk"})
    assert response.status_code == 302
    db.session.expire_all()
    assert workshop.timezone == "Asia/Krasnoyarsk"
    assert item.starts_at.isoformat() == "2026-09-28T03:00:00"  # 10:00 at UTC+7
    listing = page(client.get(f"/events/{workshop.id}/programme"))
    assert "10:00" in listing


def test_dates_that_keep_the_sessions_are_saved(client, auth, workshop, organiser):
    ops.create_item(workshop, organiser, ops.ItemData(**ITEM))
    auth.as_staff(organiser)
    response = client.post(f"/events/{workshop.id}/manage/event",
                           data=EVENT_FORM | {"starts_on": "2026-09-28"})
    assert response.status_code == 302
    db.session.expire_all()
    assert workshop.starts_on.isoformat() == "2026-09-28"


def test_the_audit_log_names_setup_actions_in_russian(client, auth, workshop, organiser):
    from strategy.events.operations import EventData, create_event

    made = create_event(organiser, EventData(
        title="Живые библиотеки Приангарья-2023", code="ZHIVYE23", starts_on=date(2026, 9, 27),
        ends_on=date(2026, 9, 28)))
    db.session.add(made)
    ops.create_item(workshop, organiser, ops.ItemData(**ITEM | {"format": "hybrid",
                                                              "online_url": "https://x.org/a"}))
    auth.as_staff(organiser)
    html = page(client.get(f"/events/{workshop.id}/manage/audit"))
    assert "Сессия добавлена в программу" in html and "сессия программы" in html
    assert "programme_create" not in html.replace('value="programme_create"', "")
    assert "schedule_item" not in html
    assert "<dt>начало</dt>" in html and "2026-09-28 10:00" in html  # Irkutsk time, not UTC
    assert "<dt>формат</dt>" in html and "гибридно" in html
    assert "<dt>нужна регистрация</dt>" in html and ">да</ins>" in html
    assert "registration_required" not in html and ">True<" not in html
    options = re.findall(r'<option value="([a-z_]+)"', html)
    assert {"programme_create", "event_open", "staff_invite", "track_create"} <= set(options)
    other = page(client.get(f"/events/{made.id}/manage/audit"))
    assert "Мероприятие создано" in other and "event_create" not in other.replace(
        'value="event_create"', "")


def test_archiving_is_one_step_away_behind_its_warning(client, auth, workshop, organiser):
    auth.as_staff(organiser)
    html = page(client.get(f"/events/{workshop.id}/manage/event"))
    block = html.split("data-archive-confirm", 1)[1].split("</details>", 1)[0]
    assert "Это действие не отменить." in block
    assert f'action="/events/{workshop.id}/manage/event/archive"' in block
    assert "Да, перенести в архив" in block
    assert html.count("/manage/event/archive") == 1  # no archive button outside the warning
