"""Comment form."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from strategy.auth.forms import REQUIRED
from strategy.comments.models import COMMENT_MAX, Stance


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Комментарий"), validators=[
        DataRequired(REQUIRED),
        Length(min=2, max=COMMENT_MAX, message=_l("Комментарий: от 2 до %(max)d символов.",
                                                   max=COMMENT_MAX))])
    stance = RadioField(_l("Ваша позиция"), validators=[Optional()], default="")
    parent_id = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stance.choices = [("", _l("Без позиции"))] + [(s.value, s.label) for s in Stance]
