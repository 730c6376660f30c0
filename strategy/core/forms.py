"""Forms every domain uses."""
from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """Only a CSRF token: for POST-only buttons."""
