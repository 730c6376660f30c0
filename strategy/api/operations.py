"""Creating and revoking API tokens (the only writes of the API package itself)."""
from datetime import timedelta
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _

from strategy.api.models import NAME_MAX, ApiToken, hash_token, new_token
from strategy.auth.models import User
from strategy.core.db import utcnow
from strategy.core.errors import OperationError
from strategy.extensions import db

LAST_USED_RESOLUTION = timedelta(minutes=1)


def create_token(owner: User, actor: Optional[User], name: str) -> tuple[ApiToken, str]:
    """A new token for a facilitator or organiser; returns it in clear text once.

    ``actor`` None means the server's command line, which may create a token for any staff
    member; through the API a person creates tokens only for themselves."""
    if actor is not None and actor.id != owner.id:
        raise OperationError(_("Токен можно создать только для себя."), 403)
    if not owner.is_staff:
        raise OperationError(_("Токены доступа выдаются только модераторам и организаторам."),
                             403)
    name = " ".join((name or "").split())
    if not name:
        raise OperationError(_("Назовите токен, например «скрипт выгрузки»."), 400)
    if len(name) > NAME_MAX:
        raise OperationError(_("Название токена: не больше %(n)d символов.", n=NAME_MAX), 400)
    token = new_token()
    row = ApiToken(user_id=owner.id, name=name, token_hash=hash_token(token), hint=token[:8])
    db.session.add(row)
    db.session.commit()
    return row, token


def revoke_token(row: ApiToken, actor: User) -> ApiToken:
    if not row.can_revoke(actor):
        raise OperationError(_("Этот токен отозвать может только его владелец."), 403)
    if not row.is_active:
        raise OperationError(_("Токен уже отозван."), 409)
    row.revoked_at = utcnow()
    db.session.commit()
    return row


def user_for_token(token: str) -> Optional[User]:
    """The staff member a valid, unrevoked token belongs to (None otherwise)."""
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or not row.is_active or not row.user.is_staff:
        return None
    now = utcnow()
    # One write a minute at most: a script's burst of calls must not queue on this row.
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now
        db.session.commit()
    return row.user
