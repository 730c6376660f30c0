"""The JSON API /api/v1: the same operations as the site, one envelope, an OpenAPI document.

flask-smorest generates the document from the views' schemas (schemas.py) and serves it at
/api/v1/openapi.json; /api/v1/docs renders it as a page without any script from a CDN.
setup.py binds it all to the app; routes.py, moderation.py and tokens.py hold the views.
"""
from flask import Blueprint as FlaskBlueprint
from flask_babel import gettext as _
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser, abort

# Path ids are bounded to the database's integer range: a larger number is a 404, not an
# overflow deep in the driver.
ID = "int(min=1, max=2147483647)"


class RussianParser(FlaskParser):
    """webargs' parser, with the one message it writes itself in Russian."""

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        abort(400, exc=error, messages={"json": [_("Тело запроса — не корректный JSON.")]})


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = RussianParser()


bp = ApiBlueprint("api", __name__, url_prefix="/api/v1",
                  description="Events, tracks, proposals, supports, comments, the change feed "
                              "and moderation.")
docs_bp = FlaskBlueprint("api_docs", __name__)
