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
    values = {"event_id": event_id, "track_id": track_id, "proposal_id": proposal_id,
              "kind": kind.value, "created_at": now, "updated_at": now}
    if connection.dialect.name == "postgresql":
        values["txid"] = CURRENT_TXID
    connection.execute(sa.insert(Change.__table__).values(**values))
    db.session.info.setdefault("live_touched_events", set()).add(event_id)
