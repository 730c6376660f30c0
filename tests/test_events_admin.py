"""Organisers create, edit, open, finish and archive events and their tracks; one
installation holds many events and '/' lists them."""
import pytest
import sqlalchemy as sa

from strategy.auth.models import Role
from strategy.events.models import Event, EventStatus, Track
from strategy.extensions import db
from strategy.moderation.models import AuditEntry

NEW_EVENT = {"title": "Живые библиотеки Приангарья-2023", "code": "ZHIVYE23",
             "starts_on": "2023-09-27", "ends_on": "2023-09-28", "timezone": "Asia/Irkutsk",
             "place": "ИОГУНБ, Иркутск", "description": "Форум библиотек региона.",
             "moderation_mode": "post"}


def page(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def organiser(client, auth, create_staff):
    user = create_staff(Role.organiser)
    auth.as_staff(user)
    return user


def create(client, **changes):
    return client.post("/manage/events/new", data=NEW_EVENT | changes)


def new_event() -> Event:
    return db.session.scalar(sa.select(Event).where(Event.code == "ZHIVYE23"))


def test_organiser_creates_a_draft_that_only_staff_see(app, client, organiser, event):
    response = create(client)
    assert response.status_code == 302
    created = new_event()
    assert created.status is EventStatus.draft and created.slug == "zhivye-biblioteki-priangarya-2023"
    assert response.headers["Location"].endswith(f"/events/{created.id}/manage/tracks")
    assert client.get(f"/events/{created.id}").status_code == 200
    listing = page(client.get("/"))
    assert "Черновики" in listing and "Живые библиотеки" in listing
    anonymous = app.test_client()
    assert anonymous.get(f"/events/{created.id}").status_code == 404
    assert "Живые библиотеки" not in page(anonymous.get("/"))
    joined = anonymous.post("/join", data={"event_code": "zhivye23", "display_name": "Вера Ли",
                                           "library": "ЦБС", "municipality": "Иркутск"})
    assert joined.status_code == 404 and "не найдено" in page(joined)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "event_create"))
    assert entry.event_id == created.id and entry.after["code"] == "ZHIVYE23"


@pytest.mark.parametrize("changes, field_message, status", [
    ({"code": "test-26"}, "уже занят", 409),            # normalised duplicate of TEST26
    ({"code": "Код!"}, "латинских букв", 400),
    ({"code": "AB"}, "латинских букв", 400),
    ({"ends_on": "2023-09-20"}, "раньше даты начала", 400),
    ({"starts_on": "27 сентября"}, "не читается", 400),
    ({"timezone": "Asia/Atlantis"}, "Неизвестный часовой пояс", 400),
    ({"title": ""}, "Заполните это поле", 400),
])
def test_bad_event_input_is_refused_and_the_form_keeps_what_was_typed(client, organiser, event,
                                                                     changes, field_message,
                                                                     status):
    before = db.session.scalar(sa.select(sa.func.count(Event.id)))
    response = create(client, **changes)
    assert response.status_code == status
    html = page(response)
    assert field_message in html
    assert 'value="ИОГУНБ, Иркутск"' in html and "Форум библиотек региона." in html
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == before


def test_open_needs_a_track_then_participants_see_and_join(app, client, organiser, event):
    create(client)
    created = new_event()
    refused = client.post(f"/events/{created.id}/manage/event/open")
    assert refused.status_code == 409 and "хотя бы один трек" in page(refused)
    added = client.post(f"/events/{created.id}/manage/tracks",
                        data={"title": "Гений места", "description": "Креативные индустрии"})
    assert added.status_code == 302
    track = db.session.scalar(sa.select(Track).where(Track.event_id == created.id))
    assert track.slug == "genij-mesta"
    assert client.post(f"/events/{created.id}/manage/event/open").status_code == 302
    db.session.refresh(created)
    assert created.status is EventStatus.open
    anonymous = app.test_client()
    home = page(anonymous.get("/"))
    assert "Живые библиотеки Приангарья-2023" in home and event.title in home
    joined = anonymous.post("/join/ZHIVYE23", data={
        "event_code": "zhivye23", "display_name": "Вера Ли", "library": "ЦБС",
        "municipality": "Иркутск"})
    assert joined.status_code == 302
    assert "Гений места" in page(anonymous.get(f"/events/{created.id}"))


