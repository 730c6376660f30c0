"""Who is calling /api/v1: the site's session (our own pages' JS, with CSRF in X-CSRFToken, as
Flask-WTF's CSRFProtect checks it) or a staff member's bearer token (scripts; no cookie, so no
CSRF)."""
from typing import Optional

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user

from strategy.api.operations import user_for_token
from strategy.auth.models import User
from strategy.core.errors import OperationError
from strategy.extensions import csrf

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def bearer_token() -> Optional[str]:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise OperationError(_("Заголовок Authorization должен иметь вид «Bearer <токен>»."), 401)
    return token.strip()


def authenticate() -> None:
    """Before every API view: a token signs the request in; a session needs its CSRF token."""
    token = bearer_token()
    if token is not None:
        user = user_for_token(token)
        if user is None:
            raise OperationError(_("Токен доступа неизвестен или отозван."), 401)
        g._login_user = user  # Flask-Login's current user, for this request only
        g.api_auth = "token"
        return
    if not current_user.is_authenticated:
        g.api_auth = None
        if request.method not in SAFE_METHODS and not reads_only():
            # every write acts as someone: say so first
            raise OperationError(_("Войдите, чтобы продолжить."), 401)
        return
    g.api_auth = "session"
    if request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()  # raises CSRFError (400, csrf_failed) without a valid X-CSRFToken


def reads_only() -> bool:
    """A POST that only reads (the similarity hint for a long text) is open to anyone."""
    view = current_app.view_functions.get(request.endpoint)
    return bool(getattr(view, "read_only", False))


def viewer() -> Optional[User]:
    """The signed-in person, or None for an anonymous request."""
    return current_user if current_user.is_authenticated else None


def signed_in() -> User:
    """The caller, or 401: writes need someone to act as."""
    if not current_user.is_authenticated:
        raise OperationError(_("Войдите, чтобы продолжить."), 401)
    return current_user._get_current_object()


def staff_member() -> User:
    user = signed_in()
    if not user.is_staff:
        raise OperationError(_("Это доступно только модераторам и организаторам."), 403)
    return user
