"""Programme items, registration with an exact waiting list, «Моя программа», calendar files,
attendance and outcomes."""
import threading

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from strategy.auth.models import Role
from strategy.core.errors import OperationError
from strategy.events.models import ScheduleItem, Track
from strategy.extensions import db
from strategy.moderation.models import AuditEntry
from strategy.programme import operations as ops
from strategy.programme.models import Registration, RegistrationStatus
from strategy.programme.queries import programme_appendix
from strategy.supports.operations import add_support

ITEM = {"title": "Мастерская «Гений места»", "day": "2026-09-28", "start": "10:00",
        "end": "11:30", "track": "genius-loci", "format": "hybrid", "place": "Зал 1",
        "online_url": "https://online.example.org/room1", "speakers": "Анна Петрова",
        "description": "Практикум по локальной идентичности.",
        "registration_required": "y", "capacity_hall": "2", "capacity_online": "",
        "waitlist": "y"}


def page(response) -> str:
    return response.get_data(as_text=True)


def make_item(event, actor, **changes):
    data = {k: v for k, v in ITEM.items()} | changes
    data["registration_required"] = bool(data.get("registration_required"))
    data["waitlist"] = bool(data.get("waitlist"))
    return ops.create_item(event, actor, ops.ItemData(**data))


def count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


# --- programme items -------------------------------------------------------------------------

def test_organiser_adds_an_item_in_the_events_time_zone(client, auth, workshop, organiser):
    auth.as_staff(organiser)
    response = client.post(f"/events/{workshop.id}/manage/programme/new", data=ITEM)
    assert response.status_code == 302
    item = db.session.scalar(sa.select(ScheduleItem))
    assert item.starts_at.isoformat() == "2026-09-28T02:00:00"  # 10:00 in Irkutsk (UTC+8)
    assert item.format.value == "hybrid" and item.capacity_hall == 2
    assert item.capacity_online is None and item.track.slug == "genius-loci"
    listing = page(client.get(f"/events/{workshop.id}/programme"))
    assert "Мастерская «Гений места»" in listing and "свободно 2 из 2" in listing
    assert count(AuditEntry, AuditEntry.action == "programme_create") == 1


@pytest.mark.parametrize("changes, message, status", [
    ({"end": "09:00"}, "позже начала", 400),
    ({"day": "2026-10-05"}, "вне дат мероприятия", 400),
    ({"start": "25:00"}, "не читается", 400),
    ({"capacity_hall": "десять"}, "целое число", 400),
    ({"online_url": "javascript:alert(1)"}, "https://", 400),
    ({"track": "no-such-track"}, "нет трека", 400),
])
def test_bad_items_are_refused_with_what_was_typed_kept(client, auth, workshop, organiser,
                                                        changes, message, status):
    auth.as_staff(organiser)
    response = client.post(f"/events/{workshop.id}/manage/programme/new", data=ITEM | changes)
    assert response.status_code == status
    html = page(response)
    assert message in html and "Практикум по локальной идентичности." in html
    assert count(ScheduleItem) == 0


def test_an_item_may_not_overlap_another_in_the_same_room(client, auth, workshop, organiser):
    make_item(workshop, organiser)
    auth.as_staff(organiser)
    clash = client.post(f"/events/{workshop.id}/manage/programme/new",
                        data=ITEM | {"title": "Другая сессия", "start": "11:00", "end": "12:00"})
    assert clash.status_code == 409 and "уже идёт" in page(clash)
    twice = client.post(f"/events/{workshop.id}/manage/programme/new",
                        data=ITEM | {"place": "Зал 2"})
    assert twice.status_code == 409 and "уже есть в программе" in page(twice)
    other_room = client.post(f"/events/{workshop.id}/manage/programme/new",
                             data=ITEM | {"title": "Другая сессия", "place": "Зал 2"})
    assert other_room.status_code == 302


