"""After I submit, in the browser: a participant at 360 px submits a project, the track's
expert scores it on every criterion in «Экспертиза» with a recommendation, the methodical
group answers it («Принято в стратегию» and a text); the participant's open page shows the
bell's unread count without a reload (within a generous 10 s), the notification leads to the
proposal with the answer, and «Мои предложения» shows the answer's state and filters by it. Nothing scrolls
sideways at 360 px. Screenshots of every step (test-artifacts/after-*.png)."""
import re

import pytest
from playwright.sync_api import expect

from tests.servers import (chromium, join_in_browser, screenshot, served_app,
                           sign_in_in_browser)

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}
LIVE_TIMEOUT_MS = 10_000
WIDER_THAN_SCREEN = "() => document.documentElement.scrollWidth > window.innerWidth"
TITLE = "Семейные субботы в сельской библиотеке"
ANSWER = "Войдёт в раздел «Семья и чтение» как областная практика на 2027 год."
RECOMMENDATION = "Добавить партнёрство с домом культуры и расписание на полгода."


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with served_app(tmp_path_factory.mktemp("after"), workers=2) as url:
        yield url


def fits(page, name: str) -> None:
    """The page does not scroll sideways at this width; a screenshot for the record."""
    screenshot(page, f"after-{name}")
    assert not page.evaluate(WIDER_THAN_SCREEN), f"{name}: the page scrolls sideways"


def open_menu_link(page, label):
    """A link of the header's menu (folded into «Меню» on a phone)."""
    page.locator("details.menu > summary").click()
    page.locator(".menu-panel").get_by_role("link", name=label, exact=True).click()


def test_expert_scores_organiser_answers_participant_sees_it_live(base_url):
    with chromium() as browser:
        author = browser.new_context(viewport=PHONE, locale="ru-RU").new_page()
        join_in_browser(author, base_url, "Вера Субботина")
        author.goto(base_url + "/events/1/proposals/new?track=social-hub")
        author.get_by_label("Проект").check()
        author.get_by_label("Заголовок").fill(TITLE)
        author.get_by_label("Суть предложения").fill(
            "Каждую субботу — чтения, настольные игры и мастерские для родителей с детьми.")
        author.get_by_role("button", name="Отправить предложение").click()
        expect(author.get_by_text("Предложение опубликовано")).to_be_visible()
        proposal_url = author.url.split("#")[0]
        assert re.search(r"/events/1/proposals/\d+$", proposal_url)
        fits(author, "proposal-submitted-360")

        author.goto(base_url + "/events/1")
        count = author.locator("[data-bell-count]")
        expect(author.locator("[data-bell]")).to_be_visible()
        expect(count).to_be_hidden()
        author.evaluate("window.__noReload = true")

        # The track's expert: «Экспертиза», the new project, a score on every criterion.
        expert = browser.new_context(viewport=PHONE, locale="ru-RU").new_page()
        sign_in_in_browser(expert, base_url, "expert@strategy.demo")
        expert.goto(base_url + "/events/1")
        open_menu_link(expert, "Экспертиза")
        expect(expert.get_by_role("heading", name="Экспертиза", exact=True)).to_be_visible()
        fits(expert, "review-list-360")
        expert.get_by_role("link", name=TITLE).click()
        criteria = expert.locator(".assessment-form fieldset")
        assert criteria.count() == 4
        for index in range(criteria.count()):
            criteria.nth(index).get_by_text(str(5 - index % 2), exact=True).click()
        expert.get_by_label("Рекомендация").fill(RECOMMENDATION)
        expert.get_by_role("button", name="Сохранить оценку").click()
        expect(expert.locator(".flash-success")).to_be_visible()
        fits(expert, "assessed-360")
        expert.goto(base_url + "/events/1/review")
        item = expert.locator("li.review-item", has_text=TITLE)
        expect(item).to_contain_text("Оценено: 4.5")
        item.get_by_role("link", name=TITLE).click()  # the own assessment, to correct
        expect(expert.get_by_role("button", name="Сохранить исправленную оценку")).to_be_visible()

        # The methodical group answers on the proposal's page.
        organiser = browser.new_context(viewport=PHONE, locale="ru-RU").new_page()
        sign_in_in_browser(organiser, base_url, "metod@strategy.demo")
        organiser.goto(proposal_url)
        organiser.get_by_text("Дать официальный ответ").click()
        organiser.get_by_label("Принято в стратегию").check()
        organiser.get_by_label("Текст ответа").fill(ANSWER)
        organiser.get_by_role("button", name="Сохранить ответ").click()
        expect(organiser.locator("[data-answer-state]")).to_have_attribute(
            "data-answer-state", "accepted")
        fits(organiser, "answered-organiser-360")

        # The author's page, never reloaded, counts the answer.
        expect(count).to_be_visible(timeout=LIVE_TIMEOUT_MS)
        unread = int(count.inner_text())
        assert unread >= 1
        assert author.evaluate("window.__noReload === true"), "the page reloaded"
        fits(author, "bell-360")

        author.locator("[data-bell]").click()
        expect(author.get_by_role("heading", name=re.compile("Уведомления"))).to_be_visible()
        notes = author.locator("li.notification.unread", has_text=TITLE)
        expect(notes.first).to_be_visible()
        assert author.locator("li.notification.unread").count() == unread
        fits(author, "notifications-360")
        answered = author.locator("li.notification.unread",
                                  has_text="Официальный ответ на ваше предложение").first
        expect(answered).to_be_visible()
        answered.get_by_role("link", name="Открыть").click()
        expect(author).to_have_url(re.compile(r"/events/1/proposals/\d+"))
        assert author.url.split("#")[0] == proposal_url
        answer = author.locator("section.official-answer")
        expect(answer.locator("[data-answer-state]")).to_have_text("Принято в стратегию")
        expect(answer.locator("[data-answer-body]")).to_have_text(ANSWER)
        assert author.locator(".answer-form").count() == 0  # the author only reads it
        fits(author, "proposal-answered-360")

        open_menu_link(author, "Мои предложения")
        expect(author.get_by_role("heading", name="Мои предложения")).to_be_visible()
        card = author.locator(".cards > *", has_text=TITLE).first
        expect(card.locator("[data-answer-state]")).to_have_text("Принято в стратегию")
        expect(author.locator(".cards .official-answer")).to_contain_text(ANSWER)
        fits(author, "mine-360")
        author.get_by_label("Официальный ответ").select_option(label="Не принято")
        author.get_by_role("button", name="Показать").click()
        expect(author.get_by_text("Нет предложений с таким ответом.")).to_be_visible()
        author.get_by_label("Официальный ответ").select_option(label="Принято в стратегию")
        author.get_by_role("button", name="Показать").click()
        expect(author.locator(".cards > *", has_text=TITLE).first).to_be_visible()
        # the whole label «Принято в стратегию» fits: the select takes the form's width
        assert author.locator("select#answer").bounding_box()["width"] > 250
        fits(author, "mine-filtered-360")
        for context in list(browser.contexts):
            context.close()
