"""The draft review in a real Chromium against the served demo app: a participant reads
«Проект стратегии» on a 360 px phone, supports a section and comments on it while another
phone sees the count change live; at 1920 px the organiser sees the comment beside the section
in the workspace and on the discussion screen."""
import re

import pytest
from playwright.sync_api import expect

from tests.servers import DEMO_PASSWORD, chromium, screenshot, served_app

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1920, "height": 1080}
WIDER_THAN_SCREEN = "() => document.documentElement.scrollWidth > window.innerWidth"
UNLABELLED_CONTROLS = """() => Array.from(document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button'))
  .filter(el => el.offsetParent !== null || el.closest('details:not([open])'))
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map(el => el.outerHTML.slice(0, 120))"""
SECTION = "Творческие резиденции в библиотеках"
COMMENT = "Добавьте резиденцию для детских писателей в Братске"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with served_app(tmp_path_factory.mktemp("review")) as url:
        yield url


def join(page, base_url):
    page.goto(base_url + "/")
    page.get_by_role("link", name="Присоединиться").first.click()
    page.get_by_label("Код мероприятия").fill("baikal26")
    page.get_by_label("Как вас представить (имя и фамилия)").fill("Вера Проектная")
    page.get_by_label("Библиотека", exact=True).fill("Библиотека посёлка Листвянка")
    page.get_by_label("Муниципальное образование").fill("Иркутский район")
    page.get_by_role("button", name="Войти в мероприятие").click()
    page.locator("[data-return-code]").wait_for()


def test_participant_reads_supports_and_comments_organiser_sees_it(base_url):
    with chromium() as browser:
        phone = browser.new_context(viewport=PHONE, locale="ru-RU")
        page = phone.new_page()
        join(page, base_url)
        page.goto(base_url + "/events/1")  # the event's menu has the draft
        page.locator("summary", has_text="Меню").click()
        page.get_by_role("link", name="Проект стратегии").click()
        expect(page.get_by_role("heading", name="Проект стратегии")).to_be_visible()
        expect(page.get_by_text("Обсуждение открыто")).to_be_visible()
        draft_url = page.url.split("#")[0]
        article = page.locator("article.draft-section", has_text=SECTION)
        expect(article.locator("h3")).to_contain_text(SECTION)
        expect(article.get_by_text("резиденция", exact=True)).to_be_visible()
        # the summary the grouping wrote: the count and the shared themes (the heading has the title)
        expect(article.locator("p.summary")).to_contain_text("Участники предлагают меры в 3 "
                                                             "предложениях")
        article.locator("summary", has_text="Предложения раздела").click()
        expect(article.get_by_role("link", name=re.compile("Арт-резиденция"))).to_be_visible()
        assert page.evaluate(UNLABELLED_CONTROLS) == []
        assert not page.evaluate(WIDER_THAN_SCREEN)
        screenshot(page, "review-draft-360")
        section_id = article.get_attribute("id").removeprefix("section-")
        count = article.locator(f'[data-draft-supports="{section_id}"]')
        before = int(count.inner_text())

        # A second phone (not signed in) follows the counts live.
        watcher = browser.new_context(viewport=PHONE, locale="ru-RU").new_page()
        watcher.goto(draft_url)
        watched = watcher.locator(f'[data-draft-supports="{section_id}"]')
        expect(watched).to_have_text(str(before))

        article.get_by_role("button", name="Поддержать раздел").click()
        expect(page.get_by_text("Вы поддержали раздел.")).to_be_visible()
        article = page.locator(f"#section-{section_id}")
        expect(article.locator(f'[data-draft-supports="{section_id}"]')).to_have_text(
            str(before + 1))
        expect(article.get_by_role("button", name=re.compile("Вы поддержали"))).to_be_visible()
        expect(watched).to_have_text(str(before + 1), timeout=10_000)

        article.locator("summary", has_text="Прокомментировать раздел").click()
        article.get_by_label("Дополнение").check()
        article.get_by_label("Комментарий к разделу").fill(COMMENT)
        article.get_by_role("button", name="Отправить комментарий").click()
        expect(page.get_by_text("Комментарий к разделу опубликован.")).to_be_visible()
        comment = page.locator("li.comment", has_text=COMMENT)
        expect(comment).to_be_visible()
        expect(comment.get_by_text("Дополнение")).to_be_visible()
        expect(watcher.locator("#live-notice")).to_be_visible(timeout=10_000)
        assert not page.evaluate(WIDER_THAN_SCREEN)
        screenshot(page, "review-commented-360")

        desktop = browser.new_context(viewport=DESKTOP, locale="ru-RU").new_page()
        desktop.goto(base_url + "/login")
        desktop.get_by_label("Электронная почта").fill("metod@strategy.demo")
        desktop.get_by_label("Пароль").fill(DEMO_PASSWORD)
        desktop.get_by_role("button", name="Войти").click()
        event_path = draft_url.split("/draft")[0].removeprefix(base_url)
        desktop.goto(base_url + event_path + "/manage/workspace?track=genius-loci")
        card = desktop.locator("article.section-card").filter(
            has=desktop.locator("h2", has_text=SECTION))
        block = card.locator(".section-discussion")
        expect(block).to_contain_text("Обсуждение проекта")
        expect(block.get_by_text(COMMENT)).to_be_visible()
        expect(block.locator(".badge", has_text="Дополнение").first).to_be_visible()
        card.scroll_into_view_if_needed()
        screenshot(desktop, "review-workspace-1920")
        desktop.goto(base_url + event_path + "/manage/draft")
        expect(desktop.get_by_text(COMMENT)).to_be_visible()
        assert desktop.evaluate(UNLABELLED_CONTROLS) == []
        screenshot(desktop, "review-manage-1920")