def test_facilitators_change_only_their_tracks_programme(app, client, auth, workshop, organiser,
                                                         create_staff):
    mine = make_item(workshop, organiser)
    other = make_item(workshop, organiser, title="Хаб", track="social-hub", place="Зал 2")
    facilitator = create_staff(Role.facilitator)
    facilitator.facilitated_tracks.append(
        db.session.scalar(sa.select(Track).where(Track.slug == "genius-loci")))
    db.session.commit()
    auth.as_staff(facilitator)
    base = f"/events/{workshop.id}/manage/programme"
    assert client.get(f"{base}/{mine.id}/edit").status_code == 200
    refused = client.post(f"{base}/{other.id}/edit", data=ITEM | {"track": "social-hub",
                                                                  "title": "Захват"})
    assert refused.status_code == 403 and "только своих треков" in page(refused)
    moved = client.post(f"{base}/{mine.id}/edit", data=ITEM | {"track": "social-hub"})
    assert moved.status_code == 403 and "только своих треков" in page(moved)
    general = client.post(f"{base}/new", data=ITEM | {"track": "", "title": "Общее"})
    assert general.status_code == 403
    db.session.refresh(other)
    assert other.title == "Хаб"
    with pytest.raises(OperationError) as refused_op:
        ops.update_item(other, facilitator, ops.ItemData(**{**ITEM, "title": "Захват",
                                                            "track": "social-hub"}))
    assert refused_op.value.status == 403


def test_capacity_below_registered_is_refused_and_a_raise_promotes(app, workshop, organiser,
                                                                    create_participant):
    item = make_item(workshop, organiser, format="hall", capacity_hall="1")
    people = [create_participant(workshop, name=f"Участник {n}") for n in range(3)]
    for person in people:
        ops.register(item, person, "hall")
    data = {**ITEM, "format": "hall", "registration_required": True, "waitlist": True}
    with pytest.raises(OperationError) as error:
        ops.update_item(item, organiser, ops.ItemData(**data | {"capacity_hall": "0"}))
    assert error.value.status == 409 and "меньше, чем уже зарегистрировано" in error.value.message
    db.session.rollback()
    ops.update_item(item, organiser, ops.ItemData(**data | {"capacity_hall": "2"}))
    statuses = [r.status for r in db.session.scalars(sa.select(Registration).order_by(
        Registration.id))]
    assert statuses == [RegistrationStatus.registered, RegistrationStatus.registered,
                        RegistrationStatus.waiting]


def test_an_item_with_registrations_is_not_deleted(client, auth, workshop, organiser,
                                                   create_participant):
    item = make_item(workshop, organiser)
    ops.register(item, create_participant(workshop), "hall")
    auth.as_staff(organiser)
    response = client.post(f"/events/{workshop.id}/manage/programme/{item.id}/delete")
    assert response.status_code == 409 and "уже записались" in page(response)
    assert count(ScheduleItem) == 1


# --- registration ----------------------------------------------------------------------------

def test_register_wait_cancel_promotes_the_first_waiting(app, workshop, organiser,
                                                         create_participant):
    item = make_item(workshop, organiser, format="hall", capacity_hall="2")
    people = [create_participant(workshop, name=f"Участник {n}") for n in range(4)]
    results = [ops.register(item, person, "hall").status for person in people]
    assert results == [RegistrationStatus.registered] * 2 + [RegistrationStatus.waiting] * 2
    promoted = ops.cancel_registration(item, people[0])
    assert [r.user_id for r in promoted] == [people[2].id]
    by_user = {r.user_id: r.status for r in db.session.scalars(sa.select(Registration))}
    assert by_user == {people[0].id: RegistrationStatus.cancelled,
                       people[1].id: RegistrationStatus.registered,
                       people[2].id: RegistrationStatus.registered,
                       people[3].id: RegistrationStatus.waiting}
    again = ops.register(item, people[0], "hall")  # back of the queue
    assert again.status is RegistrationStatus.waiting


def test_registration_refusals(app, workshop, organiser, create_participant, create_event):
    item = make_item(workshop, organiser, format="hall", capacity_hall="1", waitlist="")
    first, second = create_participant(workshop), create_participant(workshop, name="Второй")
    ops.register(item, first, "hall")
    cases = [
        (lambda: ops.register(item, first, "hall"), 409, "уже зарегистрированы"),
        (lambda: ops.register(item, second, "hall"), 409, "лист ожидания не ведётся"),
        (lambda: ops.register(item, second, "online"), 400, "проходит"),
    ]
    other_event = create_event(code="OTHER1", tracks=("genius-loci",))
    stranger = create_participant(other_event, name="Чужой")
    cases.append((lambda: ops.register(item, stranger, "hall"), 403, "другого мероприятия"))
    free = make_item(workshop, organiser, title="Открытая лекция", place="Зал 3",
                     registration_required="")
    cases.append((lambda: ops.register(free, second, "hall"), 409, "не нужно"))
    for action, status, message in cases:
        with pytest.raises(OperationError) as error:
            action()
        db.session.rollback()
        assert (error.value.status, message in error.value.message) == (status, True)
    assert count(Registration) == 1


