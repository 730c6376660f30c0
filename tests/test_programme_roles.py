"""Route × role table of the events set-up, programme and staff screens: the exact answer each
of six kinds of visitor gets from every route, and a check that no route of these blueprints is
missing from the table."""
from datetime import date

import pytest

from strategy.auth.models import Role
from strategy.auth.operations import create_staff_invitation
from strategy.extensions import db
from strategy.programme import operations as ops
from tests.conftest import cheap_staff, fill

ROLES = ("anonymous", "participant", "other_participant", "other_organiser",
         "other_facilitator", "facilitator", "organiser")
ORG_ONLY = (302, 403, 403, 403, 403, 403)   # followed by the organiser's answer
STAFF_TRACK = (302, 403, 403, 403, 403)     # followed by the track's facilitator and the organiser

# endpoint: (method, url, data, expected answers in the order of ROLES)
BY_ENDPOINT = {
    "events.index": ("GET", "/", None, (200,) * 7),
    "events.home": ("GET", "/events/{e}", None, (200,) * 7),
    "events.track": ("GET", "/events/{e}/tracks/social-hub", None, (200,) * 7),
    "events.tracks": ("GET", "/events/{e}/tracks", None, (302,) * 7),
    "events.manage_events": ("GET", "/manage/events", None, (302, 403, 403, 200, 403, 403, 200)),
    "events.create_event": ("GET", "/manage/events/new", None, ORG_ONLY + (200,)),
    "events.edit_event": ("GET", "/events/{e}/manage/event", None, ORG_ONLY + (200,)),
    "events.change_status": ("POST", "/events/{e}/manage/event/finish", {}, ORG_ONLY + (302,)),
    "events.manage_tracks": ("GET", "/events/{e}/manage/tracks", None, ORG_ONLY + (200,)),
    "events.edit_track": ("GET", "/events/{e}/manage/tracks/social-hub/edit", None,
                          ORG_ONLY + (200,)),
    "events.move_track": ("POST", "/events/{e}/manage/tracks/social-hub/move",
                          {"direction": "up"}, ORG_ONLY + (302,)),
    "events.archive_track": ("POST", "/events/{e}/manage/tracks/social-hub/archive", {},
                             ORG_ONLY + (302,)),
    "events.restore_track": ("POST", "/events/{e}/manage/tracks/social-hub/restore", {},
                             ORG_ONLY + (302,)),
    "programme.index": ("GET", "/events/{e}/programme", None, (200,) * 7),
    "programme.item": ("GET", "/events/{e}/programme/{i}", None, (200,) * 7),
    "programme.item_ics": ("GET", "/events/{e}/programme/{i}.ics", None, (200,) * 7),
    "programme.register": ("POST", "/events/{e}/programme/{i}/register", {"seat": "hall"},
                           (302, 302, 403, 403, 302, 302, 302)),
    "programme.cancel": ("POST", "/events/{e}/programme/{i}/cancel", {},
                         (302, 409, 403, 403, 409, 409, 409)),
    "programme.mine": ("GET", "/events/{e}/my/programme", None, (302,) + (200,) * 6),
    "programme.mine_ics": ("GET", "/events/{e}/my/programme.ics", None, (302,) + (200,) * 6),
    "programme.manage": ("GET", "/events/{e}/manage/programme", None,
                         (302, 403, 403, 403, 200, 200, 200)),
    "programme.create": ("GET", "/events/{e}/manage/programme/new", None,
                         (302, 403, 403, 403, 200, 200, 200)),
    "programme.edit": ("GET", "/events/{e}/manage/programme/{i}/edit", None,
                       STAFF_TRACK + (200, 200)),
    "programme.delete": ("POST", "/events/{e}/manage/programme/{i}/delete", {},
                         STAFF_TRACK + (302, 302)),
    "programme.registrations": ("GET", "/events/{e}/manage/programme/{i}/registrations", None,
                                STAFF_TRACK + (200, 200)),
    "programme.registrations_file": ("GET",
                                     "/events/{e}/manage/programme/{i}/registrations.csv",
                                     None, STAFF_TRACK + (200, 200)),
    "programme.outcome": ("GET", "/events/{e}/manage/programme/{i}/outcome", None,
                          STAFF_TRACK + (200, 200)),
    "programme.copy_event": ("POST", "/events/{e}/manage/event/copy",
                             {"title": "Копия", "code": "COPY27", "starts_on": "2027-09-26"},
                             ORG_ONLY + (302,)),
    "auth.staff": ("GET", "/events/{e}/manage/staff", None, ORG_ONLY + (200,)),
    "auth.staff_role": ("POST", "/events/{e}/manage/staff/{f}/role",
                        {"u{f}-role": "facilitator", "u{f}-tracks": "{g}"}, ORG_ONLY + (302,)),
    "auth.staff_revoke": ("POST", "/events/{e}/manage/staff/{f}/revoke", {}, ORG_ONLY + (302,)),
    "auth.staff_invitation_revoke": ("POST", "/events/{e}/manage/staff/invitations/{v}/revoke",
                                     {}, ORG_ONLY + (302,)),
    "auth.staff_accept": ("GET", "/staff/{t}", None, (200,) * 7),
}


