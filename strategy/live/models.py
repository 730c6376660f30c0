"""The change log that live screens read: state lives in the database, not in a process."""
from __future__ import annotations

from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy import orm

from strategy.core.db import TimestampMixin
from strategy.extensions import db


class Change(TimestampMixin, db.Model):
    """One thing that happened in an event; its id is the cursor clients catch up from."""

    __tablename__ = "changes"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    event_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    track_id: orm.Mapped[Optional[int]] = orm.mapped_column(index=True)
    proposal_id: orm.Mapped[Optional[int]] = orm.mapped_column()
    kind: orm.Mapped[str] = orm.mapped_column(sa.String(40))
    payload: orm.Mapped[Optional[dict[str, Any]]] = orm.mapped_column(sa.JSON)
