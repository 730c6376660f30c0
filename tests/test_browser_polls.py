"""A live poll in the browser against the demo app (gunicorn, 2 workers): the organiser opens
the demo's word cloud, the projector at 1920 px shows it with its QR code, a participant answers
on a 360 px phone through the short link, and the projector's cloud updates without a reload."""
import re

import pytest
from playwright.sync_api import expect

from tests.servers import chromium, join_in_browser, screenshot, served_app, sign_in_in_browser

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}
PROJECTOR = {"width": 1920, "height": 1080}
LIVE_TIMEOUT_MS = 10_000
WIDER_THAN_SCREEN = "() => document.documentElement.scrollWidth > window.innerWidth"
ON_SCREEN = """() => [...document.querySelectorAll('h1, .screen-qr, .poll-bar, .poll-word')]
  .every(e => { const r = e.getBoundingClientRect();
                return r.bottom <= innerHeight + 1 && r.right <= innerWidth + 1; })"""
WORDS = "Одним словом: какой должна стать библиотека области к 2030 году?"
FINISHED = "Что привлечёт подростков в библиотеку в первую очередь?"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with served_app(tmp_path_factory.mktemp("polls"), workers=2) as url:
        yield url


def test_projector_word_cloud_updates_when_a_phone_answers(base_url):
    with chromium() as browser:
        staff = browser.new_context(viewport={"width": 1366, "height": 768},
                                    locale="ru-RU").new_page()
        sign_in_in_browser(staff, base_url, "metod@strategy.demo")
        staff.goto(base_url + "/events/1/polls")
        staff.get_by_role("link", name=WORDS).click()
        staff.get_by_role("button", name="Открыть опрос").click()
        expect(staff.get_by_text("Опрос открыт: участники могут отвечать.")).to_be_visible()
        poll_id = re.search(r"/polls/(\d+)", staff.url).group(1)

        hall = browser.new_context(viewport=PROJECTOR, locale="ru-RU").new_page()
        hall.goto(f"{base_url}/events/1/polls/{poll_id}/screen")
        expect(hall.get_by_role("heading", name=WORDS)).to_be_visible()
        expect(hall.get_by_text("Пока нет ответов.")).to_be_visible()
        assert hall.locator(".screen-qr svg").count() == 1
        expect(hall.locator(".screen-url")).to_contain_text(f"/p/{poll_id}")
        hall.evaluate("window.__noReload = true")
        assert hall.locator("form, button, input, select, textarea").count() == 0
        screenshot(hall, "poll-projector-empty-1920")

        phone = browser.new_context(viewport=PHONE, locale="ru-RU").new_page()
        join_in_browser(phone, base_url, "Вера Облакова")
        phone.goto(f"{base_url}/p/{poll_id}")
        expect(phone.get_by_role("heading", name=WORDS)).to_be_visible()
        screenshot(phone, "poll-phone-form-360")
        assert not phone.evaluate(WIDER_THAN_SCREEN)
        phone.get_by_label("Ваше слово или короткая фраза").fill("  Открытая  ")
        phone.evaluate("window.__noReload = true")
        phone.get_by_role("button", name="Ответить").click()
        expect(phone.locator(".poll-mine")).to_contain_text("открытая")
        assert phone.evaluate("window.__noReload === true"), "the phone page reloaded"
        expect(phone.locator('[data-poll-word="открытая"]')).to_be_visible()
        screenshot(phone, "poll-phone-answered-360")
        assert not phone.evaluate(WIDER_THAN_SCREEN)

        expect(hall.locator('[data-poll-word="открытая"]')).to_be_visible(
            timeout=LIVE_TIMEOUT_MS)
        expect(hall.locator(".poll-total")).to_contain_text("1 ответ")
        assert hall.evaluate("window.__noReload === true"), "the projector reloaded"
        assert hall.evaluate(ON_SCREEN)
        screenshot(hall, "poll-projector-live-1920")

        # A second phone refuses an empty word with a message and keeps the page.
        other = browser.new_context(viewport=PHONE, locale="ru-RU").new_page()
        join_in_browser(other, base_url, "Пётр Пустов")
        other.goto(f"{base_url}/p/{poll_id}")
        other.evaluate("document.querySelector('input[name=word]').removeAttribute('required')")
        other.get_by_role("button", name="Ответить").click()
        expect(other.locator("[data-api-message]")).to_have_text(
            "Напишите слово или короткую фразу.")

        staff.get_by_role("button", name="Завершить опрос").click()
        expect(hall.get_by_text("Опрос завершён, итоги окончательные.")).to_be_visible(
            timeout=LIVE_TIMEOUT_MS)
        expect(hall.locator(".screen-qr")).to_have_count(0)


def test_finished_poll_bars_at_both_widths(base_url):
    with chromium() as browser:
        hall = browser.new_context(viewport=PROJECTOR, locale="ru-RU").new_page()
        hall.goto(base_url + "/events/1/polls")
        hall.get_by_role("link", name=FINISHED).click()
        poll_id = re.search(r"/polls/(\d+)", hall.url).group(1)
        hall.goto(f"{base_url}/events/1/polls/{poll_id}/screen")
        expect(hall.locator(".poll-bar")).to_have_count(4)
        expect(hall.locator(".poll-bar").first).to_contain_text("%")
        assert hall.evaluate(ON_SCREEN)
        screenshot(hall, "poll-projector-bars-1920")
        phone = browser.new_context(viewport=PHONE, locale="ru-RU").new_page()
        phone.goto(f"{base_url}/events/1/polls/{poll_id}")
        expect(phone.locator(".poll-bar")).to_have_count(4)
        expect(phone.get_by_text("Опрос завершён, итоги окончательные.")).to_be_visible()
        assert not phone.evaluate(WIDER_THAN_SCREEN)
        screenshot(phone, "poll-phone-bars-360")