def test_a_single_event_keeps_its_direct_home_page(client, event):
    html = page(client.get("/"))
    assert event.title in html and "Треки" in html and "Идут сейчас" not in html


def test_track_rules_duplicate_and_unreadable_slugs(client, organiser, event):
    url = f"/events/{event.id}/manage/tracks"
    duplicate = client.post(url, data={"title": "Новый трек", "slug": "social-hub"})
    assert duplicate.status_code == 409 and "уже занят" in page(duplicate)
    assert 'value="Новый трек"' in page(duplicate)
    unreadable = client.post(url, data={"title": "Новый трек", "slug": "Трек 1"})
    assert unreadable.status_code == 400 and "латинские буквы" in page(unreadable)
    same_title = client.post(url, data={"title": "Гений места"})
    assert same_title.status_code == 302
    slugs = [t.slug for t in db.session.scalars(sa.select(Track).where(
        Track.event_id == event.id).order_by(Track.position))]
    assert slugs == ["genius-loci", "social-hub", "genij-mesta"]
    edited = client.post(f"{url}/genij-mesta/edit", data={"title": "Гений места 2",
                                                          "slug": "genius-loci"})
    assert edited.status_code == 409 and 'value="Гений места 2"' in page(edited)


def test_tracks_move_and_archive(client, organiser, event):
    url = f"/events/{event.id}/manage/tracks"
    assert client.post(f"{url}/social-hub/move", data={"direction": "up"}).status_code == 302
    order = [t.slug for t in db.session.scalars(sa.select(Track).where(
        Track.event_id == event.id).order_by(Track.position))]
    assert order == ["social-hub", "genius-loci"]
    assert client.post(f"{url}/social-hub/archive").status_code == 302
    home = page(client.get(f"/events/{event.id}"))
    assert "/tracks/social-hub\"" not in home and "/tracks/genius-loci\"" in home
    track = db.session.scalar(sa.select(Track).where(Track.slug == "social-hub"))
    assert track.archived and not track.accepts_proposals()
    assert client.post(f"{url}/social-hub/restore").status_code == 302
    assert "/tracks/social-hub\"" in page(client.get(f"/events/{event.id}"))


def test_finish_closes_phases_and_archive_is_read_only(client, organiser, event):
    assert client.post(f"/events/{event.id}/manage/event/finish").status_code == 302
    tracks = db.session.scalars(sa.select(Track).where(Track.event_id == event.id)).all()
    assert not any(t.accepts_proposals() or t.accepts_supports() for t in tracks)
    assert client.post(f"/events/{event.id}/manage/event/archive").status_code == 302
    edit = client.post(f"/events/{event.id}/manage/event", data=NEW_EVENT | {"code": "TEST26"})
    assert edit.status_code == 409 and "только читать" in page(edit)
    track = client.post(f"/events/{event.id}/manage/tracks", data={"title": "Ещё трек"})
    assert track.status_code == 409
    again = client.post(f"/events/{event.id}/manage/event/open")
    assert again.status_code == 409
    db.session.refresh(event)
    assert event.status is EventStatus.archived and event.title != NEW_EVENT["title"]


def test_edit_saves_and_audits_before_and_after(client, organiser, event):
    response = client.post(f"/events/{event.id}/manage/event",
                           data=NEW_EVENT | {"code": "TEST26", "place": "Новый зал"})
    assert response.status_code == 302
    db.session.refresh(event)
    assert event.place == "Новый зал" and event.starts_on.isoformat() == "2023-09-27"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "event_update"))
    assert entry.before["place"] == "" and entry.after["place"] == "Новый зал"


@pytest.mark.parametrize("role", [Role.participant, Role.facilitator])
def test_only_organisers_set_events_up(client, auth, event, create_staff, create_participant,
                                       role):
    if role is Role.participant:
        auth.as_participant(create_participant(event))
    else:
        auth.as_staff(create_staff(role))
    assert create(client).status_code == 403
    assert client.post(f"/events/{event.id}/manage/event/finish").status_code == 403
    assert client.post(f"/events/{event.id}/manage/tracks", data={"title": "X трек"}
                       ).status_code == 403
    assert new_event() is None


# --- staff: invitations by one-time link, roles, tracks ----------------------------------------

def staff_link(response) -> str:
    import re

    return re.search(r"data-staff-link>([^<]+)<", page(response)).group(1).strip()