def test_participant_registers_over_http_and_sees_my_programme(client, auth, workshop,
                                                               organiser, create_participant):
    item = make_item(workshop, organiser, capacity_hall="1")
    ops.register(item, create_participant(workshop, name="Первая"), "hall")
    person = create_participant(workshop, name="Вторая")
    auth.as_participant(person)
    before = page(client.get(f"/events/{workshop.id}/programme/{item.id}"))
    assert "https://online.example.org/room1" not in before
    full = client.post(f"/events/{workshop.id}/programme/{item.id}/register",
                       data={"seat": "hall"}, follow_redirects=True)
    assert "в листе ожидания (№ 1)" in page(full)
    online = client.post(f"/events/{workshop.id}/programme/{item.id}/register",
                         data={"seat": "online"})
    assert online.status_code == 409
    client.post(f"/events/{workshop.id}/programme/{item.id}/cancel")
    registered = client.post(f"/events/{workshop.id}/programme/{item.id}/register",
                             data={"seat": "online"}, follow_redirects=True)
    html = page(registered)
    assert "Вы зарегистрированы" in html and "https://online.example.org/room1" in html
    mine = page(client.get(f"/events/{workshop.id}/my/programme"))
    assert "Мастерская «Гений места»" in mine and "зарегистрирован(а) · онлайн" in mine


def test_calendar_files_carry_the_time_zone_place_and_link(client, auth, workshop, organiser,
                                                           create_participant):
    item = make_item(workshop, organiser)
    make_item(workshop, organiser, title="Вторая сессия", place="Зал 2")
    anonymous = client.get(f"/events/{workshop.id}/programme/{item.id}.ics")
    assert anonymous.status_code == 200 and anonymous.mimetype == "text/calendar"
    assert b"room1" not in anonymous.data
    person = create_participant(workshop)
    ops.register(item, person, "online")
    auth.as_participant(person)
    response = client.get(f"/events/{workshop.id}/my/programme.ics")
    calendar = Calendar.from_ical(response.data)
    events = calendar.walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["Мастерская «Гений места»"]
    start = events[0].decoded("dtstart")
    assert start.isoformat() == "2026-09-28T10:00:00+08:00" and str(start.tzinfo) == "Asia/Irkutsk"
    assert "Зал 1" in str(events[0]["location"])
    assert "https://online.example.org/room1" in str(events[0]["description"])
    assert calendar.walk("VTIMEZONE")[0]["tzid"] == "Asia/Irkutsk"


def registration_storm(app, item_id: int, user_ids: list[int]) -> list:
    """Everyone registers at the same moment, each in a thread with its own session."""
    barrier = threading.Barrier(len(user_ids), timeout=30)
    outcomes = []

    def one(user_id):
        with app.app_context():
            from strategy.auth.models import User

            user = db.session.get(User, user_id)
            entry = db.session.get(ScheduleItem, item_id)
            db.session.commit()  # give the connection back: the pool is smaller than 30
            barrier.wait()
            try:
                outcomes.append(ops.register(entry, user, "hall").status.value)
            except OperationError as error:
                outcomes.append(error.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one, args=(uid,)) for uid in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_thirty_at_once_for_ten_places(app, workshop, organiser, create_participant):
    item = make_item(workshop, organiser, format="hall", capacity_hall="10")
    ids = [create_participant(workshop, name=f"Участник {n}").id for n in range(30)]
    item_id = item.id
    db.session.remove()
    outcomes = registration_storm(app, item_id, ids)
    assert sorted(outcomes) == ["registered"] * 10 + ["waiting"] * 20
    assert count(Registration, Registration.status == RegistrationStatus.registered) == 10
    assert count(Registration, Registration.status == RegistrationStatus.waiting) == 20


