"""Forms of the organisers' screens for events and tracks. Dates stay strings here: the
operations parse and check them, so every form keeps exactly what was typed."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from strategy.auth.forms import REQUIRED
from strategy.events.models import ModerationMode
from strategy.events.operations import EventData, TrackData, parse_day

TIMEZONE_HINTS = ("Asia/Irkutsk", "Asia/Krasnoyarsk", "Asia/Novosibirsk", "Asia/Yakutsk",
                  "Asia/Vladivostok", "Asia/Yekaterinburg", "Europe/Moscow")


def moderation_choices():
    return [(ModerationMode.post.value, _l("Постмодерация: предложения видны сразу")),
            (ModerationMode.pre.value, _l("Предмодерация: после проверки модератором"))]


class EventForm(FlaskForm):
    title = StringField(_l("Название мероприятия"), validators=[
        DataRequired(REQUIRED), Length(max=300, message=_l("Не больше 300 символов."))])
    code = StringField(_l("Код для входа участников"), validators=[
        DataRequired(REQUIRED), Length(max=40, message=_l("Не больше 20 символов."))],
        render_kw={"autocapitalize": "characters", "autocomplete": "off"})
    starts_on = StringField(_l("Первый день"), validators=[DataRequired(REQUIRED)],
                            render_kw={"type": "date"})
    ends_on = StringField(_l("Последний день"), validators=[DataRequired(REQUIRED)],
                          render_kw={"type": "date"})
    timezone = StringField(_l("Часовой пояс"), default="Asia/Irkutsk",
                           validators=[DataRequired(REQUIRED), Length(max=64)],
                           render_kw={"list": "timezones", "autocomplete": "off"})
    place = StringField(_l("Место проведения"), validators=[
        Length(max=300, message=_l("Не больше 300 символов."))])
    description = TextAreaField(_l("Описание"), validators=[
        Length(max=5000, message=_l("Не больше 5000 символов."))])
    moderation_mode = SelectField(_l("Модерация предложений"), default="post",
                                  validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.moderation_mode.choices = moderation_choices()


class TrackForm(FlaskForm):
    title = StringField(_l("Название трека"), validators=[
        DataRequired(REQUIRED), Length(max=200, message=_l("Не больше 200 символов."))])
    slug = StringField(_l("Адрес в ссылке (необязательно)"), validators=[
        Length(max=80, message=_l("Не больше 80 символов."))],
        render_kw={"autocapitalize": "none", "autocomplete": "off", "spellcheck": "false"})
    description = TextAreaField(_l("Описание трека"), validators=[
        Length(max=3000, message=_l("Не больше 3000 символов."))])


def event_data(form: EventForm):
    """The typed values as EventData; dates that do not parse raise FieldError."""
    from_form = {name: getattr(form, name).data or "" for name in (
        "title", "code", "timezone", "place", "description", "moderation_mode")}
    return EventData(starts_on=parse_day(form.starts_on.data, "starts_on"),
                     ends_on=parse_day(form.ends_on.data, "ends_on"), **from_form)


def track_data(form: TrackForm):
    return TrackData(title=form.title.data or "", slug=form.slug.data or "",
                     description=form.description.data or "")


def event_form_data(event) -> dict:
    """An event's values for the edit form."""
    return {"title": event.title, "code": event.code, "timezone": event.timezone,
            "starts_on": event.starts_on.isoformat() if event.starts_on else "",
            "ends_on": event.ends_on.isoformat() if event.ends_on else "",
            "place": event.place, "description": event.description,
            "moderation_mode": event.moderation_mode.value}
