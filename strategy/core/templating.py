"""Template filters: times in the event's time zone, Russian plurals, short excerpts."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import Flask, g
from flask_babel import format_date, get_locale

DEFAULT_TZ = "Asia/Irkutsk"


def to_event_time(value: datetime, tz_name: str | None = None) -> datetime:
    """Stored times are naive UTC; show them in the event's zone."""
    tz = ZoneInfo(tz_name or getattr(g, "event_tz", None) or DEFAULT_TZ)
    return value.replace(tzinfo=timezone.utc).astimezone(tz)


def event_time(value: datetime | None, fmt: str = "%H:%M") -> str:
    return to_event_time(value).strftime(fmt) if value else ""


def event_datetime(value: datetime | None) -> str:
    if not value:
        return ""
    local = to_event_time(value)
    return f"{format_date(local.date(), 'd MMMM')}, {local.strftime('%H:%M')}"


def event_day(value: datetime | None) -> str:
    if not value:
        return ""
    return format_date(to_event_time(value).date(), "EEEE, d MMMM")


def plural_ru(n: int, one: str, few: str, many: str) -> str:
    """Russian plural form: 1 предложение, 2 предложения, 5 предложений."""
    n = abs(int(n))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def plural_word(n: int, one: str, few: str, many: str, en_one: str = "",
                en_many: str = "") -> str:
    """Only the word of count_word, for when the number is styled apart."""
    return count_word(n, one, few, many, en_one, en_many).split(" ", 1)[1]


def format_day(value) -> str:
    return format_date(value, "EEEE, d MMMM")


def format_date_range(start, end=None) -> str:
    """'27–29 сентября 2026' or '27 сентября 2026'."""
    if not end or end == start:
        return format_date(start, "d MMMM y")
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{format_date(end, 'd MMMM y')}"
    return f"{format_date(start, 'd MMMM')} – {format_date(end, 'd MMMM y')}"


def count_word(n: int, one: str, few: str, many: str, en_one: str = "", en_many: str = "") -> str:
    """'5 предложений', or in English '5 proposals' when English forms are given."""
    if str(get_locale()) == "en" and en_one:
        return f"{n} {en_one if n == 1 else en_many}"
    return f"{n} {plural_ru(n, one, few, many)}"


def excerpt(text: str, length: int = 220) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[:length].rsplit(" ", 1)[0] + "…"


def init_app(app: Flask) -> None:
    app.add_template_filter(event_time)
    app.add_template_filter(event_datetime)
    app.add_template_filter(event_day)
    app.add_template_filter(excerpt)
    app.add_template_global(count_word)
    app.add_template_global(plural_word)
    app.add_template_filter(format_day)
    app.add_template_filter(format_date_range)
    app.add_template_global(nav_extra)


def register_nav(app: Flask, provider) -> None:
    """Domains add menu entries for staff: provider(event, user) -> list of {url, label}."""
    app.extensions.setdefault("nav_providers", []).append(provider)


def nav_extra(event):
    from flask import current_app
    from flask_login import current_user

    if not getattr(current_user, "is_authenticated", False):
        return []
    items = []
    for provider in current_app.extensions.get("nav_providers", []):
        items.extend(provider(event, current_user) or [])
    return items
