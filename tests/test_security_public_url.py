"""PUBLIC_URL: the projector's QR code and join address, invitation and return links point at
the address phones can open; on a loopback address without it, the projector warns."""
from strategy.auth.models import Role


def test_projector_warns_when_served_on_loopback_without_public_url(client, event):
    for host in ("http://127.0.0.1", "http://localhost:5000", "http://[::1]:5000"):
        html = client.get(f"/events/{event.id}/screen", base_url=host).get_data(as_text=True)
        assert "PUBLIC_URL" in html and "screen-warning" in html, host
    lan = client.get(f"/events/{event.id}/screen", base_url="http://192.168.1.20:5000")
    assert "screen-warning" not in lan.get_data(as_text=True)


def test_public_url_is_used_for_the_qr_code_and_links(app, client, auth, event, create_staff):
    app.config["PUBLIC_URL"] = "https://strategy.example.org/"
    screen = client.get(f"/events/{event.id}/screen", base_url="http://127.0.0.1:5000")
    html = screen.get_data(as_text=True)
    assert "strategy.example.org/join" in html and "screen-warning" not in html
    track = client.get(f"/events/{event.id}/tracks/{event.tracks[0].slug}/screen?fragment=1",
                       base_url="http://127.0.0.1")
    assert "strategy.example.org/join" in track.get_data(as_text=True)
    joined = client.post("/join", data={"event_code": "TEST26", "display_name": "Анна Петрова",
                                        "library": "Библиотека", "municipality": "Братск"},
                         base_url="http://127.0.0.1", follow_redirects=True)
    assert "https://strategy.example.org/r/" in joined.get_data(as_text=True)
    auth.logout()
    auth.as_staff(create_staff(Role.organiser, email="org@example.org"))
    made = client.post(f"/events/{event.id}/manage/invitations",
                       data={"display_name": "Галина Орлова"})
    assert "https://strategy.example.org/i/" in made.get_data(as_text=True)


def test_cli_invitation_uses_public_url(app, runner, event):
    app.config["PUBLIC_URL"] = "https://strategy.example.org"
    result = runner.invoke(args=["create-invitation", "--name", "Галина Орлова"])
    assert "https://strategy.example.org/i/" in result.output
