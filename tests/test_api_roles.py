"""Route × role table of /api/v1: every API rule, every role, the exact status expected.

Each role walks the whole table in a world of its own, and every row that changes something
acts on an object of its own, so the rows do not depend on each other's order."""
import pytest
import sqlalchemy as sa

from strategy.api.operations import create_token
from strategy.auth.models import Role
from strategy.comments.models import CommentStatus
from strategy.comments.operations import add_comment
from strategy.extensions import db
from strategy.moderation import operations as ops
from strategy.notifications.models import Notification
from strategy.proposals.models import Proposal, ProposalStatus
from tests.conftest import Auth
from tests.test_roles import all_tables

ROLES = ("anonymous", "participant", "other_participant", "other_facilitator", "facilitator",
         "organiser")
ALL_OK = dict.fromkeys(ROLES, 200)
# People of another event act only there (the operations refuse with 403).
MEMBERS = {"anonymous": 401, **dict.fromkeys(ROLES[1:], 200), "other_participant": 403}
CREATED = {**{role: 201 for role in MEMBERS}, "anonymous": 401, "other_participant": 403}
TRACK_STAFF = {"anonymous": 401, "participant": 403, "other_participant": 403,
               "other_facilitator": 403, "facilitator": 200, "organiser": 200}
ANY_STAFF = {**TRACK_STAFF, "other_facilitator": 200}  # not tied to a track
ONLY_STAFF_SEE = {"anonymous": 404, "participant": 404, "other_participant": 404,
                  "other_facilitator": 404, "facilitator": 200, "organiser": 200}
SIGNED_IN = {**ALL_OK, "anonymous": 401}
M = "/api/v1/events/{e}/moderation"

