"""Route × role table: every URL rule of the app has an entry with the exact status each role
gets. Roles include a participant and an organiser of *another* event, so every write is also
checked to stay inside its event. A new route without an entry fails the suite.

Each role walks the table in order on a fresh world, so the statuses are exact: a write that is
allowed answers what it answers on that world (302 back to the page, 200, 409 ...), a refusal is
302 to sign-in for anonymous visitors and 403 with a Russian message for everyone else."""
import importlib
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from strategy.auth.models import Role
from strategy.comments.operations import add_comment
from strategy.extensions import db
from strategy.proposals.models import Proposal, ProposalStatus
from strategy.workspace.models import ClusterRun, DraftSection, RunStatus, SectionAssignment
from tests.conftest import Auth

ROLES = ("anonymous", "participant", "stranger", "other_organiser", "other_facilitator",
         "facilitator", "organiser")
SIGN_IN = "sign-in"  # anonymous: 302 to /login

# Who may use a route, and what they get otherwise.
WHO = {
    "public": set(ROLES),
    "login": set(ROLES) - {"anonymous"},
    "member": {"participant", "other_facilitator", "facilitator", "organiser"},
    "staff": {"other_facilitator", "facilitator", "organiser"},
    "track": {"facilitator", "organiser"},
    "organiser": {"organiser"},
}


def expect(need: str, ok, **per_role):
    """Expected status per role: ``ok`` for those allowed, refusals for the rest, overrides."""
    table = {}
    for role in ROLES:
        if role in per_role:
            table[role] = per_role[role]
        elif role in WHO[need]:
            table[role] = ok
        else:
            table[role] = SIGN_IN if role == "anonymous" else 403
    return table


