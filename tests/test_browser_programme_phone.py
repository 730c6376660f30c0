"""A participant on a phone registers from the programme list: the page comes back at the
session they registered for, not hidden under the sticky header; the organisers' screens fit
a phone too."""
import re

import pytest
from playwright.sync_api import expect

from tests.servers import chromium, join_in_browser, screenshot, served_app, sign_in_in_browser

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}
WIDER_THAN_SCREEN = "() => document.documentElement.scrollWidth > window.innerWidth"
TOP_BELOW_HEADER = """(id) => document.getElementById(id).getBoundingClientRect().top
    >= document.querySelector('.site-header').getBoundingClientRect().bottom"""


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with served_app(tmp_path_factory.mktemp("programme-phone")) as url:
        yield url


def test_after_registering_the_session_is_in_view(base_url):
    with chromium() as browser:
        page = browser.new_context(viewport=PHONE, locale="ru-RU").new_page()
        join_in_browser(page, base_url, "Нина Телефонная")
        page.goto(base_url + "/events/1/programme")
        button = page.locator("li.programme-item").get_by_role(
            "button", name="Зарегистрироваться").last
        item_id = button.locator("xpath=ancestor::li[contains(@class,'programme-item')]"
                                 ).get_attribute("id")
        button.click()
        expect(page.get_by_text("Вы зарегистрированы")).to_be_visible()
        assert page.url.endswith("#" + item_id)
        page.wait_for_timeout(300)
        assert page.evaluate(TOP_BELOW_HEADER, item_id)
        assert not page.evaluate(WIDER_THAN_SCREEN)


def test_the_organisers_screens_fit_a_phone(base_url):
    with chromium() as browser:
        page = browser.new_context(viewport=PHONE, locale="ru-RU").new_page()
        sign_in_in_browser(page, base_url, "metod@strategy.demo")
        for path in ("/manage/events", "/events/1/manage/event", "/events/1/manage/tracks",
                     "/events/1/manage/programme", "/events/1/manage/programme/new",
                     "/events/1/manage/staff", "/events/1/manage/invitations"):
            page.goto(base_url + path)
            assert page.evaluate(WIDER_THAN_SCREEN) is False, path
        page.goto(base_url + "/events/1/manage/programme")
        registrations = page.get_by_role("link", name="Регистрации").first
        registrations.click()
        page.wait_for_url(re.compile(r"/registrations$"))
        page.wait_for_load_state("load")  # measured before its style sheet came, it was wide
        assert page.evaluate(WIDER_THAN_SCREEN) is False
        # one block per person: the status is on the screen, not in a column scrolled away
        status = page.locator(".registration-list tbody td:nth-child(4)").first
        box = status.bounding_box()
        assert box and box["x"] + box["width"] <= PHONE["width"]
        screenshot(page, "programme-registrations-360")


def test_the_tracks_phases_fit_a_phone_without_scrolling_sideways(base_url):
    """A facilitator in the hall sees each track's phases and its buttons on the screen, each
    value named (the table's header is hidden on a phone)."""
    with chromium() as browser:
        page = browser.new_context(viewport=PHONE, locale="ru-RU").new_page()
        sign_in_in_browser(page, base_url, "moderator@strategy.demo")
        page.goto(base_url + "/events/1/manage")
        page.wait_for_load_state("load")
        row = page.locator(".tracks-table tbody tr").first
        for cell in (row.get_by_role("link", name="Настроить"), row.locator("td").nth(2)):
            box = cell.bounding_box()
            assert box and box["x"] + box["width"] <= PHONE["width"]
        label = row.locator("td").nth(2).evaluate(
            "td => getComputedStyle(td, '::before').content")
        assert "Поддержка" in label
        screenshot(page, "tracks-phases-360")
