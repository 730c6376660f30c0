"""The similar-proposals hint is a POST, so a 5,000-character text reaches the server whole
(as a GET query it broke gunicorn's request line past ~650 Cyrillic characters)."""
import re

import pytest
import requests
from playwright.sync_api import expect

from tests.servers import chromium, served_app

LONG_TEXT = ("Молодёжный хаб в библиотеке: настольные игры, кибертурниры и чай по вечерам. "
             * 70)[:5000]
TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with served_app(tmp_path_factory.mktemp("similar"), workers=1) as url:
        yield url


def joined_session(base_url: str) -> tuple[requests.Session, str]:
    browser = requests.Session()
    html = browser.get(f"{base_url}/join").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    browser.post(f"{base_url}/join", data={
        "csrf_token": token, "event_code": "BAIKAL26", "display_name": "Длинный Текст",
        "library": "Библиотека", "municipality": "Иркутск"})
    page = browser.get(f"{base_url}/events/1/proposals/new?track=social-hub").text
    return browser, TOKEN.search(page).group(1)


def test_a_5000_character_text_gets_hints_over_post(base_url):
    browser, token = joined_session(base_url)
    response = browser.post(f"{base_url}/api/v1/events/1/proposals/similar",
                            json={"track": "social-hub", "q": LONG_TEXT},
                            headers={"Accept": "application/json", "X-CSRFToken": token,
                                     "Origin": base_url})
    assert response.status_code == 200, response.text[:300]
    titles = [item["title"] for item in response.json()["data"]]
    assert any("Молодёжный hub" in title for title in titles), titles


def test_a_post_from_another_site_is_refused(base_url):
    # The hint only reads, so it needs no token; a browser's cross-site POST is still refused.
    response = requests.post(f"{base_url}/api/v1/events/1/proposals/similar",
                             json={"track": "social-hub", "q": LONG_TEXT},
                             headers={"Accept": "application/json",
                                      "Origin": "https://evil.example"})
    assert response.status_code == 400


@pytest.mark.browser
def test_the_form_shows_hints_for_a_5000_character_text(base_url):
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 360, "height": 740},
                                   locale="ru-RU").new_page()
        page.goto(base_url + "/join")
        page.get_by_label("Код мероприятия").fill("BAIKAL26")
        page.get_by_label("Как вас представить (имя и фамилия)").fill("Длинный Текст")
        page.get_by_label("Библиотека", exact=True).fill("Библиотека")
        page.get_by_label("Муниципальное образование").fill("Иркутск")
        page.get_by_role("button", name="Войти в мероприятие").click()
        page.goto(base_url + "/events/1/proposals/new?track=social-hub")
        page.get_by_label("Суть предложения").fill(LONG_TEXT)
        expect(page.locator("#similar")).to_contain_text("Молодёжный hub", timeout=10_000)