def test_cancellations_at_once_promote_exactly(app, workshop, organiser, create_participant):
    item = make_item(workshop, organiser, format="hall", capacity_hall="5")
    people = [create_participant(workshop, name=f"Участник {n}") for n in range(12)]
    for person in people:
        ops.register(item, person, "hall")
    leaving = [p.id for p in people[:5]]
    next_in_line = {p.id for p in people[5:10]}
    item_id = item.id
    db.session.remove()
    barrier = threading.Barrier(len(leaving), timeout=30)

    def leave(user_id):
        with app.app_context():
            from strategy.auth.models import User

            user = db.session.get(User, user_id)
            entry = db.session.get(ScheduleItem, item_id)
            db.session.commit()
            barrier.wait()
            ops.cancel_registration(entry, user)
            db.session.remove()

    threads = [threading.Thread(target=leave, args=(uid,)) for uid in leaving]
    [t.start() for t in threads]
    [t.join() for t in threads]
    registered = set(db.session.scalars(sa.select(Registration.user_id).where(
        Registration.status == RegistrationStatus.registered)))
    assert registered == next_in_line
    assert count(Registration, Registration.status == RegistrationStatus.waiting) == 2


# --- staff lists, attendance, outcome --------------------------------------------------------

def test_registration_list_exports_and_attendance(client, auth, workshop, organiser,
                                                  create_participant):
    item = make_item(workshop, organiser, capacity_hall="1")
    here = create_participant(workshop, name="=Пришла")
    ops.register(item, here, "hall")
    ops.register(item, create_participant(workshop, name="Ждёт"), "hall")
    auth.as_staff(organiser)
    base = f"/events/{workshop.id}/manage/programme/{item.id}/registrations"
    listing = page(client.get(base))
    assert "=Пришла" in listing and "в листе ожидания" in listing
    csv_text = client.get(f"{base}.csv").get_data(as_text=True)
    assert csv_text.startswith("\ufeff№,Имя") and "'=Пришла" in csv_text
    assert client.get(f"{base}.xlsx").data[:2] == b"PK"
    registration = db.session.scalar(sa.select(Registration).where(
        Registration.user_id == here.id))
    assert client.post(base, data={"present": [str(registration.id)]}).status_code == 302
    db.session.refresh(registration)
    assert registration.attended is True


def test_outcome_is_recorded_and_shown(client, auth, workshop, organiser, create_participant,
                                       create_proposal):
    item = make_item(workshop, organiser)
    author = create_participant(workshop)
    track = db.session.scalar(sa.select(Track).where(Track.slug == "genius-loci"))
    proposal = create_proposal(track, author, title="Арт-резиденция в Листвянке")
    auth.as_staff(organiser)
    url = f"/events/{workshop.id}/manage/programme/{item.id}/outcome"
    wrong = client.post(url, data={"attended_hall": "много", "outcome": "Итог"})
    assert wrong.status_code == 400 and "целое число" in page(wrong) and "Итог" in page(wrong)
    missing = client.post(url, data={"attended_hall": "25", "proposals": "99999"})
    assert missing.status_code == 400 and "нет в этом мероприятии" in page(missing)
    saved = client.post(url, data={"attended_hall": "25", "attended_online": "40",
                                   "outcome": "Собрали 12 идей.", "proposals": str(proposal.id)})
    assert saved.status_code == 302
    shown = page(client.get(f"/events/{workshop.id}/programme/{item.id}"))
    assert "Собрали 12 идей." in shown and "Арт-резиденция в Листвянке" in shown
    appendix = programme_appendix(workshop)
    assert appendix[0]["attended_hall"] == 25 and appendix[0]["attended_online"] == 40
    assert appendix[0]["proposals"][0]["title"] == "Арт-резиденция в Листвянке"


# --- the event as a file ---------------------------------------------------------------------