def test_invited_facilitator_sets_a_password_once_and_moderates_their_track(app, client,
                                                                            organiser, event):
    from strategy.auth.models import User

    hub = db.session.scalar(sa.select(Track).where(Track.slug == "social-hub"))
    response = client.post(f"/events/{event.id}/manage/staff", data={
        "display_name": "Анна Ведущая", "email": "Anna@Example.org", "role": "facilitator",
        "tracks": [str(hub.id)]})
    assert response.status_code == 200
    path = "/staff/" + staff_link(response).rsplit("/staff/", 1)[1]
    invitee = app.test_client()
    assert "Анна Ведущая" in page(invitee.get(path))
    short = invitee.post(path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 400 and "не короче 10" in page(short)
    accepted = invitee.post(path, data={"password": "ведущая-2023", "confirm": "ведущая-2023"})
    assert accepted.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "anna@example.org"))
    assert user.role is Role.facilitator and [t.slug for t in user.facilitated_tracks] == [
        "social-hub"]
    assert invitee.get(f"/events/{event.id}/manage/tracks/social-hub").status_code == 200
    assert invitee.get(f"/events/{event.id}/manage/tracks/genius-loci").status_code == 403
    again = app.test_client().post(path, data={"password": "другой-пароль-1",
                                               "confirm": "другой-пароль-1"})
    assert again.status_code == 410 and "уже использована" in page(again)
    assert app.test_client().get("/staff/not-a-token").status_code == 404
    team = page(client.get(f"/events/{event.id}/manage/staff"))
    assert "Анна Ведущая" in team and "использовано" in team


def test_staff_invitation_rules(app, client, organiser, event):
    from strategy.auth.models import StaffInvitation

    url = f"/events/{event.id}/manage/staff"
    no_track = client.post(url, data={"display_name": "Без трека", "email": "a@example.org",
                                      "role": "facilitator"})
    assert no_track.status_code == 400 and "Выберите треки" in page(no_track)
    assert 'value="Без трека"' in page(no_track)
    taken = client.post(url, data={"display_name": "Дубль", "email": organiser.email,
                                   "role": "expert"})
    assert taken.status_code == 409 and "уже есть" in page(taken)
    made = client.post(url, data={"display_name": "Эксперт Иванов", "email": "e@example.org",
                                  "role": "expert"})
    path = "/staff/" + staff_link(made).rsplit("/staff/", 1)[1]
    invitation = db.session.scalar(sa.select(StaffInvitation))
    invitation.expires_at = invitation.created_at  # a week later
    db.session.commit()
    expired = app.test_client().post(path, data={"password": "эксперт-пароль",
                                                 "confirm": "эксперт-пароль"})
    assert expired.status_code == 410 and "Срок ссылки истёк" in page(expired)


def test_organiser_changes_a_role_and_revokes(app, client, organiser, event, create_staff):
    from strategy.auth.models import User

    member = create_staff(Role.facilitator, email="f@example.org")
    member.facilitated_tracks.append(
        db.session.scalar(sa.select(Track).where(Track.slug == "genius-loci")))
    db.session.commit()
    member_id = member.id
    hub = db.session.scalar(sa.select(Track).where(Track.slug == "social-hub"))
    untracked = client.post(f"/events/{event.id}/manage/staff/{member_id}/role",
                            data={f"u{member_id}-role": "facilitator"})
    assert untracked.status_code == 400 and "Выберите треки" in page(untracked)
    response = client.post(f"/events/{event.id}/manage/staff/{member_id}/role",
                           data={f"u{member_id}-role": "facilitator",
                                 f"u{member_id}-tracks": [str(hub.id)]})
    assert response.status_code == 302
    member = db.session.get(User, member_id)
    assert [t.slug for t in member.facilitated_tracks] == ["social-hub"]
    own = client.post(f"/events/{event.id}/manage/staff/{organiser.id}/revoke")
    assert own.status_code == 409
    assert client.post(f"/events/{event.id}/manage/staff/{member_id}/revoke").status_code == 302
    member = db.session.get(User, member_id)
    assert member.role is Role.participant and member.password_hash is None
    login = app.test_client().post("/login", data={"email": "f@example.org",
                                                   "password": "test-password-1"})
    assert login.status_code == 401
