"""Binding the API to the app: the flask-smorest Api, its blueprints, config and command."""
from flask import Flask
from flask_smorest import Api

from strategy.api import (auth, bp, cli, discussion, docs, docs_bp, errors,  # noqa: F401
                          moderation, notifications, polls, review, routes, tokens)
from strategy.api.schemas import ErrorSchema
from strategy.extensions import csrf


class StrategyApi(Api):
    """flask-smorest's Api, leaving error answers to our handlers (one envelope site-wide)."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        """flask-smorest would answer every HTTP error of the whole site; ours do (errors.py)."""


# Once per process, before the blueprint is first registered on an app.
errors.register(bp)
bp.before_request(auth.authenticate)

CONFIG = {
    "API_TITLE": "Стратегия библиотек — API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "info": {"description": (
            "JSON API of the workshop platform. Every answer is "
            "`{\"success\": true, \"data\": …, \"meta\": {…}}` or "
            "`{\"success\": false, \"error\": code, \"message\": text, \"errors\": {field: […]}}`."
            " Signed-in pages call it with their session cookie and the CSRF token in the "
            "X-CSRFToken header; facilitators and organisers may use a bearer token instead "
            "(POST /api/v1/tokens, or `flask create-api-token`).")},
        "components": {"securitySchemes": {
            "bearerToken": {"type": "http", "scheme": "bearer"},
            "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session"}}},
        "security": [{}, {"bearerToken": []}, {"sessionCookie": []}],
    },
}


def init_app(app: Flask) -> StrategyApi:
    """Register the API blueprint and its document on the app (called by create_app)."""
    for key, value in CONFIG.items():
        app.config.setdefault(key, value)
    api = StrategyApi(app)
    csrf.exempt(bp)  # the API checks CSRF itself, and only for session-authenticated calls
    api.register_blueprint(bp)
    app.register_blueprint(docs_bp)
    app.extensions["strategy-api"] = api
    app.cli.add_command(cli.create_token_command)
    return api
