"""Forms of the programme screens. Dates, times and numbers stay strings: the operations parse
and check them, so a refused form shows exactly what was typed."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from strategy.auth.forms import REQUIRED
from strategy.events.models import ItemFormat
from strategy.programme.operations import ItemData, utc_to_local


def format_choices():
    return [(f.value, f.label) for f in ItemFormat]


class ItemForm(FlaskForm):
    title = StringField(_l("Название"), validators=[
        DataRequired(REQUIRED), Length(max=300, message=_l("Не больше 300 символов."))])
    day = StringField(_l("День"), validators=[DataRequired(REQUIRED)], render_kw={"type": "date"})
    start = StringField(_l("Начало"), validators=[DataRequired(REQUIRED)],
                        render_kw={"type": "time"})
    end = StringField(_l("Окончание"), validators=[DataRequired(REQUIRED)],
                      render_kw={"type": "time"})
    track = SelectField(_l("Трек"), default="", validate_choice=False)
    format = RadioField(_l("Формат"), default="hall", validate_choice=False)
    place = StringField(_l("Зал или аудитория"), validators=[
        Length(max=200, message=_l("Не больше 200 символов."))])
    online_url = StringField(_l("Ссылка на трансляцию"), validators=[
        Length(max=500, message=_l("Не больше 500 символов."))], render_kw={"type": "url"})
    speakers = TextAreaField(_l("Спикеры"), validators=[
        Length(max=2000, message=_l("Не больше 2000 символов."))])
    description = TextAreaField(_l("Описание"), validators=[
        Length(max=5000, message=_l("Не больше 5000 символов."))])
    registration_required = BooleanField(_l("Нужна регистрация"))
    capacity_hall = StringField(_l("Мест в зале"), render_kw={"inputmode": "numeric"})
    capacity_online = StringField(_l("Мест онлайн"), render_kw={"inputmode": "numeric"})
    waitlist = BooleanField(_l("Вести лист ожидания, когда места закончатся"), default=True)

    def __init__(self, *args, tracks=(), allow_no_track=True, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _l("Общая программа (без трека)"))] if allow_no_track else []
        self.track.choices = choices + [(t.slug, f"«{t.title}»") for t in tracks]
        self.format.choices = format_choices()


def item_data(form: ItemForm) -> ItemData:
    return ItemData(**{name: getattr(form, name).data for name in (
        "day", "start", "end", "title", "description", "speakers", "place", "format",
        "online_url", "track", "registration_required", "capacity_hall", "capacity_online",
        "waitlist")})


def item_form_data(item) -> dict:
    tz = item.event.timezone
    start = utc_to_local(item.starts_at, tz)
    end = utc_to_local(item.ends_at, tz) if item.ends_at else None
    return {"title": item.title, "day": start.date().isoformat(),
            "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M") if end else "",
            "track": item.track.slug if item.track else "", "format": item.format.value,
            "place": item.place, "online_url": item.online_url, "speakers": item.speakers,
            "description": item.description,
            "registration_required": item.registration_required,
            "capacity_hall": "" if item.capacity_hall is None else str(item.capacity_hall),
            "capacity_online": "" if item.capacity_online is None else str(item.capacity_online),
            "waitlist": item.waitlist}


class RegisterForm(FlaskForm):
    seat = RadioField(_l("Как будете участвовать"), default="hall", validate_choice=False,
                      choices=[("hall", _l("в зале")), ("online", _l("онлайн"))])


class OutcomeForm(FlaskForm):
    attended_hall = StringField(_l("Участвовало в зале"), render_kw={"inputmode": "numeric"})
    attended_online = StringField(_l("Участвовало онлайн"), render_kw={"inputmode": "numeric"})
    outcome = TextAreaField(_l("Итоги коротко"), validators=[
        Length(max=5000, message=_l("Не больше 5000 символов."))])
    proposals = StringField(_l("Номера предложений, которые появились на этой сессии"),
                            render_kw={"inputmode": "numeric", "autocomplete": "off"})


class CopyEventForm(FlaskForm):
    """Copy an event as the template of the next one."""

    title = StringField(_l("Название нового мероприятия"), validators=[
        DataRequired(REQUIRED), Length(max=300, message=_l("Не больше 300 символов."))])
    code = StringField(_l("Код нового мероприятия"), validators=[
        DataRequired(REQUIRED), Length(max=40)], render_kw={"autocapitalize": "characters"})
    starts_on = StringField(_l("Первый день нового мероприятия"),
                            validators=[DataRequired(REQUIRED)], render_kw={"type": "date"})
