"""Errors of /api/v1 in the one envelope, with Russian messages, never a stack trace.

Routing errors (404, 405) and crashes are answered by the app's handlers in core/errors.py,
which use the same envelope for every path under /api/. Here: what only API views raise, i.e.
validation errors of the request (webargs) and domain refusals (OperationError)."""
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from strategy.core.errors import OperationError, default_message, json_error
from strategy.extensions import db


def flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    """webargs' {"json": {"title": ["…"]}} or nested errors as {"title": ["…"]}."""
    if isinstance(messages, (list, tuple)):
        if all(not isinstance(m, (dict, list, tuple)) for m in messages):
            return {prefix or "_request": [str(m) for m in messages]}
        messages = dict(enumerate(messages))
    if not isinstance(messages, dict):
        return {prefix or "_request": [str(messages)]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        name = str(key)
        if not prefix and name in ("json", "query", "querystring", "form", "headers"):
            name = ""  # the location is not part of the field's name
        elif name == "_schema":
            name = prefix or "_request"
        else:
            name = f"{prefix}.{name}" if prefix else name
        for field, errors in flatten(value, name).items():
            flat.setdefault(field, []).extend(errors)
    return flat


def validation_message(errors: dict[str, list[str]]) -> str:
    if list(errors) == ["_request"]:
        return errors["_request"][0]
    return _("Проверьте поля запроса: %(fields)s.", fields=", ".join(sorted(errors)))


def http_error(error: HTTPException):
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    if "messages" in data:
        errors = flatten(data["messages"])
        code = "validation_error" if status == 422 else None
        return json_error(status, validation_message(errors), code, errors)
    return json_error(status, default_message(status))


def operation_error(error: OperationError):
    db.session.rollback()
    return json_error(error.status, error.message)


def register(blueprint) -> None:
    blueprint.register_error_handler(HTTPException, http_error)
    blueprint.register_error_handler(OperationError, operation_error)