# endpoint: (method, url, JSON body, {role: status}); TABLE below keys it by (endpoint, rule)
# as tests/test_roles.py expects of every role table.
ROWS = {
    "api-docs.openapi_json": ("GET", "/api/v1/openapi.json", None, ALL_OK),
    "api_docs.page": ("GET", "/api/v1/docs", None, ALL_OK),
    "api.me": ("GET", "/api/v1/me", None, ALL_OK),
    "api.events": ("GET", "/api/v1/events", None, ALL_OK),
    "api.event": ("GET", "/api/v1/events/{e}", None, ALL_OK),
    "api.tracks": ("GET", "/api/v1/events/{e}/tracks", None, ALL_OK),
    "api.track": ("GET", "/api/v1/events/{e}/tracks/social-hub", None, ALL_OK),
    "api.proposals": ("GET", "/api/v1/events/{e}/tracks/social-hub/proposals?sort=new", None,
                      ALL_OK),
    "api.similar": ("GET", "/api/v1/events/{e}/proposals/similar?track=social-hub&q=клуб+игр",
                    None, ALL_OK),
    "api.similar_long": ("POST", "/api/v1/events/{e}/proposals/similar",
                         {"track": "social-hub", "q": "Клуб настольных игр " * 250}, ALL_OK),
    "api.proposal": ("GET", "/api/v1/events/{e}/proposals/{hidden}", None, ONLY_STAFF_SEE),
    "api.create": ("POST", "/api/v1/events/{e}/proposals",
                   {"track": "social-hub", "title": "Новое предложение для таблицы прав",
                    "body": "Текст нового предложения для проверки прав."}, CREATED),
    "api.edit": ("PATCH", "/api/v1/events/{e}/proposals/{edit}",
                 {"title": "Исправленный заголовок"},
                 {"anonymous": 401, "participant": 403, "other_participant": 403,
                  "other_facilitator": 403, "facilitator": 200, "organiser": 200}),
    "api.support": ("POST", "/api/v1/events/{e}/proposals/{support}/support", None, MEMBERS),
    "api.withdraw": ("DELETE", "/api/v1/events/{e}/proposals/{unsupported}/support", None,
                     {**{role: 409 for role in MEMBERS}, "anonymous": 401,
                      "other_participant": 403}),
    "api.comments": ("GET", "/api/v1/events/{e}/proposals/{published}/comments", None, ALL_OK),
    "api.comment": ("POST", "/api/v1/events/{e}/proposals/{published}/comments",
                    {"body": "Комментарий из таблицы прав"}, CREATED),
    "api.changes": ("GET", "/api/v1/events/{e}/changes?since=0", None, ALL_OK),
    "api.moderate_proposal_approve": ("POST", M + "/proposals/{pending}/approve", None,
                                      TRACK_STAFF),
    "api.moderate_proposal_hide": ("POST", M + "/proposals/{hide}/hide",
                                   {"reason": "Проверка прав"}, TRACK_STAFF),
    "api.moderate_proposal_restore": ("POST", M + "/proposals/{hidden}/restore", None,
                                      TRACK_STAFF),
    "api.moderate_proposal_pin": ("POST", M + "/proposals/{pin}/pin", None, TRACK_STAFF),
    "api.moderate_proposal_unpin": ("POST", M + "/proposals/{pinned}/unpin", None, TRACK_STAFF),
    "api.moderate_proposal_merge": ("POST", M + "/proposals/{merge}/merge", "merge_target",
                                    TRACK_STAFF),
    "api.moderate_proposal_dismiss_flags": ("POST", M + "/proposals/{flagged}/dismiss-flags",
                                            None, TRACK_STAFF),
    "api.moderate_comment_approve": ("POST", M + "/comments/{pending_comment}/approve", None,
                                     TRACK_STAFF),
    "api.moderate_comment_hide": ("POST", M + "/comments/{comment}/hide",
                                  {"reason": "Проверка прав"}, TRACK_STAFF),
    "api.moderate_comment_restore": ("POST", M + "/comments/{hidden_comment}/restore", None,
                                     TRACK_STAFF),
    "api.moderate_comment_dismiss_flags": ("POST", M + "/comments/{flagged_comment}/dismiss-flags",
                                           None, TRACK_STAFF),
    # A facilitator mutes only people who wrote in their tracks.
    "api.moderate_user_mute": ("POST", M + "/users/{talker}/mute", None, TRACK_STAFF),
    "api.moderate_user_unmute": ("POST", M + "/users/{muted}/unmute", None, TRACK_STAFF),
    "api.tokens": ("GET", "/api/v1/tokens", None, ANY_STAFF),
    "api.create_token": ("POST", "/api/v1/tokens", {"name": "скрипт"},
                         {**ANY_STAFF, "other_facilitator": 201, "facilitator": 201,
                          "organiser": 201}),
    "api.revoke_token": ("DELETE", "/api/v1/tokens/{token}", None,
                         {**TRACK_STAFF, "other_facilitator": 404, "facilitator": 404}),
    # Review: the official answer (track staff) and expert assessments (no expert role here:
    # tests/test_review.py has the experts; everyone in this table is refused to assess).
    "api.answer": ("GET", "/api/v1/events/{e}/proposals/{published}/answer", None, ALL_OK),
    "api.give_answer": ("PUT", "/api/v1/events/{e}/proposals/{published}/answer",
                        {"state": "partial", "body": "Ответ из таблицы прав"}, TRACK_STAFF),
    "api.assessments": ("GET", "/api/v1/events/{e}/proposals/{published}/assessments", None,
                        {**dict.fromkeys(ROLES, 403), "anonymous": 401, "organiser": 200}),
    "api.assess": ("PUT", "/api/v1/events/{e}/proposals/{published}/assessment",
                   {"scores": {"significance": 5, "feasibility": 4, "resources": 3,
                               "replicability": 4}},
                   {**dict.fromkeys(ROLES, 403), "anonymous": 401}),
    "api.review_summary": ("GET", "/api/v1/events/{e}/review?sort=spread", None,
                           {**dict.fromkeys(ROLES, 403), "anonymous": 401, "organiser": 200}),
    "api.revise_assessment": ("PATCH", "/api/v1/events/{e}/proposals/{published}/assessment",
                              {"scores": {"significance": 5, "feasibility": 4, "resources": 3,
                                          "replicability": 4}},
                              {**dict.fromkeys(ROLES, 403), "anonymous": 401}),
    # Notifications are one's own: the author's is not found for anyone else.
    "api.notifications": ("GET", "/api/v1/events/{e}/notifications", None, SIGNED_IN),
    "api.notifications_unread": ("GET", "/api/v1/events/{e}/notifications/unread", None,
                                 SIGNED_IN),
    "api.notification_read": ("POST", "/api/v1/events/{e}/notifications/{note}/read", None,
                              {**dict.fromkeys(ROLES, 404), "anonymous": 401}),
    "api.notifications_read_all": ("POST", "/api/v1/events/{e}/notifications/read-all", None,
                                   SIGNED_IN),
}


PATH_ID = "<int(min=1, max=2147483647):{}>"
SLUG = "<string(maxlength=80):slug>"


def rule_of(url: str) -> str:
    """The URL rule a row's URL matches: ids and the slug become their converters."""
    path = url.split("?")[0].replace("social-hub", SLUG).replace("/events/{e}",
                                                                   "/events/{event_id}")
    names = {"tokens": "token_id", "users": "object_id", "comments": "object_id",
             "notifications": "notification_id"}
    parts = path.split("/")
    for i, part in enumerate(parts):
        if part.startswith("{") and part != "{event_id}":
            before = parts[i - 1]
            name = names.get(before, "object_id" if "moderation" in path else "proposal_id")
            parts[i] = PATH_ID.format(name)
        elif part == "{event_id}":
            parts[i] = PATH_ID.format("event_id")
    return "/".join(parts)


