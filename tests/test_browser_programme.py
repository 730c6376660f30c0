"""The methodical group sets up next year's workshop at 1920 px, then a participant on a phone
(360 px) joins it, registers, gets wait-listed and downloads the calendar file."""
import re

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from tests.servers import DEMO_PASSWORD, chromium, screenshot, served_app

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1920, "height": 1080}
PHONE = {"width": 360, "height": 740}

UNLABELLED_CONTROLS = """() => Array.from(document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button'))
  .filter(el => el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map(el => el.outerHTML.slice(0, 120))"""
WIDER_THAN_SCREEN = "() => document.documentElement.scrollWidth > window.innerWidth"


def assert_accessible_and_fits(page):
    assert page.evaluate(UNLABELLED_CONTROLS) == []
    assert not page.evaluate(WIDER_THAN_SCREEN)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with served_app(tmp_path_factory.mktemp("programme")) as url:
        yield url


def set_up_the_event(browser, base_url) -> str:
    """Organiser: event, a track, two sessions, a facilitator invited; returns the event URL."""
    page = browser.new_context(viewport=DESKTOP, locale="ru-RU").new_page()
    page.goto(base_url + "/login")
    page.get_by_label("Электронная почта").fill("metod@strategy.demo")
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.goto(base_url + "/manage/events")
    page.get_by_role("link", name="Создать мероприятие").click()
    page.get_by_label("Название мероприятия").fill("Живые библиотеки Приангарья-2027")
    page.get_by_label("Код для входа участников").fill("ZHIVYE27")
    page.get_by_label("Первый день").fill("2027-09-27")
    page.get_by_label("Последний день").fill("2027-09-27")  # a typo the server must catch
    page.get_by_label("Последний день").fill("2027-09-26")
    page.get_by_label("Место проведения").fill("ИОГУНБ, Иркутск")
    page.get_by_role("button", name="Создать черновик").click()
    expect(page.get_by_text("Дата окончания раньше даты начала.")).to_be_visible()
    expect(page.get_by_label("Место проведения")).to_have_value("ИОГУНБ, Иркутск")
    screenshot(page, "programme-event-form-error-1920")
    page.get_by_label("Последний день").fill("2027-09-28")
    page.get_by_role("button", name="Создать черновик").click()
    expect(page.get_by_text("создано как черновик")).to_be_visible()
    event_path = re.search(r"(/events/\d+)/manage/tracks", page.url).group(1)

    page.get_by_label("Название трека").fill("Библиотека – социальный хаб")
    page.get_by_label("Описание трека").fill("Открытое пространство для всех жителей.")
    page.get_by_role("button", name="Добавить трек").click()
    expect(page.get_by_text("/biblioteka-socialnyj-hab")).to_be_visible()
    screenshot(page, "programme-tracks-1920")

    page.get_by_role("navigation", name="Настройка мероприятия").get_by_role(
        "link", name="Программа").click()
    for title, place, fmt, capacity in (("Мастерская «Хаб для всех»", "Зал 1", "гибридно", "30"),
                                        ("Экскурсия в книгохранилище", "Фонды", "в зале", "1")):
        page.get_by_role("link", name="Добавить в программу").click()
        page.get_by_label("Название", exact=True).fill(title)
        page.get_by_label("День").fill("2027-09-27")
        page.get_by_label("Начало").fill("10:00")
        page.get_by_label("Окончание").fill("11:30")
        page.get_by_label("Трек").select_option(label="«Библиотека – социальный хаб»")
        page.get_by_label(fmt, exact=True).check()
        page.get_by_label("Зал или аудитория").fill(place)
        page.get_by_label("Нужна регистрация").check()
        page.get_by_label("Мест в зале").fill(capacity)
        page.get_by_role("button", name="Сохранить").click()
        expect(page.get_by_text(f"«{title}» добавлено в программу.")).to_be_visible()
    screenshot(page, "programme-manage-1920")

    page.get_by_role("navigation", name="Настройка мероприятия").get_by_role(
        "link", name="Команда").click()
    invite = page.get_by_role("region", name="Пригласить в команду")  # the team lists roles too
    invite.get_by_label("Имя и фамилия").fill("Анна Ведущая")
    invite.get_by_label("Электронная почта (для входа)").fill("anna@example.org")
    invite.get_by_label("Роль").select_option("facilitator")
    invite.get_by_label("«Библиотека – социальный хаб»").check()
    invite.get_by_role("button", name="Создать ссылку-приглашение").click()
    link = page.locator("[data-staff-link]").inner_text().strip()
    screenshot(page, "programme-staff-1920")

    invited = browser.new_context(viewport=DESKTOP, locale="ru-RU").new_page()
    invited.goto(link)
    invited.get_by_label("Придумайте пароль (не короче 10 символов)").fill("ведущая-2027")
    invited.get_by_label("Повторите пароль").fill("ведущая-2027")
    invited.get_by_role("button", name="Задать пароль и войти").click()
    expect(invited.get_by_text("Добро пожаловать в команду, Анна Ведущая!")).to_be_visible()
    invited.goto(base_url + event_path + "/manage/programme")
    expect(invited.get_by_role("link", name="Изменить").first).to_be_visible()

    page.get_by_role("navigation", name="Настройка мероприятия").get_by_role(
        "link", name="Мероприятие", exact=True).click()
    page.get_by_role("button", name="Открыть для участников").click()
    expect(page.get_by_text("Мероприятие открыто")).to_be_visible()
    screenshot(page, "programme-event-settings-1920")
    return event_path


