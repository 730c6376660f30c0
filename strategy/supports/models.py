"""Supports (поддержка): one per person per proposal, enforced by the database."""
from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import orm

from strategy.core.db import TimestampMixin
from strategy.extensions import db

if TYPE_CHECKING:
    from strategy.auth.models import User
    from strategy.proposals.models import Proposal


class Support(TimestampMixin, db.Model):
    """A person supports a proposal; withdrawing deletes the row."""

    __tablename__ = "supports"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "user_id"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    proposal_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    user_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    track_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("tracks.id", ondelete="CASCADE"), index=True)

    proposal: orm.Mapped["Proposal"] = orm.relationship()
    user: orm.Mapped["User"] = orm.relationship()
