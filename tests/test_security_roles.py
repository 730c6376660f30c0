"""Role table for the routes of the hall-proof work (merged into test_roles' coverage check):
who may open the participants page and sign out other devices."""
import pytest

from tests.test_roles import ROLES, SIGN_IN, expect, sign_in, world  # noqa: F401  (fixture)

E = "/events/{e}"
TABLE = {
    ("auth.participants", "/events/<int:event_id>/manage/participants"):
        ("GET", E + "/manage/participants", None, expect("staff", 200)),
    ("auth.sign_out_others", "/me/sign-out-others"):
        ("POST", "/me/sign-out-others", None, expect("login", 302)),
    ("auth.my_data", "/me/data"): ("GET", "/me/data", None, expect("login", 200)),
    ("auth.my_data_download", "/me/data.json"):
        ("GET", "/me/data.json", None, expect("login", 200)),
    ("auth.delete_me", "/me/delete"): ("GET", "/me/delete", None, expect("login", 200)),
    ("auth.participant_data",
     "/events/<int:event_id>/manage/participants/<int:user_id>/data.json"):
        ("GET", E + "/manage/participants/{u}/data.json", None,
         expect("organiser", 200, anonymous=SIGN_IN)),
    ("auth.delete_participant",
     "/events/<int:event_id>/manage/participants/<int:user_id>/delete"):
        ("POST", E + "/manage/participants/{u}/delete", None, expect("organiser", 302)),
}


@pytest.mark.parametrize("role", ROLES)
def test_security_route_role_table(app, world, role):  # noqa: F811
    people, ids = world
    client = sign_in(app, role, people)
    problems = []
    for key, (method, template, data, expected) in TABLE.items():
        response = client.open(template.format(**ids), method=method, data=data or {})
        got = response.status_code
        if got == 302 and "/login" in response.headers.get("Location", ""):
            got = SIGN_IN
        if got != expected[role]:
            problems.append(f"{key[0]}: {role} got {got}, expected {expected[role]}")
    assert not problems, "\n".join(problems)
