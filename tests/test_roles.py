"""Route × role table: every route of the moderation and live blueprints is checked for every
role. Anonymous visitors of protected routes go to sign-in; signed-in people without the right
get 403 with a Russian message; everyone with the right gets through (any other answer)."""
import pytest
import sqlalchemy as sa

from strategy.auth.models import Role
from strategy.comments.operations import add_comment
from strategy.extensions import db
from strategy.proposals.models import Proposal
from tests.conftest import Auth

# Who may use a route: public, login (any signed-in person), staff (any facilitator or
# organiser), track (those who moderate the proposal's or the URL's track), organiser.
TABLE = {
    "moderation.overview": ("GET", "/events/{e}/manage", "staff"),
    "moderation.settings": ("POST", "/events/{e}/manage/settings", "organiser"),
    "moderation.queue": ("GET", "/events/{e}/manage/queue", "staff"),
    "moderation.track": ("GET", "/events/{e}/manage/tracks/social-hub", "track"),
    "moderation.open_phase": ("POST", "/events/{e}/manage/tracks/social-hub/support/open",
                              "track"),
    "moderation.close_phase": ("POST", "/events/{e}/manage/tracks/social-hub/support/close",
                               "track"),
    "moderation.support_rules": ("POST", "/events/{e}/manage/tracks/social-hub/rules", "track"),
    "moderation.approve_proposal": ("POST", "/events/{e}/manage/proposals/{a}/approve", "track"),
    "moderation.hide_proposal": ("POST", "/events/{e}/manage/proposals/{a}/hide", "track"),
    "moderation.restore_proposal": ("POST", "/events/{e}/manage/proposals/{a}/restore", "track"),
    "moderation.pin_proposal": ("POST", "/events/{e}/manage/proposals/{b}/pin", "track"),
    "moderation.unpin_proposal": ("POST", "/events/{e}/manage/proposals/{b}/unpin", "track"),
    "moderation.merge_proposal": ("POST", "/events/{e}/manage/proposals/{c}/merge", "track"),
    "moderation.dismiss_flags": ("POST", "/events/{e}/manage/proposals/{b}/dismiss-flags",
                                 "track"),
    "moderation.edit_proposal": ("GET", "/events/{e}/manage/proposals/{b}/edit", "track"),
    "moderation.approve_comment": ("POST", "/events/{e}/manage/comments/{k}/approve", "track"),
    "moderation.hide_comment": ("POST", "/events/{e}/manage/comments/{k}/hide", "track"),
    "moderation.restore_comment": ("POST", "/events/{e}/manage/comments/{k}/restore", "track"),
    "moderation.dismiss_comment_flags": ("POST", "/events/{e}/manage/comments/{k}/dismiss-flags",
                                         "track"),
    "moderation.mute": ("POST", "/events/{e}/manage/users/{u}/mute", "staff"),
    "moderation.unmute": ("POST", "/events/{e}/manage/users/{u}/unmute", "staff"),
    "moderation.audit": ("GET", "/events/{e}/manage/audit", "organiser"),
    "moderation.audit_csv": ("GET", "/events/{e}/manage/audit.csv", "organiser"),
    "moderation.flag_proposal": ("POST", "/events/{e}/proposals/{b}/flag", "login"),
    "moderation.flag_comment": ("POST", "/events/{e}/comments/{k}/flag", "login"),
    "moderation.similar": ("GET", "/events/{e}/proposals/similar?track=social-hub&q=клуб+игр",
                           "public"),
    "live.feed": ("GET", "/events/{e}/feed?since=0", "public"),
    "live.stream": ("GET", "/events/{e}/stream", "public"),
    "live.event_screen": ("GET", "/events/{e}/screen", "public"),
    "live.track_screen": ("GET", "/events/{e}/tracks/social-hub/screen", "public"),
}
ALLOWED = {
    "anonymous": {"public"},
    "participant": {"public", "login"},
    "other_facilitator": {"public", "login", "staff"},
    "facilitator": {"public", "login", "staff", "track"},
    "organiser": {"public", "login", "staff", "track", "organiser"},
}
FORM = {"moderation.hide_proposal": {"reason": "Проверка прав"},
        "moderation.hide_comment": {"reason": "Проверка прав"},
        "moderation.settings": {"moderation_mode": "post", "flag_threshold": "3"},
        "moderation.support_rules": {"budget": "", "projector_shows_counts": "y"}}


