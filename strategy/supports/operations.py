"""Supporting a proposal and withdrawing the support."""
import sqlite3

import sqlalchemy as sa
from flask import g, has_request_context
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from strategy.auth.models import User
from strategy.core.db import begin_immediate, begin_immediate_raw, end_raw_transaction, utcnow
from strategy.core.writes import commit_keeping_loaded, write_lock
from strategy.core.errors import OperationError, operation
from strategy.core.permissions import ensure_event_allows, ensure_member
from strategy.extensions import db
from strategy.live.models import Change, ChangeKind
from strategy.live.operations import CURRENT_TXID, announce_at_commit, record_change_now
from strategy.proposals.models import Proposal, ProposalStatus
from strategy.supports.models import Support


def supports_used(user: User, track_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count(Support.id)).where(
        Support.user_id == user.id, Support.track_id == track_id)) or 0


def votes_left(user, track) -> int | None:
    """Supports a person may still give in a dot-voting track (None: unlimited, or anonymous).
    The answer to add_support in the same request uses the count it made (no second count)."""
    if track.support_budget is None or not getattr(user, "is_authenticated", False):
        return None
    used = g.pop("supports_used", {}).get((user.id, track.id)) if has_request_context() \
        else None
    if used is None:
        used = supports_used(user, track.id)
    return max(0, track.support_budget - used)


def has_supported(user: User, proposal: Proposal) -> bool:
    return db.session.scalar(sa.select(Support.id).where(
        Support.user_id == user.id, Support.proposal_id == proposal.id)) is not None


def ensure_can_support(proposal: Proposal, user: User) -> None:
    ensure_member(user, proposal.event)
    ensure_event_allows(proposal.event, "support")
    if proposal.status is not ProposalStatus.published:
        raise OperationError(_("Поддержать можно только опубликованное предложение."), 409)
    if not proposal.track.accepts_supports():
        raise OperationError(_("Поддержка в треке «%(track)s» закрыта.",
                               track=proposal.track.title), 409)
    if not proposal.event.allow_self_support and proposal.author_id == user.id:
        raise OperationError(_("Своё предложение поддержать нельзя."), 403)


def count_support(proposal: Proposal, delta: int, published_only: bool) -> int | None:
    """Change the proposal's support_count in SQL and return the new value (None: no row
    matched, e.g. it stopped being published). A Core statement on the session's connection:
    the ORM's bulk-update path costs more than the statement itself."""
    statement = COUNT_PUBLISHED if published_only else COUNT_ANY
    return db.session.connection().execute(statement, {
        "counted_id": proposal.id, "delta": delta, "counted_at": utcnow()}).scalar()


def insert_support(proposal: Proposal, user: User) -> int | None:
    """The support row, the proposal's new count and the live change; returns the count (None:
    the proposal is no longer published). IntegrityError when the person already supports it."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # one round trip instead of three: each is a wait and the server's work on 2 cores
        counted = support_count_and_change(connection, proposal, user.id)
        if counted is not None:
            announce_at_commit(proposal.event_id)
        return counted
    now = utcnow()
    connection.execute(INSERT_SUPPORT, {"proposal_id": proposal.id, "user_id": user.id,
                                        "track_id": proposal.track_id, "created_at": now,
                                        "updated_at": now})
    # Count only while the proposal is still published: a merge or hide that committed since we
    # read it makes this update touch no row, and the support is refused instead of stranded.
    counted = count_support(proposal, +1, published_only=True)
    if counted is not None:
        record_change_now(proposal.event_id, ChangeKind.support, track_id=proposal.track_id,
                          proposal_id=proposal.id)
    return counted


def support_count_and_change(connection, proposal, user_id: int) -> int | None:
    """PostgreSQL: the support, its count and its change in one statement (the new count, or
    None when the proposal is no longer published)."""
    return connection.execute(SUPPORT_COUNT_AND_CHANGE_PG, {
        "for_proposal": proposal.id, "by_user": user_id, "in_track": proposal.track_id,
        "now": utcnow()}).scalar()


def finish(proposal: Proposal, support_count: int) -> Proposal:
    """Commit; the proposal answers with the counter the UPDATE returned (no refresh)."""
    commit_keeping_loaded()
    set_committed_value(proposal, "support_count", support_count)
    return proposal


@operation
def add_support(proposal: Proposal, user: User) -> Proposal:
    """One support per person per proposal: the unique constraint decides under concurrency.
    The person, event, track and proposal were read before; the write lock is taken here,
    for the four writing statements only (strategy.core.writes.write_lock)."""
    ensure_can_support(proposal, user)
    budget = proposal.track.support_budget
    # without a budget, PostgreSQL writes a support in one statement (insert_support)
    write_lock(statements=1 if budget is None else 3)
    used = None
    if budget is not None:
        # Lock the person's row (PostgreSQL) so two parallel clicks cannot overspend the budget.
        db.session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
        used = supports_used(user, proposal.track_id)
        if used >= budget:
            raise OperationError(_("Вы уже использовали все голоса в этом треке (%(n)d).",
                                   n=budget), 409)
    try:
        counted = insert_support(proposal, user)
    except IntegrityError:
        db.session.rollback()
        raise OperationError(_("Вы уже поддержали это предложение."), 409)
    if counted is None:
        db.session.rollback()
        raise OperationError(_("Поддержать можно только опубликованное предложение."), 409)
    finish(proposal, counted)
    if used is not None and has_request_context():
        g.supports_used = {(user.id, proposal.track_id): used + 1}  # read once by votes_left
    return proposal


@operation
def withdraw_support(proposal: Proposal, user: User) -> Proposal:
    """Take one's support back while support is open."""
    ensure_member(user, proposal.event)
    ensure_event_allows(proposal.event, "support")
    if not proposal.track.accepts_supports():
        raise OperationError(_("Поддержка в треке «%(track)s» закрыта.",
                               track=proposal.track.title), 409)
    write_lock()
    if has_request_context():
        g.pop("supports_used", None)
    deleted = db.session.execute(sa.delete(Support).where(
        Support.proposal_id == proposal.id, Support.user_id == user.id))
    if deleted.rowcount == 0:
        db.session.rollback()
        raise OperationError(_("Вы не поддерживали это предложение."), 409)
    counted = count_support(proposal, -1, published_only=False)
    record_change_now(proposal.event_id, ChangeKind.support, track_id=proposal.track_id,
                      proposal_id=proposal.id)
    return finish(proposal, counted)


