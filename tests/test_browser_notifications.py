"""The bell at 360 px: participant A waits on a page, participant B comments on A's proposal,
A's unread count appears without a reload (within a generous 10 s), A opens «Уведомления» and
marks everything read, the count disappears. Screenshots at 360 and 1920 px."""
import re

import pytest
from playwright.sync_api import expect

from tests.servers import chromium, join_in_browser, screenshot, served_app

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}
WIDE = {"width": 1920, "height": 1080}
LIVE_TIMEOUT_MS = 10_000
WIDER_THAN_SCREEN = "() => document.documentElement.scrollWidth > window.innerWidth"
# The header with the bell fits the phone (the event's home page has wide parts of its own).
HEADER_FITS = """() => [...document.querySelectorAll('.site-header *')]
  .every(e => e.getBoundingClientRect().right <= innerWidth + 1)"""


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with served_app(tmp_path_factory.mktemp("bell"), workers=2) as url:
        yield url


def test_the_bell_counts_a_new_comment_live_and_mark_all_clears_it(base_url):
    with chromium() as browser:
        alice = browser.new_context(viewport=PHONE, locale="ru-RU").new_page()
        join_in_browser(alice, base_url, "Алла Колокольчикова")
        alice.goto(base_url + "/events/1/proposals/new?track=genius-loci")
        alice.get_by_label("Проект").check()
        alice.get_by_label("Заголовок").fill("Вечерние чтения у маяка")
        alice.get_by_label("Суть предложения").fill(
            "Раз в месяц читаем вслух местных авторов на берегу, с фонарями и чаем.")
        alice.get_by_role("button", name="Отправить предложение").click()
        expect(alice.get_by_text("Предложение опубликовано")).to_be_visible()
        proposal_url = alice.url.split("#")[0]
        assert re.search(r"/events/1/proposals/\d+$", proposal_url)

        alice.goto(base_url + "/events/1")  # a page without live parts: the bell's own script
        bell = alice.locator("[data-bell]")
        count = alice.locator("[data-bell-count]")
        expect(bell).to_be_visible()
        expect(count).to_be_hidden()
        alice.evaluate("window.__noReload = true")

        bob = browser.new_context(viewport=PHONE, locale="ru-RU").new_page()
        join_in_browser(bob, base_url, "Борис Читающий")
        bob.goto(proposal_url)
        bob.get_by_label("Комментарий").fill("Приду со своим фонарём!")
        bob.get_by_role("button", name="Отправить комментарий").click()
        expect(bob.get_by_text("Приду со своим фонарём!")).to_be_visible()

        expect(count).to_be_visible(timeout=LIVE_TIMEOUT_MS)
        expect(count).to_have_text("1")
        assert alice.evaluate("window.__noReload === true"), "the page reloaded"
        assert "1" in bell.get_attribute("aria-label")
        assert alice.evaluate(HEADER_FITS)
        screenshot(alice, "bell-unread-360")

        bell.click()
        expect(alice.get_by_role("heading", name=re.compile("Уведомления"))).to_be_visible()
        item = alice.locator("li.notification.unread")
        expect(item).to_have_count(1)
        expect(item).to_contain_text("Вечерние чтения у маяка")
        expect(item).to_contain_text("Приду со своим фонарём!")
        assert not alice.evaluate(WIDER_THAN_SCREEN)
        screenshot(alice, "notifications-360")

        alice.get_by_role("button", name="Отметить все прочитанными").click()
        expect(alice.get_by_text("Все уведомления отмечены прочитанными.")).to_be_visible()
        expect(alice.locator("[data-bell-count]")).to_be_hidden()
        expect(alice.locator("li.notification.unread")).to_have_count(0)
        expect(alice.locator("li.notification")).to_have_count(1)

        # The link leads to the comment.
        alice.get_by_role("link", name="Открыть").click()
        expect(alice).to_have_url(re.compile(r"/proposals/\d+#comment-\d+$"))

        alice.set_viewport_size(WIDE)
        alice.goto(base_url + "/events/1/notifications")
        assert not alice.evaluate(WIDER_THAN_SCREEN)
        screenshot(alice, "notifications-1920")
        browser.contexts[1].close()
        browser.contexts[0].close()
