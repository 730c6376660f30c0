"""Short write transactions: take SQLite's write lock just before the first write and commit
without reloading what the request already read (the support path, see core.db.lock_late)."""
from flask import current_app

from strategy.core.db import begin_immediate
from strategy.extensions import db


def write_lock() -> None:
    """Begin the write transaction now, waiting for SQLite's write lock cooperatively
    (begin_immediate). The reads before it were autocommit (no snapshot held, so the write
    can never meet a stale one). Nothing to do on PostgreSQL, nor when this connection is
    already writing (a request that took the lock at its start, a second call)."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection.in_transaction:
        return
    dbapi_connection.isolation_level = None  # our BEGIN, not pysqlite's before the first DML
    begin_immediate(connection, float(current_app.config.get("SQLITE_BUSY_TIMEOUT", 15)))


def commit_keeping_loaded() -> None:
    """Commit without expiring what the session loaded: the answer of a short write (a
    support) is made from the rows this request already read and the counter the UPDATE
    returned, instead of a refresh query (which, in a write request, took the write lock a
    second time)."""
    session = db.session()
    before = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = before
