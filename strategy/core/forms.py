"""Forms every domain uses."""
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from strategy.core.errors import OperationError


class EmptyForm(FlaskForm):
    """Only a CSRF token: for POST-only buttons."""


def require_button_form() -> None:
    """A POST-only button's token, or a 400 that tells the person to reload the page."""
    if not EmptyForm().validate_on_submit():
        raise OperationError(_("Страница устарела. Обновите её и повторите."), 400)


def form_error(form, error: OperationError) -> None:
    """Show an operation's refusal next to the field it is about (or above the form)."""
    field = getattr(form, getattr(error, "field", ""), None)
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        form.form_errors.append(error.message)