RULES = {
    "events.index": "/", "events.home": "/events/<int:event_id>",
    "events.track": "/events/<int:event_id>/tracks/<slug>",
    "events.tracks": "/events/<int:event_id>/tracks",
    "events.manage_events": "/manage/events", "events.create_event": "/manage/events/new",
    "events.edit_event": "/events/<int:event_id>/manage/event",
    "events.change_status": "/events/<int:event_id>/manage/event/<action>",
    "events.manage_tracks": "/events/<int:event_id>/manage/tracks",
    "events.edit_track": "/events/<int:event_id>/manage/tracks/<slug>/edit",
    "events.move_track": "/events/<int:event_id>/manage/tracks/<slug>/move",
    "events.archive_track": "/events/<int:event_id>/manage/tracks/<slug>/archive",
    "events.restore_track": "/events/<int:event_id>/manage/tracks/<slug>/restore",
    "programme.index": "/events/<int:event_id>/programme",
    "programme.item": "/events/<int:event_id>/programme/<int:item_id>",
    "programme.item_ics": "/events/<int:event_id>/programme/<int:item_id>.ics",
    "programme.register": "/events/<int:event_id>/programme/<int:item_id>/register",
    "programme.cancel": "/events/<int:event_id>/programme/<int:item_id>/cancel",
    "programme.mine": "/events/<int:event_id>/my/programme",
    "programme.mine_ics": "/events/<int:event_id>/my/programme.ics",
    "programme.manage": "/events/<int:event_id>/manage/programme",
    "programme.create": "/events/<int:event_id>/manage/programme/new",
    "programme.edit": "/events/<int:event_id>/manage/programme/<int:item_id>/edit",
    "programme.delete": "/events/<int:event_id>/manage/programme/<int:item_id>/delete",
    "programme.registrations":
        "/events/<int:event_id>/manage/programme/<int:item_id>/registrations",
    "programme.registrations_file":
        "/events/<int:event_id>/manage/programme/<int:item_id>/registrations.<fmt>",
    "programme.outcome": "/events/<int:event_id>/manage/programme/<int:item_id>/outcome",
    "programme.copy_event": "/events/<int:event_id>/manage/event/copy",
    "auth.staff": "/events/<int:event_id>/manage/staff",
    "auth.staff_role": "/events/<int:event_id>/manage/staff/<int:user_id>/role",
    "auth.staff_revoke": "/events/<int:event_id>/manage/staff/<int:user_id>/revoke",
    "auth.staff_invitation_revoke":
        "/events/<int:event_id>/manage/staff/invitations/<int:invitation_id>/revoke",
    "auth.staff_accept": "/staff/<token>",
}
# (endpoint, rule) keys, as tests/test_roles.py collects every tests/test_*_roles.py TABLE.
TABLE = {(endpoint, RULES[endpoint]): entry for endpoint, entry in BY_ENDPOINT.items()}


def covered_rules(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, rule.rule) for rule in app.url_map.iter_rules()
            if rule.endpoint.split(".")[0] in ("events", "programme")
            or rule.endpoint.startswith("auth.staff")}


def test_every_route_of_these_screens_is_in_the_table(app):
    assert sorted(covered_rules(app) - set(TABLE)) == []
    assert sorted(set(TABLE) - covered_rules(app)) == []


@pytest.fixture
def world(role_world):
    made = role_world(starts_on=date(2026, 9, 27), ends_on=date(2026, 9, 29))
    event, tracks, organiser = made.event, made.tracks, made.people["organiser"]
    colleague = cheap_staff(Role.facilitator, "colleague@example.org")
    colleague.facilitated_tracks.append(tracks["genius-loci"])
    db.session.commit()
    item = ops.create_item(event, organiser, ops.ItemData(
        day="2026-09-28", start="10:00", end="11:00", title="Сессия хаба", track="social-hub",
        format="hybrid", place="Зал 1", registration_required=True, capacity_hall=10))
    invitation, token = create_staff_invitation(event, organiser, display_name="Эксперт",
                                                email="expert@example.org", role="expert")
    ids = {"e": event.id, "i": item.id, "f": colleague.id, "g": tracks["social-hub"].id,
           "v": invitation.id, "t": token}
    return made.people, ids


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(BY_ENDPOINT))
def test_route_answers_each_role_exactly(client, auth, world, endpoint, role):
    people, ids = world
    method, url, data, expected = BY_ENDPOINT[endpoint]
    if role == "anonymous":
        pass
    elif role in ("participant", "other_participant"):
        auth.as_participant(people[role])
    else:
        auth.as_staff(people[role])
    form = {fill(k, ids): fill(v, ids) for k, v in (data or {}).items()}
    response = (client.get(fill(url, ids)) if method == "GET"
                else client.post(fill(url, ids), data=form))
    assert response.status_code == expected[ROLES.index(role)]
    if response.status_code == 403:  # a Russian reason, not a bare code
        body = response.get_data(as_text=True)
        assert any(text in body for text in ("прав", "только", "участник другого",
                                             "методическая группа"))
    if role == "anonymous" and response.status_code == 302 and expected != (302,) * 7:
        assert "/login" in response.headers["Location"]
