"""The change log that live screens read: state lives in the database, not in a process."""
from __future__ import annotations

import enum
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy import orm

from strategy.core.db import TimestampMixin
from strategy.extensions import db


class ChangeKind(str, enum.Enum):
    """What happened; the page hands these names to static/js/live.js (data-kinds)."""

    proposal_created = "proposal_created"
    proposal_updated = "proposal_updated"
    moderated = "moderated"
    support = "support"
    comment_created = "comment_created"
    comment_moderated = "comment_moderated"
    flag = "flag"
    user_moderated = "user_moderated"
    phase = "phase"
    join = "join"
    event = "event"  # the event's settings or state (programme helper: set-up screens)
    track = "track"
    programme = "programme"
    registration = "registration"
    section_edit = "section_edit"  # the workspace board: a section or a card moved
    assessment = "assessment"  # an expert saved an assessment (review)
    answer = "answer"  # a proposal got its official answer (review)
    poll = "poll"  # a live poll opened, closed or answered (payload: poll_id, state)
    # Someone in the event got a notification: no payload, no ids (it is private); open pages
    # ask /api/v1/events/<id>/notifications/unread for their own count.
    notification = "notification"
    draft = "draft"  # the published draft: a section supported or commented, the phase moved


# The kinds that change what the workspace board shows (static/js/board.js redraws on these).
BOARD_KINDS = frozenset({ChangeKind.section_edit, ChangeKind.support, ChangeKind.comment_created,
                         ChangeKind.comment_moderated, ChangeKind.moderated,
                         ChangeKind.proposal_created, ChangeKind.proposal_updated})

# The kinds that change what the moderation queue shows (the queue re-renders on these).
QUEUE_KINDS = frozenset({ChangeKind.proposal_created, ChangeKind.proposal_updated,
                         ChangeKind.moderated, ChangeKind.comment_created,
                         ChangeKind.comment_moderated, ChangeKind.flag,
                         ChangeKind.user_moderated, ChangeKind.phase})


class Change(TimestampMixin, db.Model):
    """One thing that happened in an event; its id is the cursor clients catch up from.

    ``txid`` is the writing transaction's id on PostgreSQL (``pg_current_xact_id()``), NULL on
    SQLite: the feed orders by (txid, id) there and reads only finished transactions, so a
    change that commits late is never skipped (see strategy/live/broker.py).
    """

    __tablename__ = "changes"
    __table_args__ = (sa.Index("ix_changes_event_position", "event_id", "txid", "id"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    event_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    track_id: orm.Mapped[Optional[int]] = orm.mapped_column(index=True)
    proposal_id: orm.Mapped[Optional[int]] = orm.mapped_column()
    kind: orm.Mapped[str] = orm.mapped_column(sa.String(40))
    payload: orm.Mapped[Optional[dict[str, Any]]] = orm.mapped_column(sa.JSON)
    txid: orm.Mapped[Optional[int]] = orm.mapped_column(sa.BigInteger)
