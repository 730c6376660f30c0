"""Forms of the review screens. Scores stay strings: the operation checks them, so a refused
form shows exactly what was chosen."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import Length

from strategy.review.models import (ANSWER_MAX, RECOMMENDATION_MAX, SCORE_MAX, SCORE_MIN,
                                    AnswerState)


class AnswerForm(FlaskForm):
    """The official answer; the operation checks the state and the text."""

    state = RadioField(_l("Решение"), validate_choice=False)
    body = TextAreaField(_l("Текст ответа"), validators=[
        Length(max=ANSWER_MAX, message=_l("Не больше %(max)d символов.", max=ANSWER_MAX))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.state.choices = [(s.value, s.label) for s in AnswerState]


class AssessmentForm(FlaskForm):
    """Scores per criterion come as fields score_<key> (built from the event's criteria)."""

    recommendation = TextAreaField(_l("Рекомендация"), validators=[
        Length(max=RECOMMENDATION_MAX, message=_l("Не больше %(max)d символов.",
                                                   max=RECOMMENDATION_MAX))])


SCORES = tuple(range(SCORE_MIN, SCORE_MAX + 1))
