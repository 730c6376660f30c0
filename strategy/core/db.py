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


def begin_immediate(connection, timeout: float) -> None:
    """Take SQLite's write lock, waiting up to `timeout` seconds in Python, not in SQLite.

    SQLite's own busy handler sleeps the whole OS thread. Under gevent that is the whole worker:
    the greenlet holding the lock (paused on Redis or the socket) can never finish, so every
    writer of the worker waits out the full timeout (a join storm timed out this way). Asking
    without waiting and sleeping with time.sleep, which gevent makes cooperative, lets the
    holder run; in threaded servers it behaves like the busy handler."""
    import time

    dbapi_connection = connection.connection.dbapi_connection
    deadline = time.monotonic() + timeout
    pause = 0.001
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except sa.exc.OperationalError as error:
                if "locked" not in str(error.orig) or time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
