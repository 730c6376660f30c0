"""Short write transactions: take SQLite's write lock just before the first write and commit
without reloading what the request already read (the support path, see core.db.lock_late).
On PostgreSQL such a request's connection is in autocommit: a write of one statement commits
by itself, a write of several begins explicitly."""
from flask import current_app, request

from strategy.core.db import begin_immediate
from strategy.extensions import db


def autocommit_short_writes() -> None:
    """Before a lock_late view on PostgreSQL: the request's connection in autocommit. Its reads
    need no BEGIN, and a write of one statement (a support's CTE) commits with the statement,
    so the proposal's row lock ends there, not a round trip later once the greenlet runs again:
    under load, writers of a popular proposal queued behind a lock whose holder waited for
    its turn on the CPU. Writes of several statements begin explicitly (write_lock)."""
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, "lock_late", False) or db.session().in_transaction():
        return
    if db.engine.dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def write_lock(statements: int = 2) -> None:
    """Begin the write transaction now. SQLite: wait for its write lock cooperatively
    (begin_immediate); the reads before it were autocommit (no snapshot held, so the write
    can never meet a stale one). PostgreSQL in autocommit (autocommit_short_writes): BEGIN,
    unless the write is one statement, which is atomic and commits by itself. Nothing to do
    when this connection is already writing (a second call)."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        if statements > 1 and idle_in_autocommit(connection):
            connection.exec_driver_sql("BEGIN")
        return
    if connection.dialect.name != "sqlite":
        return
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection.in_transaction:
        return
    dbapi_connection.isolation_level = None  # our BEGIN, not pysqlite's before the first DML
    begin_immediate(connection, float(current_app.config.get("SQLITE_BUSY_TIMEOUT", 15)))


def idle_in_autocommit(connection) -> bool:
    dbapi_connection = connection.connection.dbapi_connection
    return bool(dbapi_connection.autocommit) and dbapi_connection.info.transaction_status == 0


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
