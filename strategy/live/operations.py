"""Recording changes for live screens. Called inside an operation's transaction."""
from typing import Any, Optional

from strategy.extensions import db
from strategy.live.models import Change


def record_change(event_id: int, kind: str, *, track_id: Optional[int] = None,
                  proposal_id: Optional[int] = None, **payload: Any) -> Change:
    """Add a change row to the current transaction; it becomes visible with the commit."""
    change = Change(event_id=event_id, track_id=track_id, proposal_id=proposal_id, kind=kind,
                    payload=payload or None)
    db.session.add(change)
    return change
