"""The audit log every staff action writes (who, what, before, after), in its own transaction."""
from typing import Any, Optional

from strategy.auth.models import User
from strategy.extensions import db
from strategy.moderation.models import AuditEntry


def audit(actor: Optional[User], action: str, *, event_id: int, track_id: Optional[int],
          target_type: str, target_id: Optional[int], reason: str = "",
          before: Optional[dict[str, Any]] = None,
          after: Optional[dict[str, Any]] = None) -> AuditEntry:
    """Add an audit entry to the current transaction."""
    entry = AuditEntry(event_id=event_id, track_id=track_id, actor_id=actor.id if actor else None,
                       action=action, target_type=target_type, target_id=target_id,
                       reason=reason, before=before, after=after)
    db.session.add(entry)
    return entry


def lock(obj) -> None:
    """Re-read the row under a lock (PostgreSQL) so two moderators cannot interleave."""
    db.session.refresh(obj, with_for_update=True)