# (endpoint, rule) → (method, url, form data, expected statuses). Order matters: each role
# walks it top to bottom on its own fresh world.
E = "/events/{e}"
M = E + "/manage"
W = M + "/workspace"
TABLE = {
    ("events.index", "/"): ("GET", "/", None, expect("public", 200)),
    ("events.home", "/events/<int:event_id>"): ("GET", E, None, expect("public", 200)),
    ("events.tracks", "/events/<int:event_id>/tracks"):
        ("GET", E + "/tracks", None, expect("public", 302)),
    ("events.track", "/events/<int:event_id>/tracks/<slug>"):
        ("GET", E + "/tracks/social-hub", None, expect("public", 200)),
    ("proposals.detail", "/events/<int:event_id>/proposals/<int:proposal_id>"):
        ("GET", E + "/proposals/{b}", None, expect("public", 200)),
    ("proposals.create", "/events/<int:event_id>/proposals/new"):
        ("POST", E + "/proposals/new", {"track": "social-hub", "kind": "idea",
                                        "title": "Проверка прав: новое предложение",
                                        "body": "Текст предложения для проверки прав доступа."},
         expect("member", 302)),
    ("proposals.edit", "/events/<int:event_id>/proposals/<int:proposal_id>/edit"):
        ("GET", E + "/proposals/{own}/edit", None, expect("login", 403, participant=200)),
    ("proposals.mine", "/events/<int:event_id>/my/proposals"):
        ("GET", E + "/my/proposals", None, expect("login", 200)),
    ("proposals.my_supports", "/events/<int:event_id>/my/supports"):
        ("GET", E + "/my/supports", None, expect("login", 200)),
    ("supports.support", "/events/<int:event_id>/proposals/<int:proposal_id>/support"):
        ("POST", E + "/proposals/{b}/support", None, expect("member", 302)),
    ("supports.unsupport", "/events/<int:event_id>/proposals/<int:proposal_id>/unsupport"):
        ("POST", E + "/proposals/{b}/unsupport", None, expect("member", 302)),
    ("proposals.join", "/events/<int:event_id>/proposals/<int:proposal_id>/join"):
        ("POST", E + "/proposals/{b}/join", {"library": "ЦБС Ангарска"},
         expect("member", 302)),
    ("proposals.leave", "/events/<int:event_id>/proposals/<int:proposal_id>/leave"):
        ("POST", E + "/proposals/{b}/leave", None, expect("member", 302)),
    ("comments.create", "/events/<int:event_id>/proposals/<int:proposal_id>/comments"):
        ("POST", E + "/proposals/{b}/comments", {"body": "Комментарий для проверки прав"},
         expect("member", 302)),
    ("moderation.flag_proposal", "/events/<int:event_id>/proposals/<int:proposal_id>/flag"):
        ("POST", E + "/proposals/{b}/flag", None, expect("member", 302)),
    ("moderation.flag_comment", "/events/<int:event_id>/comments/<int:comment_id>/flag"):
        ("POST", E + "/comments/{k}/flag", None, expect("member", 302)),
    ("live.feed", "/events/<int:event_id>/feed"):
        ("GET", E + "/feed?since=0", None, expect("public", 200)),
    ("live.stream", "/events/<int:event_id>/stream"):
        ("GET", E + "/stream", None, expect("public", 200)),
    ("live.event_screen", "/events/<int:event_id>/screen"):
        ("GET", E + "/screen", None, expect("public", 200)),
    ("live.track_screen", "/events/<int:event_id>/tracks/<slug>/screen"):
        ("GET", E + "/tracks/social-hub/screen", None, expect("public", 200)),
    ("moderation.overview", "/events/<int:event_id>/manage"):
        ("GET", M, None, expect("staff", 200)),
    ("moderation.queue", "/events/<int:event_id>/manage/queue"):
        ("GET", M + "/queue", None, expect("staff", 200)),
    ("moderation.track", "/events/<int:event_id>/manage/tracks/<slug>"):
        ("GET", M + "/tracks/social-hub", None, expect("track", 200)),
    ("moderation.close_phase", "/events/<int:event_id>/manage/tracks/<slug>/<phase>/close"):
        ("POST", M + "/tracks/social-hub/support/close", None, expect("track", 302)),
    ("moderation.open_phase", "/events/<int:event_id>/manage/tracks/<slug>/<phase>/open"):
        ("POST", M + "/tracks/social-hub/support/open", None, expect("track", 302)),
    ("moderation.support_rules", "/events/<int:event_id>/manage/tracks/<slug>/rules"):
        ("POST", M + "/tracks/social-hub/rules", {"budget": "",
                                                   "projector_shows_counts": "y"},
         expect("track", 302)),
    ("moderation.approve_proposal",
     "/events/<int:event_id>/manage/proposals/<int:proposal_id>/approve"):
        ("POST", M + "/proposals/{a}/approve", None, expect("track", 409)),
    ("moderation.hide_proposal", "/events/<int:event_id>/manage/proposals/<int:proposal_id>/hide"):
        ("POST", M + "/proposals/{a}/hide", {"reason": "Проверка прав"}, expect("track", 302)),
    ("moderation.restore_proposal",
     "/events/<int:event_id>/manage/proposals/<int:proposal_id>/restore"):
        ("POST", M + "/proposals/{a}/restore", None, expect("track", 302)),
    ("moderation.pin_proposal", "/events/<int:event_id>/manage/proposals/<int:proposal_id>/pin"):
        ("POST", M + "/proposals/{b}/pin", None, expect("track", 302)),
    ("moderation.unpin_proposal",
     "/events/<int:event_id>/manage/proposals/<int:proposal_id>/unpin"):
        ("POST", M + "/proposals/{b}/unpin", None, expect("track", 302)),
    ("moderation.dismiss_flags",
     "/events/<int:event_id>/manage/proposals/<int:proposal_id>/dismiss-flags"):
        ("POST", M + "/proposals/{b}/dismiss-flags", None, expect("track", 302)),
    ("moderation.edit_proposal", "/events/<int:event_id>/manage/proposals/<int:proposal_id>/edit"):
        ("GET", M + "/proposals/{b}/edit", None, expect("track", 200)),
    ("moderation.approve_comment",
     "/events/<int:event_id>/manage/comments/<int:comment_id>/approve"):
        ("POST", M + "/comments/{k}/approve", None, expect("track", 409)),
    ("moderation.hide_comment", "/events/<int:event_id>/manage/comments/<int:comment_id>/hide"):
        ("POST", M + "/comments/{k}/hide", {"reason": "Проверка прав"}, expect("track", 302)),
    ("moderation.restore_comment",
     "/events/<int:event_id>/manage/comments/<int:comment_id>/restore"):
        ("POST", M + "/comments/{k}/restore", None, expect("track", 302)),
    ("moderation.dismiss_comment_flags",
     "/events/<int:event_id>/manage/comments/<int:comment_id>/dismiss-flags"):
        ("POST", M + "/comments/{k}/dismiss-flags", None, expect("track", 409)),  # hiding resolved them
    ("moderation.merge_proposal",
     "/events/<int:event_id>/manage/proposals/<int:proposal_id>/merge"):
        ("POST", M + "/proposals/{c}/merge", {"target": "{b}"}, expect("track", 302)),
    ("moderation.mute", "/events/<int:event_id>/manage/users/<int:user_id>/mute"):
        ("POST", M + "/users/{u}/mute", None, expect("track", 302)),
    ("moderation.unmute", "/events/<int:event_id>/manage/users/<int:user_id>/unmute"):
        ("POST", M + "/users/{u}/unmute", None, expect("track", 302)),
    ("moderation.settings", "/events/<int:event_id>/manage/settings"):
        ("POST", M + "/settings", {"moderation_mode": "post", "flag_threshold": "3"},
         expect("organiser", 302)),
    ("moderation.audit", "/events/<int:event_id>/manage/audit"):
        ("GET", M + "/audit", None, expect("organiser", 200)),
    ("moderation.audit_csv", "/events/<int:event_id>/manage/audit.csv"):
        ("GET", M + "/audit.csv", None, expect("organiser", 200)),
    ("auth.invitations", "/events/<int:event_id>/manage/invitations"):
        ("GET", M + "/invitations", None, expect("organiser", 200)),
    ("workspace.index", "/events/<int:event_id>/manage/workspace"):
        ("GET", W, None, expect("organiser", 200)),
    ("workspace.run_status", "/events/<int:event_id>/manage/workspace/runs/<int:run_id>"):
        ("GET", W + "/runs/{run}", None, expect("organiser", 200)),
    ("workspace.rename", "/events/<int:event_id>/manage/workspace/sections/<int:section_id>/rename"):
        ("POST", W + "/sections/{s1}/rename", {"title": "Клубы и сообщества"},
         expect("organiser", 302)),
    ("workspace.state", "/events/<int:event_id>/manage/workspace/sections/<int:section_id>/state"):
        ("POST", W + "/sections/{s1}/state", {"state": "review"}, expect("organiser", 302)),
    ("workspace.move",
     "/events/<int:event_id>/manage/workspace/proposals/<int:proposal_id>/move"):
        ("POST", W + "/proposals/{b}/move", {"section": "{s2}"}, expect("organiser", 302)),
    ("workspace.split", "/events/<int:event_id>/manage/workspace/sections/<int:section_id>/split"):
        ("POST", W + "/sections/{s2}/split", {"proposal": "{b}", "title": "Отдельный раздел"},
         expect("organiser", 302)),
    ("workspace.merge", "/events/<int:event_id>/manage/workspace/sections/<int:section_id>/merge"):
        ("POST", W + "/sections/{s2}/merge", {"into": "{s1}"}, expect("organiser", 302)),
    ("workspace.lock", "/events/<int:event_id>/manage/workspace/sections/<int:section_id>/lock"):
        ("POST", W + "/sections/{s1}/lock", {"locked": "1"}, expect("organiser", 302)),
    ("workspace.start_run", "/events/<int:event_id>/manage/workspace/runs"):
        ("POST", W + "/runs", {"track": "genius-loci"}, expect("organiser", 302)),
    ("export.index", "/events/<int:event_id>/manage/export"):
        ("GET", M + "/export", None, expect("organiser", 200)),
    ("export.stats", "/events/<int:event_id>/manage/stats"):
        ("GET", M + "/stats", None, expect("organiser", 200)),
    ("export.chart", "/events/<int:event_id>/manage/stats/<name>.svg"):
        ("GET", M + "/stats/tracks.svg", None, expect("organiser", 200)),
    ("export.docx", "/events/<int:event_id>/manage/export/strategy.docx"):
        ("GET", M + "/export/strategy.docx", None, expect("organiser", 200)),
    ("export.pdf", "/events/<int:event_id>/manage/export/strategy.pdf"):  # 503: no LibreOffice
        ("GET", M + "/export/strategy.pdf", None,
         expect("organiser", 200 if shutil.which("soffice") else 503)),
    ("export.xlsx", "/events/<int:event_id>/manage/export/data.xlsx"):
        ("GET", M + "/export/data.xlsx", None, expect("organiser", 200)),
    ("export.csv", "/events/<int:event_id>/manage/export/<name>.csv"):
        ("GET", M + "/export/proposals.csv", None, expect("organiser", 200)),
    ("export.json", "/events/<int:event_id>/manage/export/data.json"):
        ("GET", M + "/export/data.json", None, expect("organiser", 200)),
    ("export.polis", "/events/<int:event_id>/manage/export/polis.zip"):
        ("GET", M + "/export/polis.zip", None, expect("organiser", 200)),
    ("imports.upload", "/events/<int:event_id>/manage/import"):
        ("GET", M + "/import", None, expect("organiser", 200)),
    ("imports.mapping", "/events/<int:event_id>/manage/import/<token>"):
        ("GET", M + "/import/unknown-token", None, expect("organiser", 404)),
    # Sign-in and personal pages: not tied to an event in the URL.
    ("auth.join", "/join"): ("GET", "/join", None, expect("public", 200)),
    ("auth.join", "/join/<code>"): ("GET", "/join/TEST26", None, expect("public", 200)),
    ("auth.invitation", "/i/<token>"): ("GET", "/i/unknown", None, expect("public", 404)),
    ("auth.login", "/login"): ("GET", "/login", None, expect("public", 200)),
    ("auth.return_by_code", "/return"): ("GET", "/return", None, expect("public", 200)),
    ("auth.return_link", "/r/<code>"):
        ("GET", "/r/WRONGCODE123", None, expect("public", 404)),
    ("auth.welcome", "/welcome"): ("GET", "/welcome", None, expect("login", 200)),
    ("auth.my_code", "/me/code"): ("GET", "/me/code", None, expect("login", 200)),
    ("auth.set_language", "/lang/<lang>"): ("POST", "/lang/en", None, expect("public", 302)),
    ("static", "/static/<path:filename>"):
        ("GET", "/static/css/app.css", None, expect("public", 200)),
    ("auth.sign_out_others", "/me/sign-out-others"):
        ("POST", "/me/sign-out-others", None, expect("login", 302)),
    ("auth.logout", "/logout"): ("POST", "/logout", None, expect("public", 302)),
}