def join(page, base_url, name):
    page.goto(base_url + "/join")
    page.get_by_label("Код мероприятия").fill("zhivye27")
    page.get_by_label("Как вас представить (имя и фамилия)").fill(name)
    page.get_by_label("Библиотека", exact=True).fill("Библиотека посёлка Листвянка")
    page.get_by_label("Муниципальное образование").fill("Иркутский район")
    page.get_by_role("button", name="Войти в мероприятие").click()
    expect(page.locator("[data-return-code]")).to_be_visible()


def test_organiser_sets_up_and_a_participant_registers(base_url, tmp_path):
    with chromium() as browser:
        event_path = set_up_the_event(browser, base_url)

        first = browser.new_context(viewport=PHONE, locale="ru-RU").new_page()
        join(first, base_url, "Первая Участница")
        first.goto(base_url + event_path + "/programme")
        first.locator("li.programme-item", has_text="Экскурсия в книгохранилище").get_by_role(
            "button", name="Зарегистрироваться").click()
        expect(first.get_by_text("Вы зарегистрированы")).to_be_visible()

        phone = browser.new_context(viewport=PHONE, locale="ru-RU", accept_downloads=True)
        page = phone.new_page()
        page.goto(base_url + "/")
        expect(page.get_by_role("link", name="Живые библиотеки Приангарья-2027")).to_be_visible()
        screenshot(page, "programme-home-list-360")
        assert_accessible_and_fits(page)
        join(page, base_url, "Вера Браузерная")
        page.goto(base_url + event_path + "/programme")
        screenshot(page, "programme-list-360")
        assert_accessible_and_fits(page)
        workshop = page.locator("li.programme-item", has_text="Мастерская «Хаб для всех»")
        workshop.get_by_label("в зале").check()
        workshop.get_by_role("button", name="Зарегистрироваться").click()
        expect(page.get_by_text("Вы зарегистрированы: «Мастерская «Хаб для всех»», в зале."
                                )).to_be_visible()
        page.goto(base_url + event_path + "/programme")
        tour = page.locator("li.programme-item", has_text="Экскурсия в книгохранилище")
        expect(tour.get_by_text("мест нет")).to_be_visible()
        tour.get_by_role("button", name="Встать в лист ожидания").click()
        expect(page.get_by_text("вы в листе ожидания (№ 1)")).to_be_visible()
        screenshot(page, "programme-item-waiting-360")
        assert_accessible_and_fits(page)

        page.locator("main").get_by_role("link", name="Моя программа").click()
        expect(page.locator("li.programme-item")).to_have_count(2)
        screenshot(page, "programme-mine-360")
        assert_accessible_and_fits(page)
        with page.expect_download() as download_info:
            page.get_by_role("link", name="Вся моя программа в календарь (.ics)").click()
        path = tmp_path / "mine.ics"
        download_info.value.save_as(path)
        calendar = Calendar.from_ical(path.read_bytes())
        titles = [str(e["summary"]) for e in calendar.walk("VEVENT")]
        assert titles == ["Мастерская «Хаб для всех»"]  # the waiting list is not in the calendar
        start = calendar.walk("VEVENT")[0].decoded("dtstart")
        assert start.isoformat() == "2027-09-27T10:00:00+08:00"
