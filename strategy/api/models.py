"""Bearer tokens for staff scripts and tools; only a hash of each token is stored."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy import orm

from strategy.core.db import TimestampMixin
from strategy.extensions import db

if TYPE_CHECKING:
    from strategy.auth.models import User

TOKEN_PREFIX = "stk_"
NAME_MAX = 80


def new_token() -> str:
    """A random token like 'stk_3q…' (256 bits): shown once, never stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens are long and random, so a plain SHA-256 is enough and allows lookup."""
    return hashlib.sha256(token.strip().encode()).hexdigest()


class ApiToken(TimestampMixin, db.Model):
    """A facilitator's or organiser's API token; revoked tokens stay for the record."""

    __tablename__ = "api_tokens"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    user_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(NAME_MAX))
    token_hash: orm.Mapped[str] = orm.mapped_column(sa.String(64), unique=True)
    # The first characters, to tell tokens apart in a list without revealing them.
    hint: orm.Mapped[str] = orm.mapped_column(sa.String(12))
    last_used_at: orm.Mapped[Optional[datetime]] = orm.mapped_column()
    revoked_at: orm.Mapped[Optional[datetime]] = orm.mapped_column()

    user: orm.Mapped["User"] = orm.relationship()

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.name!r}>"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def can_revoke(self, user: Optional["User"]) -> bool:
        """The owner revokes their own tokens; organisers revoke anyone's."""
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        return user.id == self.user_id or user.is_organiser