def all_tables() -> dict:
    """This table plus the tables other domains keep in their own tests/test_*_roles.py."""
    tables = dict(TABLE)
    for path in sorted(Path(__file__).parent.glob("test_*_roles.py")):
        module = importlib.import_module(f"tests.{path.stem}")
        tables.update(getattr(module, "TABLE", {}))
    return tables


@pytest.fixture(autouse=True)
def streams_on(app):
    # Streams are off by default (threaded workers); on here, and short, to check their access.
    app.config.update(LIVE_SSE_STREAMS=4, LIVE_SSE_SECONDS=0.2)


def test_the_table_covers_every_rule(app):
    rules = {(rule.endpoint, rule.rule) for rule in app.url_map.iter_rules()}
    tables = all_tables()
    assert sorted(rules - set(tables)) == [], "routes without an entry in a role table"
    assert sorted(set(tables) - rules) == [], "table entries for routes that do not exist"


@pytest.fixture
def world(create_event, event, create_staff, create_participant, create_proposal):
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
    participant = create_participant(event, name="Участник")
    own = create_proposal(tracks["genius-loci"], participant, title="Своё предложение участника")
    second = create_event(code="OTHER27", title="Другое мероприятие")
    people = {"participant": participant, "facilitator": facilitator,
              "other_facilitator": other,
              "organiser": create_staff(Role.organiser, email="metod@example.org"),
              "stranger": create_participant(second, name="Гость другого мероприятия"),
              "other_organiser": create_staff(Role.organiser, email="other@example.org",
                                              event=second)}
    run, s1, s2 = draft_sections(event, tracks["social-hub"], [a, b, c])
    # Plain credentials: the ORM objects do not outlive the requests of the walk.
    people = {role: SimpleNamespace(plain_code=getattr(user, "plain_code", None),
                                    email=user.email) for role, user in people.items()}
    ids = {"e": event.id, "a": a.id, "b": b.id, "c": c.id, "k": comment.id, "u": author.id,
           "own": own.id, "run": run.id, "s1": s1.id, "s2": s2.id}
    return people, ids