TABLE = {(endpoint, rule_of(row[1])): row for endpoint, row in ROWS.items()}


def test_the_table_covers_every_api_rule(app):
    """This table, plus the API rows other domains keep in their own role tables."""
    from tests.test_roles import all_tables

    rules = {(rule.endpoint, rule.rule) for rule in app.url_map.iter_rules()
             if rule.rule.startswith("/api/")}
    # A domain may keep the rows of its own API rules in its tests/test_<domain>_roles.py.
    elsewhere = set(all_tables()) - set(TABLE)
    assert rules - elsewhere == set(TABLE)


@pytest.fixture
def world(app, event, create_event, create_staff, create_participant, create_proposal):
    hub = next(t for t in event.tracks if t.slug == "social-hub")
    genius = next(t for t in event.tracks if t.slug == "genius-loci")
    author = create_participant(event, name="Автор")
    flagger = create_participant(event, name="Жалобщик")
    facilitator = create_staff(Role.facilitator, email="hub@example.org")
    facilitator.facilitated_tracks.append(hub)
    other = create_staff(Role.facilitator, email="genius@example.org")
    other.facilitated_tracks.append(genius)
    organiser = create_staff(Role.organiser, email="metod@example.org")
    db.session.commit()

    def proposal(title):
        return create_proposal(hub, author, title=title)

    ids = {"e": event.id}
    for key in ("published", "edit", "support", "unsupported", "pending", "hide", "hidden", "pin", "pinned",
                "merge", "into", "flagged"):
        ids[key] = proposal(f"Предложение для строки {key}").id
    pending = db.session.get(Proposal, ids["pending"])
    pending.status = ProposalStatus.pending
    db.session.commit()
    ops.hide_proposal(db.session.get(Proposal, ids["hidden"]), organiser, "Заранее скрыто")
    ids["note"] = db.session.scalar(sa.select(Notification.id))  # the author's "hidden"
    ops.set_pinned(db.session.get(Proposal, ids["pinned"]), organiser, True)
    ops.flag(flagger, db.session.get(Proposal, ids["flagged"]), reason="Спам")
    published = db.session.get(Proposal, ids["published"])
    comments = {key: add_comment(published, author, f"Комментарий {key}") for key in
                ("comment", "pending_comment", "hidden_comment", "flagged_comment")}
    comments["pending_comment"].status = CommentStatus.pending
    db.session.commit()
    ops.hide_comment(comments["hidden_comment"], organiser, "Заранее скрыт")
    ops.flag(flagger, published, comments["flagged_comment"], reason="Грубо")
    ids.update({key: c.id for key, c in comments.items()})
    talker = create_participant(event, name="Болтун")
    muted = create_participant(event, name="Молчун")
    for person in (talker, muted):
        create_proposal(hub, person, title=f"Предложение участника {person.display_name}")
    ids["talker"] = talker.id
    ops.set_muted(muted, organiser, event, True)
    ids["muted"] = muted.id
    ids["token"] = create_token(organiser, organiser, "токен организатора")[0].id
    other_event = create_event(code="OTHER1", tracks=("social-hub",))
    people = {"participant": create_participant(event, name="Участник"),
              "other_participant": create_participant(other_event, name="Гость"),
              "other_facilitator": other, "facilitator": facilitator, "organiser": organiser}
    return people, ids


def client_as(app, role, people):
    client = app.test_client()
    if role == "anonymous":
        return client
    auth = Auth(client)
    user = people[role]
    signed = auth.as_staff(user) if user.is_staff else auth.as_participant(user)
    assert signed.status_code == 302
    return client


@pytest.mark.parametrize("role", ROLES)
def test_api_route_role_table(app, world, role):
    people, ids = world
    client = client_as(app, role, people)
    problems = []
    for (endpoint, _rule), (method, template, body, expected) in TABLE.items():
        if body == "merge_target":
            body = {"target": ids["into"]}
        response = client.open(template.format(**ids), method=method, json=body)
        status = response.status_code
        if status != expected[role]:
            problems.append(f"{endpoint}: {role} got {status}, expected {expected[role]}: "
                            f"{response.get_data(as_text=True)[:200]}")
        elif status >= 400:
            answer = response.get_json()
            if not (answer and answer["success"] is False and answer["message"]):
                problems.append(f"{endpoint}: {status} without the error envelope")
            elif not any("а" <= ch <= "я" for ch in answer["message"].lower()):
                problems.append(f"{endpoint}: {status} message is not Russian")
    assert not problems, "\n".join(problems)