@pytest.fixture(autouse=True)
def streams_on(app):
    # Streams are off by default (threaded workers); on here, and short, to check their access.
    app.config.update(LIVE_SSE_STREAMS=4, LIVE_SSE_SECONDS=0.2)


def test_the_table_covers_every_route(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                 if rule.endpoint.split(".")[0] in ("moderation", "live")}
    assert endpoints == set(TABLE)


@pytest.fixture
def world(event, create_staff, create_participant, create_proposal):
    tracks = {t.slug: t for t in event.tracks}
    author = create_participant(event, name="Автор")
    a, b, c = (create_proposal(tracks["social-hub"], author, title=f"Предложение трека {n}")
               for n in "АБВ")
    comment = add_comment(b, author, "Комментарий для проверки прав")
    facilitator = create_staff(Role.facilitator, email="hub@example.org")
    facilitator.facilitated_tracks.append(tracks["social-hub"])
    other = create_staff(Role.facilitator, email="genius@example.org")
    other.facilitated_tracks.append(tracks["genius-loci"])
    db.session.commit()
    people = {"participant": create_participant(event, name="Участник"), "facilitator": facilitator,
              "other_facilitator": other,
              "organiser": create_staff(Role.organiser, email="metod@example.org")}
    ids = {"e": event.id, "a": a.id, "b": b.id, "c": c.id, "k": comment.id, "u": author.id}
    return people, ids


def sign_in(app, role, people):
    client = app.test_client()
    if role == "anonymous":
        return client
    auth = Auth(client)
    user = people[role]
    response = auth.as_participant(user) if role == "participant" else auth.as_staff(user)
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("role", list(ALLOWED))
def test_route_role_table(app, world, role):
    people, ids = world
    client = sign_in(app, role, people)
    problems = []
    for endpoint, (method, template, need) in TABLE.items():
        url = template.format(**ids)
        data = dict(FORM.get(endpoint, {}))
        if endpoint == "moderation.merge_proposal":
            data["target"] = ids["b"]
        response = client.open(url, method=method, data=data)
        status = response.status_code
        location = response.headers.get("Location", "")
        body = response.get_data(as_text=True)  # also runs a stream to its end
        response.close()
        if need in ALLOWED[role]:
            if status in (401, 403) or "/login" in location:
                problems.append(f"{endpoint}: {role} refused ({status})")
            if status >= 500:
                problems.append(f"{endpoint}: {role} got {status}")
        elif role == "anonymous":
            if status != 302 or "/login" not in location:
                problems.append(f"{endpoint}: anonymous got {status} {location}, not sign-in")
        elif status != 403:
            problems.append(f"{endpoint}: {role} got {status}, expected 403")
        elif not any(text in body for text in ("нет прав", "не модерируете",
                                                 "методическая группа")):
            problems.append(f"{endpoint}: 403 without a Russian message")
    assert not problems, "\n".join(problems)


def test_refusals_change_nothing(app, world):
    """After every refused role walked the table, the proposals are as they were."""
    people, ids = world
    for role in ("anonymous", "participant", "other_facilitator"):
        client = sign_in(app, role, people)
        for endpoint, (method, template, need) in TABLE.items():
            if method == "POST" and need in ("staff", "track", "organiser") and \
                    need not in ALLOWED[role]:
                client.open(template.format(**ids), method=method,
                            data={"reason": "x", "target": ids["b"]})
    db.session.expire_all()
    statuses = db.session.execute(sa.select(Proposal.status, Proposal.is_pinned)).all()
    assert all(status.value == "published" and not pinned for status, pinned in statuses)


def test_staff_menu_items_follow_the_role(app, world):
    people, ids = world
    home = f"/events/{ids['e']}"
    menus = {role: sign_in(app, role, people).get(home).get_data(as_text=True)
             for role in ("participant", "facilitator", "organiser")}
    assert "/manage/queue" not in menus["participant"]
    assert "/manage/queue" in menus["facilitator"] and "/screen" in menus["facilitator"]
    assert "/manage/audit" not in menus["facilitator"]
    assert "/manage/audit" in menus["organiser"] and "Журнал действий" in menus["organiser"]