def draft_sections(event, track, proposals):
    """A finished run with two sections, as the grouping would leave them."""
    run = ClusterRun(event_id=event.id, track_id=track.id, status=RunStatus.done, progress=100)
    db.session.add(run)
    db.session.flush()
    sections = []
    for position, members in enumerate((proposals[:1], proposals[1:])):
        section = DraftSection(event_id=event.id, track_id=track.id, run_id=run.id,
                               title=f"Раздел {position + 1}", position=position)
        db.session.add(section)
        db.session.flush()
        for proposal in members:
            db.session.add(SectionAssignment(section_id=section.id, proposal_id=proposal.id))
        sections.append(section)
    db.session.commit()
    return run, *sections


def sign_in(app, role, people):
    client = app.test_client()
    if role == "anonymous":
        return client
    auth = Auth(client)
    user = people[role]
    response = (auth.as_participant(user) if role in ("participant", "stranger")
                else auth.as_staff(user))
    assert response.status_code == 302
    return client


def walk(client, ids, role):
    """Request every entry in order; (entry, expected, got, body) for each."""
    for key, (method, template, data, expected) in TABLE.items():
        form = {k: v.format(**ids) for k, v in (data or {}).items()}
        response = client.open(template.format(**ids), method=method, data=form)
        body = response.get_data().decode("utf-8", "replace")  # also runs a stream to its end
        location = response.headers.get("Location", "")
        response.close()
        got = response.status_code
        if got == 302 and "/login" in location:
            got = SIGN_IN
        yield key, expected[role], got, body


