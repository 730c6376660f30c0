"""Proposals (предложения), their edit history and the libraries that join them."""
from __future__ import annotations

import enum
import re
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy import orm

from strategy.core.db import TimestampMixin, utcnow
from strategy.extensions import db

if TYPE_CHECKING:
    from strategy.auth.models import User
    from strategy.events.models import Event, Track

TITLE_MAX = 200
BODY_MAX = 5000
FIELD_MAX = 1000


_WORD = re.compile(r"[^\W_]+", re.UNICODE)


_local = threading.local()


def _stemmers():
    """Stemmers of this thread: a Snowball stemmer keeps state while it works, so one shared
    between request threads raised and returned wrong stems."""
    if not hasattr(_local, "stemmers"):
        import snowballstemmer

        _local.stemmers = snowballstemmer.stemmer("russian"), snowballstemmer.stemmer("english")
    return _local.stemmers


def fold_for_search(text: str) -> str:
    """Stems of the words, lower-cased with ё→е: the same form for stored text and for queries,
    so 'родителями' finds 'родителей' on SQLite and PostgreSQL alike."""
    russian, english = _stemmers()
    words = _WORD.findall((text or "").casefold().replace("ё", "е"))
    return " ".join(
        (russian if any("а" <= ch <= "я" for ch in word) else english).stemWord(word)
        for word in words)


class ProposalKind(enum.Enum):
    idea = "idea"
    project = "project"
    practice = "practice"

    @property
    def label(self) -> str:
        from flask_babel import gettext as _

        return {"idea": _("Идея"), "project": _("Проект"), "practice": _("Практика")}[self.value]


class ProposalStatus(enum.Enum):
    pending = "pending"      # на модерации
    published = "published"  # опубликовано
    hidden = "hidden"        # скрыто
    merged = "merged"        # объединено с …

    @property
    def label(self) -> str:
        from flask_babel import gettext as _

        return {
            "pending": _("На модерации"),
            "published": _("Опубликовано"),
            "hidden": _("Скрыто"),
            "merged": _("Объединено"),
        }[self.value]


def analysis_text(title: str, body: str, expected_result: str = "") -> str:
    """The one text of a proposal that analysis/ gets: title, body and expected result."""
    return ". ".join(part.strip().rstrip(".") for part in (title, body, expected_result)
                     if part and part.strip())


class Proposal(TimestampMixin, db.Model):
    """A proposal for the strategy, submitted to one track."""

    __tablename__ = "proposals"
    # The track page's default order walked in the index, and its count and filters covered:
    # with 5,000 proposals SQLite sorted the whole track (body text and all) for each page.
    __table_args__ = (
        sa.Index("ix_proposals_track_order", "track_id", "status", "is_pinned", "support_count",
                 "id"),
        sa.Index("ix_proposals_track_authors", "track_id", "status", "author_id"),
    )

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    event_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    track_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    author_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title: orm.Mapped[str] = orm.mapped_column(sa.String(TITLE_MAX))
    body: orm.Mapped[str] = orm.mapped_column(sa.Text)
    kind: orm.Mapped[ProposalKind] = orm.mapped_column(
        sa.Enum(ProposalKind, native_enum=False, length=20), default=ProposalKind.idea)
    expected_result: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    partners: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    status: orm.Mapped[ProposalStatus] = orm.mapped_column(
        sa.Enum(ProposalStatus, native_enum=False, length=20),
        default=ProposalStatus.published, index=True)
    hidden_reason: orm.Mapped[str] = orm.mapped_column(sa.String(500), default="")
    merged_into_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("proposals.id", ondelete="SET NULL"))
    is_pinned: orm.Mapped[bool] = orm.mapped_column(default=False)
    # Denormalised counters, changed only by atomic SQL increments in the same transaction
    # as the row they count, so they stay exact under concurrent use.
    support_count: orm.Mapped[int] = orm.mapped_column(default=0)
    comment_count: orm.Mapped[int] = orm.mapped_column(default=0)
    join_count: orm.Mapped[int] = orm.mapped_column(default=0)
    flag_count: orm.Mapped[int] = orm.mapped_column(default=0)
    # Lower-cased title and text (ё→е) so that search works the same on SQLite and PostgreSQL:
    # SQLite's lower() does not fold Cyrillic.
    search_text: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    # Where the proposal came from: typed in the app, or imported by the methodical group.
    source: orm.Mapped[str] = orm.mapped_column(sa.String(20), default="app")

    event: orm.Mapped["Event"] = orm.relationship()
    track: orm.Mapped["Track"] = orm.relationship()
    author: orm.Mapped[Optional["User"]] = orm.relationship()
    merged_into: orm.Mapped[Optional["Proposal"]] = orm.relationship(remote_side="Proposal.id")
    revisions: orm.Mapped[list["ProposalRevision"]] = orm.relationship(
        back_populates="proposal", order_by="ProposalRevision.id", cascade="all, delete-orphan")
    joins: orm.Mapped[list["LibraryJoin"]] = orm.relationship(
        back_populates="proposal", order_by="LibraryJoin.id", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Proposal {self.id} {self.title[:30]!r}>"

    @property
    def is_visible(self) -> bool:
        return self.status is ProposalStatus.published

    @property
    def analysis_text(self) -> str:
        """What the grouping and the similarity hints read of a proposal."""
        return analysis_text(self.title, self.body, self.expected_result)

    def refresh_search_text(self) -> None:
        self.search_text = fold_for_search(" ".join((self.title, self.body, self.expected_result,
                                                     self.partners)))

    def can_view(self, user: Optional["User"]) -> bool:
        """Published proposals are public; others only to their author and moderators."""
        if self.status is ProposalStatus.published:
            return True
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        return user.id == self.author_id or user.can_moderate(self.track)

    def can_edit(self, user: Optional["User"]) -> bool:
        """Only the author, only while the track accepts proposals, never once merged/hidden."""
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        if self.status in (ProposalStatus.merged, ProposalStatus.hidden):
            return False
        return (user.id == self.author_id and user.acts_in(self.event)
                and self.event.can_take_part("edit") and self.track.accepts_proposals())

    def can_support(self, user: Optional["User"]) -> bool:
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        if self.status is not ProposalStatus.published or not self.track.accepts_supports():
            return False
        if not self.event.can_take_part("support"):
            return False
        if not user.acts_in(self.event):
            return False
        return self.event.allow_self_support or user.id != self.author_id


class ProposalRevision(db.Model):
    """One saved state of a proposal before an edit: the history that edits keep."""

    __tablename__ = "proposal_revisions"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    proposal_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    editor_id: orm.Mapped[Optional[int]] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    title: orm.Mapped[str] = orm.mapped_column(sa.String(TITLE_MAX))
    body: orm.Mapped[str] = orm.mapped_column(sa.Text)
    expected_result: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    partners: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    kind: orm.Mapped[str] = orm.mapped_column(sa.String(20), default="idea")
    created_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow)

    proposal: orm.Mapped[Proposal] = orm.relationship(back_populates="revisions")
    editor: orm.Mapped[Optional["User"]] = orm.relationship()


class LibraryJoin(TimestampMixin, db.Model):
    """A library declares that it joins a project (присоединиться к проекту)."""

    __tablename__ = "library_joins"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "user_id"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    proposal_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    user_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    library: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    municipality: orm.Mapped[str] = orm.mapped_column(sa.String(120), default="")
    note: orm.Mapped[str] = orm.mapped_column(sa.String(500), default="")

    proposal: orm.Mapped[Proposal] = orm.relationship(back_populates="joins")
    user: orm.Mapped["User"] = orm.relationship()
