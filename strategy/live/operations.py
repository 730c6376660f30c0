"""Recording changes for live screens. Called inside an operation's transaction."""
from typing import Any, Optional

import sqlalchemy as sa

from strategy.core.db import utcnow
from strategy.extensions import db
from strategy.live.models import Change, ChangeKind

# The writing transaction's id as a plain integer (xid8 fits a bigint).
CURRENT_TXID = sa.literal_column("pg_current_xact_id()::text::bigint")


def record_change(event_id: int, kind: ChangeKind, *, track_id: Optional[int] = None,
                  proposal_id: Optional[int] = None, **payload: Any) -> Change:
    """Add a change row to the current transaction; it becomes visible with the commit."""
    kind = ChangeKind(kind)  # a misspelt kind fails here, not silently in the browser
    change = Change(event_id=event_id, track_id=track_id, proposal_id=proposal_id,
                    kind=kind.value, payload=payload or None)
    if db.session.get_bind().dialect.name == "postgresql":
        change.txid = CURRENT_TXID
    db.session.add(change)
    return change


def record_change_now(event_id: int, kind: ChangeKind, *, track_id: Optional[int] = None,
                      proposal_id: Optional[int] = None) -> None:
    """record_change as one Core INSERT on the session's connection, for the short writes whose
    event and proposal are already stored (a support): the ORM's unit of work for this one row
    cost more than the statement. The commit announces it as record_change's do."""
    kind = ChangeKind(kind)
    connection = db.session.connection()
    now = utcnow()
    statement = INSERT_CHANGE_PG if connection.dialect.name == "postgresql" else INSERT_CHANGE
    connection.execute(statement, {"event_id": event_id, "track_id": track_id,
                                   "proposal_id": proposal_id, "kind": kind.value,
                                   "created_at": now, "updated_at": now})
    announce_at_commit(event_id)


def announce_at_commit(event_id: int) -> None:
    """The commit tells the live screens of this event (strategy.live.broker)."""
    db.session.info.setdefault("live_touched_events", set()).add(event_id)


# Built once: SQLAlchemy caches a statement's compiled form under a key it computes per
# statement object, and computing it anew for each support was a tenth of the request.
INSERT_CHANGE = sa.insert(Change.__table__)
INSERT_CHANGE_PG = sa.insert(Change.__table__).values(txid=CURRENT_TXID)
