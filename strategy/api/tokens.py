"""Bearer tokens for facilitators and organisers (scripts, the hall's tools).

URL rules (under /api/v1; staff only, with a session or another token):
  GET     /tokens          tokens        one's own tokens (organisers: everyone's)
  POST    /tokens          create_token  {"name": "…"}; the token is in the answer, once
  DELETE  /tokens/<id>     revoke_token  the owner or an organiser
"""
import sqlalchemy as sa
from flask_babel import gettext as _

from strategy.api import ID, bp
from strategy.api.auth import staff_member
from strategy.api.models import ApiToken
from strategy.api.operations import create_token as create_token_op
from strategy.api.operations import revoke_token as revoke_token_op
from strategy.api.schemas import NewTokenSchema, TokenCreateArgs, TokenSchema, envelope
from strategy.api.serializers import token_to_dict
from strategy.core.errors import OperationError
from strategy.extensions import db


@bp.route("/tokens", tags=["tokens"])
@bp.response(200, envelope(TokenSchema, many=True))
def tokens():
    """Your API tokens, newest first (organisers see everyone's); never the tokens themselves."""
    user = staff_member()
    query = sa.select(ApiToken).order_by(ApiToken.id.desc())
    if not user.is_organiser:
        query = query.where(ApiToken.user_id == user.id)
    return {"success": True, "data": [token_to_dict(t) for t in db.session.scalars(query)],
            "meta": {}}


@bp.route("/tokens", methods=["POST"], tags=["tokens"])
@bp.arguments(TokenCreateArgs)
@bp.response(201, envelope(NewTokenSchema))
def create_token(data: dict):
    """Create a token for yourself; send it as «Authorization: Bearer <token>»."""
    user = staff_member()
    row, token = create_token_op(user, user, data["name"])
    return {"success": True, "data": {**token_to_dict(row), "token": token},
            "meta": {"message": _("Токен создан. Сохраните его сейчас: больше он показан "
                                  "не будет.")}}


@bp.route(f"/tokens/<{ID}:token_id>", methods=["DELETE"], tags=["tokens"])
@bp.response(200, envelope(TokenSchema))
def revoke_token(token_id: int):
    """Revoke a token: requests with it are refused from now on."""
    user = staff_member()
    row = db.session.get(ApiToken, token_id)
    if row is None or not row.can_revoke(user):
        raise OperationError(_("Токен не найден."), 404)
    revoke_token_op(row, user)
    return {"success": True, "data": token_to_dict(row), "meta": {"message": _("Токен отозван.")}}