def test_export_import_export_round_trip(app, runner, tmp_path, workshop, organiser):
    make_item(workshop, organiser)
    make_item(workshop, organiser, title="Онлайн-встреча", format="online", place="",
              track="", capacity_online="50", registration_required="")
    first = tmp_path / "first.json"
    result = runner.invoke(args=["event", "export", "--event", str(workshop.id),
                                 "--out", str(first)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["event", "import", str(first), "--code", "COPY2027"])
    assert result.exit_code == 0, result.output
    from strategy.events.models import Event

    copy = db.session.scalar(sa.select(Event).where(Event.code == "COPY2027"))
    assert copy.is_draft and [t.slug for t in copy.tracks] == ["genius-loci", "social-hub"]
    second = tmp_path / "second.json"
    runner.invoke(args=["event", "export", "--event", str(copy.id), "--out", str(second)])
    import json

    a, b = json.loads(first.read_text()), json.loads(second.read_text())
    assert a.pop("code") == "TEST26" and b.pop("code") == "COPY2027"
    assert a == b and len(a["programme"]) == 2
    assert runner.invoke(args=["event", "open", "--event", str(copy.id)]).exit_code == 0
    db.session.refresh(copy)
    assert copy.status.value == "open"


def test_import_shifts_dates_to_a_new_start(app, runner, tmp_path, workshop, organiser):
    make_item(workshop, organiser)
    path = tmp_path / "event.json"
    runner.invoke(args=["event", "export", "--event", str(workshop.id), "--out", str(path)])
    result = runner.invoke(args=["event", "import", str(path), "--code", "NEXT2027",
                                 "--shift-to", "2027-09-26"])
    assert result.exit_code == 0, result.output
    from strategy.events.models import Event

    copy = db.session.scalar(sa.select(Event).where(Event.code == "NEXT2027"))
    assert (copy.starts_on.isoformat(), copy.ends_on.isoformat()) == ("2027-09-26", "2027-09-28")
    assert copy.schedule[0].starts_at.isoformat() == "2027-09-27T02:00:00"


BAD_FILES = [
    (b"\xff\xfe{}", "UTF-8"),
    (b'{"title": "X",', "строка 1"),
    ('{"title": "Форум", "code": "TEST26", "timezone": "Asia/Irkutsk", "starts_on": '
     '"2027-09-26", "ends_on": "2027-09-27", "tracks": [{"title": "Гений места"}], '
     '"programme": [{"date": "2027-09-26", "start": "11:00", "end": "10:00", "title": "А"},'
     '{"date": "2027-09-26", "start": "10:00", "end": "11:00", "title": "Б", "room": "1"}],'
     '"colour": "red"}'.encode(), "неизвестный ключ «colour»"),
    ('{"title": "Форум", "code": "FORUM27", "timezone": "Asia/Irkutsk", "starts_on": '
     '"2027-09-26", "ends_on": "2027-09-27", "tracks": [{"title": "Гений места"}], '
     '"programme": [{"date": "2027-09-26", "start": "11:00", "end": "10:00", "title": "Сессия"},'
     '{"date": "2027-10-26", "start": "10:00", "end": "11:00", "title": "Сессия Б",'
     ' "capacity_hall": "10"}]}'.encode(), "programme[1].capacity_hall"),
]


@pytest.mark.parametrize("raw, message", BAD_FILES)
def test_bad_event_files_exit_2_and_write_nothing(app, runner, tmp_path, workshop, organiser,
                                                  raw, message):
    path = tmp_path / "bad.json"
    path.write_bytes(raw)
    from strategy.events.models import Event

    before = count(Event)
    result = runner.invoke(args=["event", "import", str(path)])
    assert result.exit_code == 2
    assert message in result.output and "Ошибка" in result.output
    assert count(Event) == before and count(ScheduleItem) == 0


def test_a_file_reports_every_problem_with_its_place(app, runner, tmp_path, workshop,
                                                     organiser):
    path = tmp_path / "bad.json"
    path.write_bytes(BAD_FILES[3][0])
    output = runner.invoke(args=["event", "import", str(path)]).output
    assert "programme[1].capacity_hall: ожидается целое число" in output  # shape comes first
    path.write_bytes(BAD_FILES[3][0].replace(b'"capacity_hall": "10"', b'"capacity_hall": 10'))
    output = runner.invoke(args=["event", "import", str(path)]).output
    assert "programme[0].end: Окончание должно быть позже начала" in output
    assert "programme[1].date" in output
    assert "вне дат мероприятия" in output


def test_copy_as_template_from_the_screen(client, auth, workshop, organiser, create_participant):
    item = make_item(workshop, organiser)
    ops.register(item, create_participant(workshop), "hall")
    auth.as_staff(organiser)
    taken = client.post(f"/events/{workshop.id}/manage/event/copy", data={
        "title": "Копия", "code": "TEST26", "starts_on": "2027-09-26"})
    assert taken.status_code == 409 and "уже занят" in page(taken)
    response = client.post(f"/events/{workshop.id}/manage/event/copy", data={
        "title": "Живые библиотеки Приангарья-2027", "code": "ZHIVYE27",
        "starts_on": "2027-09-26"})
    assert response.status_code == 302
    from strategy.events.models import Event

    copy = db.session.scalar(sa.select(Event).where(Event.code == "ZHIVYE27"))
    assert copy.is_draft and copy.title == "Живые библиотеки Приангарья-2027"
    assert len(copy.schedule) == 1 and count(Registration, Registration.item_id ==
                                             copy.schedule[0].id) == 0
    assert copy.schedule[0].starts_at.isoformat() == "2027-09-27T02:00:00"


def test_a_session_invitation_joins_and_registers(app, client, auth, workshop, organiser,
                                                  create_participant):
    import re

    item = make_item(workshop, organiser, format="hall", capacity_hall="1")
    auth.as_staff(organiser)
    form = page(client.get(f"/events/{workshop.id}/manage/invitations"))
    assert f'value="item:{item.id}"' in form
    links = []
    for name in ("Первая Приглашённая", "Вторая Приглашённая"):
        response = client.post(f"/events/{workshop.id}/manage/invitations", data={
            "display_name": name, "target": f"item:{item.id}"})
        links.append(re.search(r"data-invitation-link>([^<]+)<", page(response)).group(1))
    for link, name in zip(links, ("Первая Приглашённая", "Вторая Приглашённая")):
        token = link.strip().rsplit("/i/", 1)[1]
        guest = app.test_client()
        assert guest.post(f"/i/{token}", data={"display_name": name, "library": "ЦБС",
                                               "municipality": "Иркутск"}).status_code == 302
    statuses = [(r.user.display_name, r.status, r.source) for r in db.session.scalars(
        sa.select(Registration).order_by(Registration.id))]
    assert statuses == [("Первая Приглашённая", RegistrationStatus.registered, "invitation"),
                        ("Вторая Приглашённая", RegistrationStatus.waiting, "invitation")]
    listing = page(client.get(f"/events/{workshop.id}/manage/invitations"))
    assert "Сессия «Мастерская «Гений места»»" in listing


def test_docx_has_the_programme_and_participation_appendix(app, workshop, organiser,
                                                           create_participant):
    import io

    from docx import Document

    from strategy.export.docx import build_docx

    item = make_item(workshop, organiser, capacity_hall="1")
    ops.register(item, create_participant(workshop), "hall")
    ops.register(item, create_participant(workshop, name="Вторая"), "hall")
    ops.record_outcome(item, organiser, attended_hall=18, attended_online=None,
                       outcome="Собрали карту литературных мест.", proposal_ids=[])
    document = Document(io.BytesIO(build_docx(workshop)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Приложение. Программа и участие" in text
    assert "Собрали карту литературных мест." in text
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "в зале 1, онлайн 0, ждут 1" in cells and "в зале 18" in cells
    # the track is named once: the title «Мастерская «Гений места»» already says it
    assert "Мастерская «Гений места»" in cells
    assert not any("Гений места»» («" in cell or "(«Гений места»)" in cell for cell in cells)


def test_docx_programme_names_outcome_proposals_by_their_numbers_and_marks_no_attendance(
        app, workshop, organiser, create_participant, create_proposal):
    import io

    from docx import Document

    from strategy.export.docx import build_docx

    author = create_participant(workshop)
    proposal = create_proposal(workshop.tracks[0], author, title="Карта литературных мест района")
    newer = create_proposal(workshop.tracks[0], author, title="Маршрут по местам писателей")
    add_support(newer, create_participant(workshop, name="Сторонница"))  # so it comes first
    item = make_item(workshop, organiser)
    ops.record_outcome(item, organiser, attended_hall=None, attended_online=None,
                       outcome="Собрали карту.", proposal_ids=[proposal.id, newer.id])
    document = Document(io.BytesIO(build_docx(workshop)))
    text = "\n".join(p.text for p in document.paragraphs)
    # the reader finds them under the numbers the document gives them, in the document's order
    outcome = text[text.index("Собрали карту."):]
    assert outcome.index("1.1.1. Маршрут по местам писателей\u00a0— 1 поддержка") < outcome.index(
        "1.1.2. Карта литературных мест района\u00a0— 0 поддержек")
    assert f"№ {proposal.id}. Карта" not in text
    rows = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    row = next(r for r in rows if "Мастерская «Гений места»" in r[1])
    assert row[4] == "—"


def test_docx_programme_names_the_track_of_a_title_that_does_not(app, workshop, organiser):
    import io

    from docx import Document

    from strategy.export.docx import build_docx

    make_item(workshop, organiser, title="Открытая мастерская")
    document = Document(io.BytesIO(build_docx(workshop)))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "Открытая мастерская («Гений места»)" in cells
