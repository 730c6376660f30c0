"""Forms of the polls screens. Numbers and options stay strings: the operations parse and check
them, so a refused form shows exactly what was typed."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from strategy.auth.forms import REQUIRED
from strategy.polls.models import PollKind
from strategy.polls.operations import PollData


class PollForm(FlaskForm):
    question = StringField(_l("Вопрос"), validators=[
        DataRequired(REQUIRED), Length(max=300, message=_l("Не больше 300 символов."))])
    kind = RadioField(_l("Вид опроса"), default="single", validate_choice=False)
    track = SelectField(_l("Трек"), default="", validate_choice=False)
    options = TextAreaField(_l("Варианты ответа — каждый с новой строки"),
                            render_kw={"rows": 6})
    scale_min = StringField(_l("Шкала от"), default="1", render_kw={"inputmode": "numeric"})
    scale_max = StringField(_l("до"), default="5", render_kw={"inputmode": "numeric"})

    def __init__(self, *args, tracks=(), allow_no_track=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k.value, k.label) for k in PollKind]
        choices = [("", _l("Всё мероприятие"))] if allow_no_track else []
        self.track.choices = choices + [(t.slug, t.title) for t in tracks]


def option_lines(text: str) -> list[str]:
    """Options typed one per line; blank lines at the ends are dropped, a blank line between
    options stays (and is refused as an empty option)."""
    lines = (text or "").replace("\r\n", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return lines


def poll_data(form: PollForm) -> PollData:
    kind = form.kind.data or "single"
    options = option_lines(form.options.data) if kind in ("single", "multiple") else []
    return PollData(question=form.question.data or "", kind=kind, track=form.track.data or "",
                    options=options, scale_min=form.scale_min.data,
                    scale_max=form.scale_max.data)
