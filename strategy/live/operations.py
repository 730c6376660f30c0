"""Recording changes for live screens. Called inside an operation's transaction."""
from typing import Any, Optional

import sqlalchemy as sa

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
