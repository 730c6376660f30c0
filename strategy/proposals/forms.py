"""Proposal and library-join forms; track choices are scoped to the event."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from strategy.core.forms import EmptyForm  # noqa: F401  (re-exported for this domain's views)
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from strategy.auth.forms import REQUIRED
from strategy.proposals.models import BODY_MAX, FIELD_MAX, TITLE_MAX, ProposalKind


def kind_choices():
    return [(kind.value, kind.label) for kind in ProposalKind]


class ProposalForm(FlaskForm):
    track = SelectField(_l("Трек"), validators=[DataRequired(REQUIRED)],
                        validate_choice=True)
    kind = RadioField(_l("Что вы предлагаете"), default="idea", validators=[DataRequired(REQUIRED)])
    title = StringField(_l("Заголовок"), validators=[
        DataRequired(REQUIRED),
        Length(min=5, max=TITLE_MAX, message=_l("Заголовок: от 5 до %(max)d символов.",
                                                 max=TITLE_MAX))])
    body = TextAreaField(_l("Суть предложения"), validators=[
        DataRequired(REQUIRED),
        Length(min=10, max=BODY_MAX, message=_l("Текст: от 10 до %(max)d символов.",
                                                 max=BODY_MAX))])
    expected_result = TextAreaField(_l("Ожидаемый результат"), validators=[
        Optional(), Length(max=FIELD_MAX, message=_l("Не больше %(max)d символов.",
                                                      max=FIELD_MAX))])
    partners = TextAreaField(_l("Партнёры"), validators=[
        Optional(), Length(max=FIELD_MAX, message=_l("Не больше %(max)d символов.",
                                                      max=FIELD_MAX))])

    def __init__(self, *args, event=None, tracks=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = kind_choices()
        self.kind.validators[0].message = REQUIRED
        tracks = tracks if tracks is not None else (event.tracks if event else [])
        self.track.choices = [(t.slug, t.title) for t in tracks]

    def pre_validate_messages(self):
        """A value outside the list gets one clear message, whatever WTForms' wording."""
        for field in (self.track, self.kind):
            valid = {value for value, _label in field.choices}
            if field.errors and field.data and field.data not in valid:
                field.errors = [_l("Выберите значение из списка.")]


class JoinProjectForm(FlaskForm):
    library = StringField(_l("Библиотека"), validators=[DataRequired(REQUIRED), Length(max=200)])
    municipality = StringField(_l("Муниципальное образование"), validators=[Length(max=120)])
    note = StringField(_l("Что библиотека готова сделать (необязательно)"),
                       validators=[Optional(), Length(max=500)])
