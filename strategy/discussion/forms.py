"""Forms of the draft review; the rules themselves are checked again by the operations."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms.validators import Optional as OptionalValue

from strategy.auth.forms import REQUIRED
from strategy.discussion.models import (SECTION_COMMENT_MAX, SECTION_COMMENT_MIN, ReviewScope,
                                    SectionStance)


class SectionCommentForm(FlaskForm):
    body = TextAreaField(_l("Комментарий к разделу"), validators=[
        DataRequired(REQUIRED),
        Length(min=SECTION_COMMENT_MIN, max=SECTION_COMMENT_MAX,
               message=_l("Комментарий: от %(min)d до %(max)d символов.",
                          min=SECTION_COMMENT_MIN, max=SECTION_COMMENT_MAX))])
    stance = RadioField(_l("Ваша позиция"), validators=[
        DataRequired(_l("Выберите позицию: за, против или дополнение."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stance.choices = [(s.value, s.label) for s in SectionStance]


class PublishForm(FlaskForm):
    scope = RadioField(_l("Что опубликовать"), default="all")
    ends_at = StringField(_l("Обсуждение до (необязательно)"), validators=[OptionalValue()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope.choices = [(s.value, s.label) for s in ReviewScope]
