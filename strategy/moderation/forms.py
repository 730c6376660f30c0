"""Forms of the moderation screens; times are typed in the event's time zone."""
from datetime import datetime, timezone
from typing import Optional
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError
from wtforms.validators import Optional as OptionalValue

from strategy.auth.forms import REQUIRED
from strategy.events.models import ModerationMode
from strategy.events.operations import BUDGET_MAX, FLAG_THRESHOLD_MAX
from strategy.moderation.operations import REASON_MAX

LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M")


def parse_local(value: str, tz_name: str) -> Optional[datetime]:
    """'2026-09-28T15:30' in the event's zone -> naive UTC; empty -> None; else ValueError."""
    value = (value or "").strip()
    if not value:
        return None
    for fmt in LOCAL_FORMATS:
        try:
            local = datetime.strptime(value, fmt).replace(tzinfo=ZoneInfo(tz_name))
        except ValueError:
            continue
        return local.astimezone(timezone.utc).replace(tzinfo=None)
    raise ValueError(value)


def to_local_input(value: Optional[datetime], tz_name: str) -> str:
    """Naive UTC -> the datetime-local input's value in the event's zone."""
    if value is None:
        return ""
    local = value.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(tz_name))
    return local.strftime("%Y-%m-%dT%H:%M")


class ReasonForm(FlaskForm):
    """Hide a proposal or a comment: the author sees the reason."""

    reason = StringField(_l("Причина (её увидит автор)"), validators=[
        DataRequired(_l("Укажите причину: её увидит автор.")),
        Length(max=REASON_MAX, message=_l("Не больше %(max)d символов.", max=REASON_MAX))])


class FlagForm(FlaskForm):
    reason = StringField(_l("Что не так? (необязательно)"), validators=[
        OptionalValue(), Length(max=REASON_MAX, message=_l("Не больше %(max)d символов.",
                                                           max=REASON_MAX))])


class MergeForm(FlaskForm):
    target = IntegerField(_l("Номер итогового предложения"), validators=[
        DataRequired(_l("Укажите номер предложения, с которым объединить."))])


class PhaseForm(FlaskForm):
    """Open a phase, optionally until a time in the event's zone."""

    ends_at = StringField(_l("До (необязательно)"), validators=[OptionalValue()])

    def __init__(self, *args, tz_name: str = "Asia/Irkutsk", **kwargs):
        super().__init__(*args, **kwargs)
        self.tz_name = tz_name
        self.ends_at_utc: Optional[datetime] = None

    def validate_ends_at(self, field):
        try:
            self.ends_at_utc = parse_local(field.data, self.tz_name)
        except ValueError:
            raise ValidationError(_l("Введите дату и время, например 28.09.2026 15:30."))


class SupportRulesForm(FlaskForm):
    budget = IntegerField(_l("Голосов на человека в треке (пусто — без ограничения)"),
                          validators=[OptionalValue(), NumberRange(
                              min=1, max=BUDGET_MAX,
                              message=_l("От 1 до %(max)d.", max=BUDGET_MAX))])
    hide_counts = BooleanField(_l("Скрывать число поддержек от участников, пока идёт голосование"))
    projector_shows_counts = BooleanField(_l("Показывать число поддержек на экране зала"))


class EventSettingsForm(FlaskForm):
    moderation_mode = SelectField(_l("Режим модерации"), validators=[DataRequired(REQUIRED)])
    flag_threshold = IntegerField(_l("Сколько жалоб возвращают предложение в очередь"),
                                  validators=[InputRequired(REQUIRED), NumberRange(
                                      min=1, max=FLAG_THRESHOLD_MAX,
                                      message=_l("От 1 до %(max)d.", max=FLAG_THRESHOLD_MAX))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.moderation_mode.choices = [
            (ModerationMode.post.value, _l("Постмодерация: публикуется сразу")),
            (ModerationMode.pre.value, _l("Предмодерация: ждёт проверки модератором"))]
