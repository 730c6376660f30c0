"""Error handling: Russian messages, JSON for API clients, never a stack trace."""
from functools import wraps
from typing import Callable, ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, generate_csrf
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException

from strategy.extensions import db

P = ParamSpec("P")
R = TypeVar("R")


class OperationError(Exception):
    """A rule of the domain refused an action; the message is for the user."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def operation(function: Callable[P, R]) -> Callable[P, R]:
    """Mark a write: when it refuses (OperationError) or fails, nothing it changed stays in the
    session, whoever called it (a route, the API, the CLI, the seed or another operation)."""

    @wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except Exception:
            db.session.rollback()
            raise

    return run


def wants_json() -> bool:
    """API paths and fetch() calls from our pages get JSON; browsers get HTML."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes[
        "text/html"]


# The machine-readable half of every JSON error; the Russian ``message`` is for people.
ERROR_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large",
    415: "unsupported_media_type", 422: "validation_error", 429: "too_many_requests",
    500: "server_error", 503: "unavailable",
}


def error_code(status: int) -> str:
    return ERROR_CODES.get(status, "error")


def json_error(status: int, message: str, code: str | None = None,
               errors: dict[str, list[str]] | None = None):
    """The one JSON error envelope of the site and of /api/v1."""
    return jsonify({"success": False, "error": code or error_code(status), "message": message,
                    "errors": errors or {}}), status


def error_response(status: int, message: str):
    if wants_json():
        return json_error(status, message)
    return render_template("errors/error.html", status=status, message=message), status


def default_message(status: int) -> str:
    return {
        400: _("Запрос не удалось обработать. Проверьте введённые данные."),
        401: _("Войдите, чтобы продолжить."),
        403: _("У вас нет прав на это действие."),
        404: _("Страница не найдена."),
        405: _("Так обратиться к этой странице нельзя."),
        409: _("Это действие конфликтует с текущим состоянием."),
        413: _("Файл слишком большой."),
        429: _("Слишком много попыток. Подождите минуту и попробуйте снова."),
    }.get(status, _("Что-то пошло не так. Попробуйте ещё раз."))


# Participants' own writing forms: the only ones whose fields a stale-token page offers again.
# Staff actions (hide, merge, mute, settings, ...) are never re-offered: one click on a forged
# copy would perform them.
RESENDABLE_ENDPOINTS = frozenset({"proposals.create", "proposals.edit", "comments.create",
                                  "auth.join", "auth.invitation"})


def origin_of(url: str) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def request_is_same_origin() -> bool:
    """The browser says the form was sent from one of our pages (Origin, else Referer)."""
    ours = origin_of(request.host_url)
    sent_from = request.headers.get("Origin") or request.referrer or ""
    return bool(ours) and origin_of(sent_from) == ours


def token_is_ours(token: str | None) -> bool:
    """Signed by this app (so it came from one of our pages), whatever session it was for."""
    if not token:
        return False
    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    try:
        URLSafeTimedSerializer(secret, salt="wtf-csrf-token").loads(token)
    except BadData:
        return False
    return True


def may_resend() -> bool:
    """Offer the typed fields again only for a participant's own form sent from our own page."""
    return (request.endpoint in RESENDABLE_ENDPOINTS and request_is_same_origin()
            and token_is_ours(request.form.get("csrf_token")))


def register_error_handlers(app: Flask) -> None:
    """Install handlers for HTTP errors, CSRF failures, domain errors and crashes."""

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if not may_resend():
            message = _("Страница устарела или запрос пришёл не с нашего сайта, поэтому действие "
                        "не выполнено. Обновите страницу и повторите.")
            if wants_json():
                return json_error(400, message, "csrf_failed")
            return error_response(400, message)
        # Keep what the person typed: re-offer the same form with a fresh token of this session.
        message = _("Страница устарела, поэтому действие не выполнено. Ничего не потеряно: "
                    "нажмите «Отправить ещё раз».")
        if wants_json():
            return json_error(400, message, "csrf_failed")
        fields = [(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"]
        g.pop("csrf_token", None)  # mint the token for this request's session, not a cached one
        return render_template("errors/csrf.html", message=message, fields=fields,
                               action=request.path, token=generate_csrf()), 400

    @app.errorhandler(OperationError)
    def operation_error(error: OperationError):
        db.session.rollback()
        return error_response(error.status, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        message = default_message(status)
        if status in (400, 403, 404, 409, 413) and error.description and getattr(
                error, "user_message", False):
            message = error.description
        return error_response(status, message)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        db.session.rollback()
        if database_busy(error):
            return busy_response()
        if unrepresentable(error):
            # A number or text the database cannot hold came in a query or form field.
            app.logger.warning("Unrepresentable input refused: %s", error)
            return error_response(400, _("В запросе есть значение, которое нельзя обработать "
                                         "(слишком большое число или недопустимые символы). "
                                         "Проверьте адрес или введённые данные."))
        app.logger.exception("Unhandled error")
        return error_response(500, _("Внутренняя ошибка. Мы уже знаем о ней; попробуйте ещё раз."))


def unrepresentable(error: Exception) -> bool:
    """An integer beyond the database's range (SQLite raises OverflowError, PostgreSQL
    NumericValueOutOfRange) or a character it cannot store (NUL on PostgreSQL)."""
    cause = getattr(error, "orig", None) or error
    if isinstance(cause, OverflowError):
        return True
    if isinstance(error, DataError):
        text = str(cause).lower()
        return "out of range" in text or "nul" in text or "invalid input syntax" in text
    return False


def database_busy(error: Exception) -> bool:
    """SQLite's write lock was not free within the busy timeout (a hall writing at once)."""
    text = str(getattr(error, "orig", error)).lower()
    return isinstance(error, OperationalError) and ("database is locked" in text
                                                    or "database is busy" in text)


def busy_response():
    """A clear 503 the page and fetch() can retry; nothing was stored."""
    from flask_login import AnonymousUserMixin

    # The page header must not ask the locked database who is signed in once more.
    g.setdefault("_login_user", AnonymousUserMixin())
    db.session.rollback()
    response, status = error_response(503, _(
        "Сервер сейчас занят, поэтому действие не выполнено. Подождите несколько секунд и "
        "повторите."))
    response = current_app.make_response((response, status))
    response.headers["Retry-After"] = "3"
    return response


def abort_with(status: int, message: str):
    """Abort with a user-facing Russian message (shown instead of the default text)."""
    raise OperationError(message, status)
