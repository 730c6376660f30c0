"""Route × role table of the draft review (pages and /api/v1): every rule, every role, the
exact status, walked top to bottom on a fresh world per role (the world of
tests/test_roles.py plus a published draft with a comment)."""
import pytest

from strategy.auth.models import User
from strategy.events.models import Event
from strategy.extensions import db
from strategy.discussion import operations as ops
from tests.test_roles import ROLES, SIGN_IN, expect, sign_in, world  # noqa: F401 (fixture)

E = "/events/{e}"
D = E + "/draft/sections/{ps}"
M = E + "/manage/draft"
R = "/events/<int:event_id>"
A = "/api/v1/events/{e}/draft"
RA = "/api/v1/events/<int(min=1, max=2147483647):event_id>/draft"
RS = RA + "/sections/<int(min=1, max=2147483647):section_id>"
RC = RA + "/comments/<int(min=1, max=2147483647):comment_id>"
COMMENT = {"s{ps}-body": "Раздел стоит дополнить", "s{ps}-stance": "addition"}
API_MEMBER = {"anonymous": 401, "participant": 200, "stranger": 403, "other_organiser": 403,
              "other_facilitator": 200, "facilitator": 200, "organiser": 200}
# The track's facilitator and the event's organisers moderate its section comments.
API_STAFF = {**API_MEMBER, "participant": 403, "other_facilitator": 403}
HIDE = {"reason": "Проверка прав"}
API_ORGANISER = {**dict.fromkeys(API_MEMBER, 403), "anonymous": 401, "organiser": 200}

# (endpoint, rule) → (method, url, data, expected statuses, JSON?)
TABLE = {
    ("discussion.draft", R + "/draft"): ("GET", E + "/draft", None, expect("public", 200), False),
    ("discussion.support", R + "/draft/sections/<int:section_id>/support"):
        ("POST", D + "/support", None, expect("member", 302), False),
    ("discussion.unsupport", R + "/draft/sections/<int:section_id>/unsupport"):
        ("POST", D + "/unsupport", None, expect("member", 302), False),
    ("discussion.comment", R + "/draft/sections/<int:section_id>/comments"):
        ("POST", D + "/comments", COMMENT, expect("member", 302), False),
    ("discussion.manage", R + "/manage/draft"):
        ("GET", M, None, expect("organiser", 200), False),
    ("discussion.flag_comment", R + "/draft/comments/<int:comment_id>/flag"):
        ("POST", E + "/draft/comments/{sc}/flag", {"reason": "Проверка прав"},
         expect("member", 302), False),
    ("discussion.moderate_comment", R + "/manage/draft/comments/<int:comment_id>"
                                        "/<any(approve, hide, restore, \"dismiss-flags\"):action>"):
        ("POST", M + "/comments/{sc}/hide", {"reason": "Проверка прав"},
         expect("staff", 302, other_facilitator=403), False),
    ("discussion.publish", R + "/manage/draft/publish"):
        ("POST", M + "/publish", {"scope": "all"}, expect("organiser", 302), False),
    ("discussion.close", R + "/manage/draft/close"):
        ("POST", M + "/close", None, expect("organiser", 302), False),
    # The API: reopen first (the organiser closed it above) — the rows below run on an open
    # review for everyone but the organiser's own walk, which publishes again.
    ("api.draft", RA): ("GET", A, None, dict.fromkeys(ROLES, 200), True),
    ("api.section_comments", RS + "/comments"):
        ("GET", A + "/sections/{ps2}/comments", None, dict.fromkeys(ROLES, 200), True),
    ("api.section_support", RS + "/support"):
        ("POST", A + "/sections/{ps2}/support", None, API_MEMBER, True),
    ("api.section_withdraw", RS + "/support"):
        ("DELETE", A + "/sections/{ps2}/support", None, API_MEMBER, True),
    ("api.section_comment", RS + "/comments"):
        ("POST", A + "/sections/{ps2}/comments", {"body": "Через API", "stance": "for"},
         {**API_MEMBER, **{r: 201 for r, s in API_MEMBER.items() if s == 200}}, True),
    # Moderation through the API, on the second section's comment ({sc2}): flag, dismiss the
    # flag, hide, restore, then approve (refused: it is published, not waiting).
    ("api.flag_section_comment", RC + "/flag"):
        ("POST", A + "/comments/{sc2}/flag", {"reason": "Через API"}, API_MEMBER, True),
    ("api.moderate_section_comment_dismiss_flags", RC + "/dismiss-flags"):
        ("POST", A + "/comments/{sc2}/dismiss-flags", None, API_STAFF, True),
    ("api.moderate_section_comment_hide", RC + "/hide"):
        ("POST", A + "/comments/{sc2}/hide", HIDE, API_STAFF, True),
    ("api.moderate_section_comment_restore", RC + "/restore"):
        ("POST", A + "/comments/{sc2}/restore", None, API_STAFF, True),
    ("api.moderate_section_comment_approve", RC + "/approve"):
        ("POST", A + "/comments/{sc2}/approve", None,
         {**API_STAFF, "facilitator": 409, "organiser": 409}, True),
    # The methodical group publishes and closes through the API too (its walk republished
    # before each row, so both succeed).
    ("api.draft_publish", RA + "/publish"):
        ("POST", A + "/publish", {"scope": "all"}, API_ORGANISER, True),
    ("api.draft_close", RA + "/close"): ("POST", A + "/close", None, API_ORGANISER, True),
}


@pytest.fixture
def review_world(world):  # noqa: F811 (the fixture imported above)
    people, ids = world
    organiser = db.session.scalar(db.select(User).filter_by(email=people["organiser"].email))
    author = db.session.get(User, ids["u"])
    event = db.session.get(Event, ids["e"])
    review = ops.publish_draft(event, organiser)
    by_section = {s.section_id: s for s in review.visible_sections}
    comment = ops.comment_section(by_section[ids["s1"]], author, "Комментарий для проверки",
                                  "for")
    second = ops.comment_section(by_section[ids["s2"]], author, "Второй комментарий для проверки",
                                 "against")
    ids = {**ids, "ps": by_section[ids["s1"]].id, "ps2": by_section[ids["s2"]].id,
           "sc": comment.id, "sc2": second.id}
    return people, ids


@pytest.mark.parametrize("role", ROLES)
def test_review_route_role_table(app, review_world, role):
    people, ids = review_world
    client = sign_in(app, role, people)
    problems = []
    for (endpoint, _rule), (method, template, data, expected, as_json) in TABLE.items():
        if endpoint.startswith("api.") and role == "organiser":
            # The organiser closed the review in the row before; publishing reopens it.
            client.post(M.format(**ids) + "/publish", data={"scope": "all"})
        form = {k.format(**ids): v.format(**ids) for k, v in (data or {}).items()}
        url = template.format(**ids)
        response = (client.open(url, method=method, json=form) if as_json
                    else client.open(url, method=method, data=form))
        got = response.status_code
        if got == 302 and "/login" in response.headers.get("Location", ""):
            got = SIGN_IN
        body = (response.get_json() or {}).get("message", "") if as_json else \
            response.get_data(as_text=True)
        if got != expected[role]:
            problems.append(f"{endpoint}: {role} got {got}, expected {expected[role]}: "
                            f"{body[:300]}")
        elif got in (401, 403) and not any(text in body for text in (
                "нет прав", "не модерируете", "методическая группа", "другое мероприятие",
                "Войдите")):
            problems.append(f"{endpoint}: {got} without a Russian message")
    assert not problems, "\n".join(problems)
