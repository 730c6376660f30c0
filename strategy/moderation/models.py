"""Flags (жалобы) and the audit log of every moderation action."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import sqlalchemy as sa
from sqlalchemy import orm

from strategy.core.db import TimestampMixin
from strategy.extensions import db

if TYPE_CHECKING:
    from strategy.auth.models import User


class Flag(TimestampMixin, db.Model):
    """A participant's complaint about a proposal, a comment or a comment on a section of the
    published draft (then proposal_id is NULL); one per person per target."""

    __tablename__ = "flags"
    # target_key is "p<id>", "c<id>" or "s<id>" (a section comment): a NULL comment_id would
    # make the unique constraint useless (NULLs are distinct), and a flag flood from one person
    # must count once.
    __table_args__ = (sa.UniqueConstraint("user_id", "target_key"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    user_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    proposal_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    comment_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("comments.id", ondelete="CASCADE"))
    section_comment_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("section_comments.id", ondelete="CASCADE"))
    target_key: orm.Mapped[str] = orm.mapped_column(sa.String(24))
    reason: orm.Mapped[str] = orm.mapped_column(sa.String(500), default="")
    resolved: orm.Mapped[bool] = orm.mapped_column(default=False)

    user: orm.Mapped["User"] = orm.relationship()


class AuditEntry(TimestampMixin, db.Model):
    """Who did what to which object, with the state before and after."""

    __tablename__ = "audit_log"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    event_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    track_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("tracks.id", ondelete="SET NULL"), index=True)
    actor_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: orm.Mapped[str] = orm.mapped_column(sa.String(40), index=True)
    target_type: orm.Mapped[str] = orm.mapped_column(sa.String(20))
    target_id: orm.Mapped[Optional[int]] = orm.mapped_column()
    reason: orm.Mapped[str] = orm.mapped_column(sa.String(500), default="")
    before: orm.Mapped[Optional[dict[str, Any]]] = orm.mapped_column(sa.JSON)
    after: orm.Mapped[Optional[dict[str, Any]]] = orm.mapped_column(sa.JSON)

    actor: orm.Mapped[Optional["User"]] = orm.relationship()
