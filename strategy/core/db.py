"""Declarative base, naming convention and small column helpers shared by all domains."""
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy import orm

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(orm.DeclarativeBase):
    """Base class of every model; constraint names are stable for migrations."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Current time as an aware UTC datetime (stored as naive UTC for portability)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class TimestampMixin:
    """created_at / updated_at columns, in UTC."""

    created_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow, index=True)
    updated_at: orm.Mapped[datetime] = orm.mapped_column(default=utcnow, onupdate=utcnow)


def lock_late(view):
    """Mark a write view whose reads (the person, event, track, proposal) run before it takes
    SQLite's write lock: its operation calls core.writes.write_lock() just before its first write, so the
    lock is held for the few writing statements only, not for the whole request (a support
    held it through loading the session's user, the event and the proposal, then took it a
    second time to refresh the proposal after the commit). See strategy.request_writes."""
    view.lock_late = True
    return view


# One writer per process and database: every greenlet (or thread) of a worker that wants
# SQLite's write lock queues here first, cooperatively under gevent (threading.Lock is gevent's
# once the worker is patched; the lock is made at first use, after the patch). So at most one
# connection per process asks SQLite for the lock, and the back-off below is only between
# processes, a handful of contenders whose transactions last a few milliseconds.
# Measured (make bench, 100 connections, 4 workers): with every greenlet polling SQLite itself
# and backing off up to 50 ms, a support took seconds and the app served 0.05 of the bare app.
_write_gates: dict = {}
GATE_INFO_KEY = "strategy_write_gate"


def write_gate(engine):
    """The process's lock for writing through ``engine``'s database (made on first use)."""
    import threading

    key = str(engine.url)
    gate = _write_gates.get(key)
    if gate is None:
        gate = _write_gates.setdefault(key, threading.Lock())
    return gate


def release_write_gate(info: dict) -> None:
    """Give the process's write turn back (after COMMIT or ROLLBACK, at checkin); idempotent."""
    gate = info.pop(GATE_INFO_KEY, None)
    if gate is not None:
        gate.release()


def begin_immediate(connection, timeout: float) -> None:
    """Take SQLite's write lock, waiting up to `timeout` seconds in Python, not in SQLite.

    SQLite's own busy handler sleeps the whole OS thread. Under gevent that is the whole worker:
    the greenlet holding the lock (paused on Redis or the socket) can never finish, so every
    writer of the worker waits out the full timeout (a join storm timed out this way). So the
    greenlets of one process take turns on the process's write gate (cooperative), and only the
    one whose turn it is asks SQLite without waiting, sleeping briefly (time.sleep, which gevent
    makes cooperative) while another process holds the lock. The turn ends with the
    transaction (see install_write_gate)."""
    take_write_lock(connection.engine, connection.connection.info,
                    connection.connection.dbapi_connection,
                    lambda: connection.exec_driver_sql("BEGIN IMMEDIATE"), timeout)


def begin_immediate_raw(engine, pooled, timeout: float) -> None:
    """:func:`begin_immediate` on a connection taken with ``engine.raw_connection()``: the
    driver's own BEGIN, for a path that runs its few statements on the driver (the support
    lane); the write turn ends at its COMMIT or ROLLBACK (:func:`end_raw_transaction`) or
    when the connection goes back to the pool."""
    driver = pooled.dbapi_connection
    driver.isolation_level = None  # no implicit BEGIN of pysqlite: ours
    take_write_lock(engine, pooled.info, driver, lambda: driver.execute("BEGIN IMMEDIATE"),
                    timeout)


def end_raw_transaction(pooled, statement: str) -> None:
    """COMMIT or ROLLBACK a transaction of :func:`begin_immediate_raw`, ending the turn."""
    try:
        pooled.dbapi_connection.execute(statement)
    finally:
        release_write_gate(pooled.info)


def take_write_lock(engine, info: dict, dbapi_connection, begin, timeout: float) -> None:
    """The process's write turn (``info`` keeps it), then ``begin()`` (BEGIN IMMEDIATE) tried
    without SQLite's busy wait until it gets the lock or ``timeout`` passes."""
    import sqlite3
    import time

    deadline = time.monotonic() + timeout
    if GATE_INFO_KEY not in info:
        gate = write_gate(engine)
        if not gate.acquire(timeout=max(timeout, 0.001)):
            raise sa.exc.OperationalError("BEGIN IMMEDIATE", {}, _Locked(
                "database is locked (another request of this process kept writing)"))
        info[GATE_INFO_KEY] = gate
    pause = 0.0005
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                begin()
                return
            except (sa.exc.OperationalError, sqlite3.OperationalError) as error:
                if "locked" not in str(getattr(error, "orig", error)) or \
                        time.monotonic() >= deadline:
                    release_write_gate(info)
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.004)
    except BaseException:
        release_write_gate(info)
        raise
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")


class _Locked(Exception):
    """What sqlite3 would have said: the callers look for "locked" in the message."""


def install_write_gate(engine) -> None:
    """End the process's write turn with the transaction that took it: at COMMIT or ROLLBACK,
    and at the latest when the connection goes back to the pool (or is invalidated)."""
    from sqlalchemy import event

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def end_turn(connection):
        try:
            info = connection.connection.info
        except sa.exc.SQLAlchemyError:  # invalidated: the pool's invalidate hook ends the turn
            return
        release_write_gate(info)

    @event.listens_for(engine, "checkin")
    @event.listens_for(engine, "invalidate")
    @event.listens_for(engine, "close")
    def end_turn_at_checkin(dbapi_connection, connection_record, *args):
        release_write_gate(connection_record.info)
