"""Headers on every page: a Content-Security-Policy without inline scripts, Permissions-Policy;
Secure cookies over TLS; exactly the configured number of trusted proxy hops."""
from types import SimpleNamespace
import re

import pytest

from strategy import create_app
from strategy.auth.models import Role
from strategy.export.pdf import soffice_path
from strategy.polls import operations as poll_ops

INLINE_SCRIPT = re.compile(r'<script(?![^>]*\bsrc=)(?![^>]*type="application/json")[^>]*>', re.I)  # data blocks do not run
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style|\sstyle\s*=", re.I)


def url_values(rule, ids) -> dict | None:
    values = {}
    for name in rule.arguments:
        if name not in ids:
            return None
        values[name] = ids[name]
        allowed = getattr(rule._converters.get(name), "items", None)  # <any(csv, xlsx):fmt>
        if allowed and values[name] not in allowed:
            values[name] = sorted(allowed)[0]
    return values


def html_pages(app, ids):
    """Every GET route, its arguments filled from the fixtures' objects."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        values = url_values(rule, ids)
        if values is None:
            raise AssertionError(f"no sample value for {rule.rule}")
        yield rule, rule.build(values)[1]


@pytest.fixture
def sample(app, event, create_participant, create_proposal, create_staff):
    from strategy.comments.operations import add_comment

    author = create_participant(event)
    proposal = create_proposal(event.tracks[0], author)
    comment = add_comment(proposal, author, "Поддерживаю идею клуба.")
    organiser = create_staff(Role.organiser, email="org@example.org")
    poll = poll_ops.create_poll(event, organiser, poll_ops.PollData(
        question="Что важнее?", kind="single", options=["Клубы", "Лекции"]))
    poll_ops.open_poll(poll, organiser)
    return {"event_id": event.id, "poll_id": poll.id, "proposal_id": proposal.id, "comment_id": comment.id,
            "user_id": author.id, "slug": event.tracks[0].slug, "section_id": 1, "run_id": 1,
            "name": "proposals", "token": "nope", "code": author.plain_code, "lang": "en",
            "phase": "submission", "filename": "css/app.css", "item_id": 1,
            "fmt": "ics", "job_id": 1}, organiser, author


def check_headers(response, where: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert "script-src" in directives, f"{where}: no script-src in CSP {csp!r}"
    assert "'unsafe-inline'" not in directives["script-src"], where
    assert "'unsafe-eval'" not in directives["script-src"], where
    assert directives.get("object-src") == "'none'", where
    assert "frame-ancestors" in directives, where
    assert "camera=()" in response.headers.get("Permissions-Policy", ""), where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where


def test_every_html_page_has_csp_and_no_inline_script(app, client, auth, sample):
    ids, organiser, participant = sample
    # Plain credentials: a stream ends the (shared) session, which would detach the objects.
    organiser = SimpleNamespace(email=organiser.email)
    participant = SimpleNamespace(plain_code=participant.plain_code)
    checked = 0
    for who in ("anonymous", "participant", "organiser"):
        if who == "participant":
            auth.as_participant(participant)
        elif who == "organiser":
            auth.logout()
            auth.as_staff(organiser)
        for rule, url in html_pages(app, ids):
            response = client.get(url)
            # 503 on purpose: "streams are off, use /feed"; the PDF without LibreOffice.
            deliberate = rule.endpoint == "live.stream" or (
                rule.endpoint == "export.pdf" and soffice_path() is None)
            assert response.status_code < 500 or deliberate, f"{url} as {who}"
            if not response.mimetype == "text/html":
                continue
            check_headers(response, f"{url} as {who}")
            html = response.get_data(as_text=True)
            assert not INLINE_SCRIPT.search(html), f"{url}: inline <script>"
            assert not INLINE_HANDLER.search(html), f"{url}: inline event handler"
            assert "javascript:" not in html, f"{url}: javascript: URL"
            assert not INLINE_STYLE.search(html), f"{url}: inline style"
            checked += 1
    assert checked > 40


def test_error_pages_carry_the_headers_too(client):
    check_headers(client.get("/no-such-page"), "404")


def session_cookie_header(response) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))


def join_page(client, **kwargs):
    return client.get("/join", **kwargs)


def test_cookies_are_secure_over_tls_only(app, event):
    plain = session_cookie_header(join_page(app.test_client()))
    assert "Secure" not in plain
    tls = session_cookie_header(join_page(app.test_client(), base_url="https://localhost"))
    assert "Secure" in tls and "HttpOnly" in tls and "SameSite=Lax" in tls


def test_forwarded_proto_is_trusted_only_with_proxy_fix(app_config, event):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    without = create_app(app_config)
    with without.app_context():
        response = without.test_client().get("/join", headers=forwarded)
    assert "Secure" not in session_cookie_header(response)
    behind_proxy = create_app({**app_config, "PROXY_FIX": 1})
    with behind_proxy.app_context():
        response = behind_proxy.test_client().get("/join", headers=forwarded)
    assert "Secure" in session_cookie_header(response)


def test_proxy_fix_trusts_exactly_the_configured_hops(app_config):
    seen = {}

    def build(hops):
        app = create_app({**app_config, "PROXY_FIX": hops})

        @app.route("/_test_remote_addr")
        def remote_addr():
            from flask import request

            seen[hops] = request.remote_addr
            return "ok"

        return app

    chain = {"X-Forwarded-For": "198.51.100.7, 203.0.113.9"}
    for hops in (0, 1, 2):
        app = build(hops)
        with app.app_context():
            app.test_client().get("/_test_remote_addr", headers=chain,
                                  environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert seen == {0: "10.0.0.1", 1: "203.0.113.9", 2: "198.51.100.7"}
