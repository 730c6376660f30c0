"""The site's JS through /api/v1 in Chromium, on a phone (360 px) and a wide screen (1920 px):
the support button and a moderation action of the queue (hide) work without a reload and say
what happened in the page, never in a native dialog."""
import pytest
from playwright.sync_api import expect

from tests.servers import chromium, join_in_browser, screenshot, served_app, sign_in_in_browser

pytestmark = pytest.mark.browser
WIDTHS = {"phone": {"width": 360, "height": 740}, "wide": {"width": 1920, "height": 1080}}
TIMEOUT_MS = 10_000
WIDER_THAN_SCREEN = "() => document.documentElement.scrollWidth > window.innerWidth"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with served_app(tmp_path_factory.mktemp("api-browser")) as url:
        yield url


def page_without_dialogs(browser, viewport):
    page = browser.new_context(viewport=viewport, locale="ru-RU").new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    return page


@pytest.mark.parametrize("width", list(WIDTHS))
def test_support_button_goes_through_the_api(base_url, width):
    with chromium() as browser:
        page = page_without_dialogs(browser, WIDTHS[width])
        join_in_browser(page, base_url, f"Анна Поддержкина {width}")
        page.goto(base_url + "/events/1/tracks/social-hub")
        card = page.locator("article.card").filter(
            has=page.get_by_role("button", name="Поддержать")).first
        pid = card.get_attribute("data-proposal-card")
        card = page.locator(f"#proposal-{pid}")  # the filter above stops matching once on
        count = card.locator(f'[data-live-count="{pid}"]')
        before = int(count.inner_text())
        page.evaluate("window.__noReload = true")
        with page.expect_response(lambda r: r.url.endswith(
                f"/api/v1/events/1/proposals/{pid}/support") and r.request.method == "POST") \
                as answer:
            card.get_by_role("button", name="Поддержать").click()
        assert answer.value.status == 200
        expect(card.get_by_role("button", name="Вы поддержали · отозвать")).to_be_visible(
            timeout=TIMEOUT_MS)
        expect(count).to_have_text(str(before + 1), timeout=TIMEOUT_MS)
        expect(card.locator("[data-api-message]")).to_have_text("Вы поддержали предложение.")
        screenshot(page, f"api-support-{width}")
        with page.expect_response(lambda r: "/support" in r.url and
                                  r.request.method == "DELETE") as withdrawn:
            card.get_by_role("button", name="Вы поддержали · отозвать").click()
        assert withdrawn.value.status == 200
        expect(count).to_have_text(str(before), timeout=TIMEOUT_MS)
        assert page.evaluate("window.__noReload === true"), "the page reloaded"
        assert not page.evaluate(WIDER_THAN_SCREEN)
        assert page.dialogs == []


@pytest.mark.parametrize("width", list(WIDTHS))
def test_hide_in_the_queue_goes_through_the_api(base_url, width):
    with chromium() as browser:
        page = page_without_dialogs(browser, WIDTHS[width])
        sign_in_in_browser(page, base_url, "moderator@strategy.demo")
        page.goto(base_url + "/events/1/manage/queue?track=social-hub")
        new = page.locator("section[aria-labelledby=q-new]")
        item = new.locator(".queue-item").first
        pid = item.get_attribute("data-queue-proposal")
        title = item.locator("h3").inner_text()
        page.evaluate("window.__noReload = true")
        item.locator("summary", has_text="Скрыть").click()
        item.get_by_label("Причина (её увидит автор)").fill(f"Проверка скрытия {width}")
        with page.expect_response(lambda r: r.url.endswith(
                f"/api/v1/events/1/moderation/proposals/{pid}/hide")) as answer:
            item.get_by_role("button", name="Скрыть", exact=True).click()
        assert answer.value.status == 200
        message = page.locator(".queue-message")
        expect(message).to_have_text("Предложение скрыто. Автор видит причину.",
                                     timeout=TIMEOUT_MS)
        hidden = page.locator("section[aria-labelledby=q-hidden]")
        expect(hidden.get_by_text(title)).to_be_visible(timeout=TIMEOUT_MS)
        expect(new.locator(f'[data-queue-proposal="{pid}"]')).to_have_count(0,
                                                                           timeout=TIMEOUT_MS)
        screenshot(page, f"api-queue-hide-{width}")
        # Hiding it again is refused with the server's message, shown the same way.
        restore = hidden.locator(".queue-item", has_text=title).get_by_role(
            "button", name="Восстановить")
        restore.click()
        expect(message).to_have_text("Предложение восстановлено.", timeout=TIMEOUT_MS)
        assert page.evaluate("window.__noReload === true"), "the page reloaded"
        assert not page.evaluate(WIDER_THAN_SCREEN)
        assert page.dialogs == []