# --- statements, built once (SQLAlchemy keys its compiled-statement cache per object) --------

SUPPORTS, PROPOSALS, CHANGES = Support.__table__, Proposal.__table__, Change.__table__
INSERT_SUPPORT = sa.insert(SUPPORTS)


def count_statement(published_only: bool):
    statement = sa.update(PROPOSALS).where(PROPOSALS.c.id == sa.bindparam("counted_id"))
    if published_only:
        statement = statement.where(PROPOSALS.c.status == ProposalStatus.published)
    return statement.values(
        support_count=PROPOSALS.c.support_count + sa.bindparam("delta"),
        updated_at=sa.bindparam("counted_at")).returning(PROPOSALS.c.support_count)


def support_count_and_change_pg():
    """INSERT the support, UPDATE the count while published, INSERT the change: one statement
    of data-modifying CTEs (PostgreSQL runs them all, in one snapshot, or none). Constants are
    named parameters, and none is named like a column: an execution parameter with a column's
    name would also become a SET of the UPDATE."""
    now = sa.bindparam("now", type_=sa.DateTime())
    inserted = (sa.insert(SUPPORTS)
                .values(proposal_id=sa.bindparam("for_proposal"), user_id=sa.bindparam("by_user"),
                        track_id=sa.bindparam("in_track"), created_at=now, updated_at=now)
                .returning(SUPPORTS.c.proposal_id).cte("inserted"))
    counted = (sa.update(PROPOSALS)
               .where(PROPOSALS.c.id == sa.select(inserted.c.proposal_id).scalar_subquery(),
                      PROPOSALS.c.status == sa.bindparam(
                          "published", ProposalStatus.published, type_=PROPOSALS.c.status.type))
               .values(support_count=PROPOSALS.c.support_count + sa.bindparam("one", 1),
                       updated_at=now)
               .returning(PROPOSALS.c.id, PROPOSALS.c.event_id, PROPOSALS.c.track_id,
                          PROPOSALS.c.support_count).cte("counted"))
    change = sa.insert(CHANGES).from_select(
        ["event_id", "track_id", "proposal_id", "kind", "txid", "created_at", "updated_at"],
        sa.select(counted.c.event_id, counted.c.track_id, counted.c.id,
                  sa.bindparam("kind", ChangeKind.support.value), CURRENT_TXID, now, now)
    ).cte("change")
    return sa.select(counted.c.support_count).add_cte(change)


COUNT_PUBLISHED, COUNT_ANY = count_statement(True), count_statement(False)
SUPPORT_COUNT_AND_CHANGE_PG = support_count_and_change_pg()


# --- the support lane's write (strategy.supports.lane): raw SQL on a Core connection -------

# SQLAlchemy's SQLite DATETIME storage format, so the rows read back as the ORM wrote them
STORED = "%Y-%m-%d %H:%M:%S.%f"
LANE_INSERT_SUPPORT = ("INSERT INTO supports (proposal_id, user_id, track_id, created_at, "
                       "updated_at) VALUES (?, ?, ?, ?, ?)")
LANE_COUNT = ("UPDATE proposals SET support_count = support_count + 1, updated_at = ? "
              "WHERE id = ? AND status = 'published' RETURNING support_count")
LANE_INSERT_CHANGE = ("INSERT INTO changes (event_id, track_id, proposal_id, kind, created_at, "
                      "updated_at) VALUES (?, ?, ?, ?, ?, ?)")


def write_first_support_pg(connection, proposal, user_id: int):
    """PostgreSQL: the full app's one statement (support, count, change), autocommitted."""
    try:
        return support_count_and_change(connection, proposal, user_id)
    except IntegrityError:
        connection.rollback()
        return None


def write_first_support_sqlite(engine, pooled, proposal, user_id: int, timeout: float):
    """The support, the proposal's count and the live change in one short write transaction
    (the same rows as add_support) on a pooled driver connection (``engine.raw_connection()``):
    the new count, or None when it did not happen (already supported, no longer published),
    with nothing written. The statements go to the driver directly: SQLAlchemy's Core round
    trips (connection, BEGIN, COMMIT and their events) cost more than the four statements."""
    driver = pooled.dbapi_connection
    begin_immediate_raw(engine, pooled, timeout)
    now = utcnow().strftime(STORED)
    outcome = "ROLLBACK"
    try:
        try:
            driver.execute(LANE_INSERT_SUPPORT,
                           (proposal.id, user_id, proposal.track_id, now, now))
        except sqlite3.IntegrityError:
            return None
        counted = driver.execute(LANE_COUNT, (now, proposal.id)).fetchone()
        if counted is None:
            return None
        driver.execute(LANE_INSERT_CHANGE, (proposal.event_id, proposal.track_id, proposal.id,
                                            ChangeKind.support.value, now, now))
        outcome = "COMMIT"
        return counted[0]
    finally:
        end_raw_transaction(pooled, outcome)