@pytest.mark.parametrize("role", ROLES)
def test_route_role_table(app, world, role):
    people, ids = world
    client = sign_in(app, role, people)
    problems = []
    for key, expected, got, body in walk(client, ids, role):
        if got != expected:
            problems.append(f"{key[0]} {key[1]}: {role} got {got}, expected {expected}")
        elif got == 403 and not any(text in body for text in (
                "нет прав", "не модерируете", "методическая группа", "другое мероприятие",
                "Ограничить можно", "нельзя")):
            problems.append(f"{key[0]}: 403 without a Russian message")
    assert not problems, "\n".join(problems)


def test_refusals_change_nothing(app, world):
    """After every refused role walked the table, the proposals are as they were."""
    people, ids = world
    for role in ("anonymous", "stranger", "other_organiser"):
        list(walk(sign_in(app, role, people), ids, role))
    db.session.expire_all()
    statuses = db.session.execute(sa.select(Proposal.title, Proposal.status,
                                            Proposal.is_pinned, Proposal.support_count)).all()
    assert all(status is ProposalStatus.published and not pinned and supports == 0
               for _, status, pinned, supports in statuses)
    assert "Проверка прав: новое предложение" not in {title for title, *_ in statuses}


def test_staff_menu_items_follow_the_role(app, world):
    people, ids = world
    home = f"/events/{ids['e']}"
    menus = {role: sign_in(app, role, people).get(home).get_data(as_text=True)
             for role in ("participant", "facilitator", "organiser")}
    assert "/manage/queue" not in menus["participant"]
    assert "/manage/queue" in menus["facilitator"] and "/screen" in menus["facilitator"]
    assert "/manage/audit" not in menus["facilitator"]
    assert "/manage/audit" in menus["organiser"] and "Журнал действий" in menus["organiser"]
