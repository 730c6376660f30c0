"""Route × role table of the affinity board: every board URL rule with the exact status each
role gets, walked on a fresh world per role (the world and helpers of tests/test_roles.py)."""
import pytest

from tests.test_roles import ROLES, SIGN_IN, expect, sign_in, world  # noqa: F401 (fixture)

W = "/events/{e}/manage/workspace"
B = "/events/<int:event_id>/manage/workspace/board"
# Order matters: each role walks it top to bottom on its own world (sections s1 = [a],
# s2 = [b, c] of «Библиотека – социальный хаб», after the finished run {run}).
TABLE = {
    ("workspace.board", B):
        ("GET", W + "/board?track=social-hub", None, expect("organiser", 200)),
    ("workspace.card", B + "/proposals/<int:proposal_id>"):
        ("GET", W + "/board/proposals/{b}", None, expect("organiser", 200)),
    ("workspace.board_move", B + "/move"):
        ("POST", W + "/board/move", {"proposals": "{c}", "section": "{s1}", "run": "{run}"},
         expect("organiser", 200)),
    ("workspace.board_split", B + "/split"):
        ("POST", W + "/board/split", {"track": "social-hub", "proposals": "{a}",
                                      "run": "{run}"}, expect("organiser", 200)),
    ("workspace.board_rename", B + "/sections/<int:section_id>/rename"):
        ("POST", W + "/board/sections/{s1}/rename", {"title": "Клубы"},
         expect("organiser", 200)),
    ("workspace.board_state", B + "/sections/<int:section_id>/state"):
        ("POST", W + "/board/sections/{s1}/state", {"state": "review"},
         expect("organiser", 200)),
    ("workspace.board_lock", B + "/sections/<int:section_id>/lock"):
        ("POST", W + "/board/sections/{s1}/lock", {"locked": "0"}, expect("organiser", 200)),
    ("workspace.board_merge", B + "/sections/<int:section_id>/merge"):
        ("POST", W + "/board/sections/{s2}/merge", {"into": "{s1}", "run": "{run}"},
         expect("organiser", 200)),
    ("workspace.board_undo", B + "/undo"):
        ("POST", W + "/board/undo", {"track": "social-hub", "run": "{run}"},
         expect("organiser", 200)),
}


@pytest.mark.parametrize("role", ROLES)
def test_board_route_role_table(app, world, role):
    people, ids = world
    client = sign_in(app, role, people)
    problems = []
    for (endpoint, _), (method, template, data, expected) in TABLE.items():
        form = {k: v.format(**ids) for k, v in (data or {}).items()}
        response = client.open(template.format(**ids), method=method, data=form,
                               headers={"Accept": "application/json"})
        got = response.status_code
        if got == 302 and "/login" in response.headers.get("Location", ""):
            got = SIGN_IN
        if got != expected[role]:
            problems.append(f"{endpoint}: {role} got {got}, expected {expected[role]}: "
                            f"{response.get_data(as_text=True)[:200]}")
        elif got == 403 and "нет прав" not in (response.get_json() or {}).get("message", ""):
            problems.append(f"{endpoint}: 403 without a Russian message")
    assert not problems, "\n".join(problems)
