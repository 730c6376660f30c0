"""A participant's whole path on a phone-sized Chromium against the served demo app."""
import re

import pytest
from playwright.sync_api import expect

from tests.servers import chromium, screenshot, served_app

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}

UNLABELLED_CONTROLS = """() => Array.from(document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button'))
  .filter(el => el.offsetParent !== null || el.closest('details:not([open])'))
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map(el => el.outerHTML.slice(0, 120))"""

WIDER_THAN_SCREEN = """() => document.documentElement.scrollWidth > window.innerWidth"""


def assert_accessible_and_fits(page):
    """Every control has a label and nothing makes a phone scroll sideways."""
    assert page.evaluate(UNLABELLED_CONTROLS) == []
    assert not page.evaluate(WIDER_THAN_SCREEN)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with served_app(tmp_path_factory.mktemp("participant")) as url:
        yield url


def test_join_submit_find_support_comment_and_return(base_url):
    with chromium() as browser:
        phone = browser.new_context(viewport=PHONE, locale="ru-RU")
        page = phone.new_page()
        page.goto(base_url + "/events/1")  # the programme's long track titles wrap on a phone
        assert_accessible_and_fits(page)
        page.goto(base_url + "/")
        page.get_by_role("link", name="Присоединиться").first.click()
        page.get_by_label("Код мероприятия").fill("baikal26")
        page.get_by_label("Как вас представить (имя и фамилия)").fill("Вера Браузерная")
        page.get_by_label("Библиотека", exact=True).fill("Библиотека посёлка Листвянка")
        page.get_by_label("Муниципальное образование").fill("Иркутский район")
        page.get_by_role("button", name="Войти в мероприятие").click()
        code = page.locator("[data-return-code]").inner_text().strip()
        assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
        screenshot(page, "participant-welcome-360")
        assert_accessible_and_fits(page)

        page.get_by_role("link", name="К трекам и предложениям").click()
        page.get_by_role("link", name="«Гений места»").first.click()
        page.get_by_role("link", name="Подать предложение в этот трек").click()
        assert_accessible_and_fits(page)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        page.get_by_label("Проект").check()
        page.get_by_label("Заголовок").fill("Арт-резиденция на берегу Байкала")
        page.get_by_label("Суть предложения").fill(
            "Летняя резиденция для художников и писателей в сельской библиотеке Листвянки.")
        page.get_by_role("button", name="Отправить предложение").click()
        expect(page.get_by_text("Предложение опубликовано")).to_be_visible()
        screenshot(page, "participant-proposal-360")
        assert_accessible_and_fits(page)

        page.get_by_role("link", name="«Гений места»").first.click()
        page.get_by_role("searchbox").fill("резиденция байкал")
        page.get_by_role("button", name="Найти").click()
        expect(page.get_by_role("link", name="Арт-резиденция на берегу Байкала")).to_be_visible()
        screenshot(page, "participant-search-360")
        assert_accessible_and_fits(page)

        # Support someone else's proposal without reloading, then withdraw.
        page.get_by_role("searchbox").fill("")
        page.get_by_role("button", name="Найти").click()
        first_supportable = page.locator("article.card").filter(
            has=page.get_by_role("button", name="Поддержать")).first
        card_id = first_supportable.get_attribute("data-proposal-card")
        card = page.locator(f'article[data-proposal-card="{card_id}"]')
        count = card.locator("[data-live-count]")
        before = int(count.inner_text())
        card.get_by_role("button", name="Поддержать").click()
        page.wait_for_function(
            "([el, n]) => parseInt(el.textContent) === n + 1", arg=[count.element_handle(), before])
        card.get_by_role("button", name=re.compile("Вы поддержали")).click()
        page.wait_for_function(
            "([el, n]) => parseInt(el.textContent) === n", arg=[count.element_handle(), before])

        card.get_by_role("link").first.click()
        page.get_by_label("Комментарий").fill("Готовы поделиться опытом, пишите!")
        page.get_by_role("radio", name="За", exact=True).check()
        page.get_by_role("button", name="Отправить комментарий").click()
        expect(page.get_by_text("Готовы поделиться опытом, пишите!")).to_be_visible()
        screenshot(page, "participant-comment-360")
        phone.close()

        # Day 2, a laptop: come back with the personal code.
        laptop = browser.new_context(viewport={"width": 1280, "height": 800})
        page = laptop.new_page()
        page.goto(base_url + "/return")
        page.get_by_label("Персональный код").fill(code.lower())
        page.get_by_role("button", name="Войти").click()
        expect(page.get_by_text("С возвращением, Вера Браузерная")).to_be_visible()
        page.goto(base_url + "/events/1/my/proposals")
        expect(page.get_by_role("link", name="Арт-резиденция на берегу Байкала")).to_be_visible()
        screenshot(page, "participant-return-1280")
        laptop.close()
