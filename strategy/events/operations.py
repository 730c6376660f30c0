"""Writes of the event domain: phases of a track, its support rules, the event's settings.

Each write checks the actor's right itself, records an audit entry and a change for live
screens in the same transaction, then commits.
"""
from datetime import datetime
from typing import Any, Optional

from flask_babel import gettext as _

from strategy.auth.models import User
from strategy.core.audit import audit, lock
from strategy.core.db import utcnow
from strategy.core.errors import OperationError, operation
from strategy.core.permissions import ensure_can_manage, ensure_can_moderate
from strategy.events.models import Event, ModerationMode, Track
from strategy.extensions import db
from strategy.live.models import ChangeKind
from strategy.live.operations import record_change

BUDGET_MAX = 50
FLAG_THRESHOLD_MAX = 50
PHASES = ("submission", "support")


def phase_is_open(track: Track, phase: str, now: Optional[datetime] = None) -> bool:
    return track.accepts_proposals(now) if phase == "submission" else track.accepts_supports(now)


def phase_state(track: Track) -> dict[str, Any]:
    def iso(value):
        return value.isoformat() if value else None

    return {"submission_open": track.submission_open,
            "submission_ends_at": iso(track.submission_ends_at),
            "support_open": track.support_open, "support_ends_at": iso(track.support_ends_at)}


def check_phase_name(phase: str) -> None:
    if phase not in PHASES:
        raise OperationError(_("Неизвестный этап."), 404)


@operation
def open_phase(track: Track, actor: User, phase: str,
               ends_at: Optional[datetime] = None) -> Track:
    """Open submission or support, optionally until ends_at (UTC); also moves the end time."""
    check_phase_name(phase)
    ensure_can_moderate(actor, track)
    now = utcnow()
    if ends_at is not None and ends_at <= now:
        raise OperationError(_("Время окончания уже прошло. Укажите время в будущем."), 400)
    lock(track)
    if phase_is_open(track, phase, now) and getattr(track, f"{phase}_ends_at") == ends_at:
        raise OperationError(_("Приём предложений уже открыт.") if phase == "submission" else
                             _("Поддержка уже открыта."), 409)
    before = phase_state(track)
    setattr(track, f"{phase}_open", True)
    setattr(track, f"{phase}_ends_at", ends_at)
    return finish_track(track, actor, f"{phase}_open", before)


@operation
def close_phase(track: Track, actor: User, phase: str) -> Track:
    """Close submission or support now; closing a closed phase is refused."""
    check_phase_name(phase)
    ensure_can_moderate(actor, track)
    lock(track)
    if not phase_is_open(track, phase):
        raise OperationError(_("Приём предложений уже закрыт.") if phase == "submission" else
                             _("Поддержка уже закрыта."), 409)
    before = phase_state(track)
    setattr(track, f"{phase}_open", False)
    setattr(track, f"{phase}_ends_at", None)
    return finish_track(track, actor, f"{phase}_close", before)


@operation
def finish_track(track: Track, actor: User, action: str, before: dict[str, Any]) -> Track:
    after = phase_state(track) | rules_state(track)
    audit(actor, action, event_id=track.event_id, track_id=track.id, target_type="track",
          target_id=track.id, before=before, after={k: after[k] for k in before})
    record_change(track.event_id, ChangeKind.phase, track_id=track.id, action=action)
    db.session.commit()
    return track


def rules_state(track: Track) -> dict[str, Any]:
    return {"support_budget": track.support_budget, "hide_counts": track.hide_counts,
            "projector_shows_counts": track.projector_shows_counts}


@operation
def set_support_rules(track: Track, actor: User, *, budget: Optional[int], hide_counts: bool,
                      projector_shows_counts: bool) -> bool:
    """Unlimited or N supports per person (dot voting), hidden counts; False if nothing changed."""
    ensure_can_moderate(actor, track)
    if budget is not None and not 1 <= budget <= BUDGET_MAX:
        raise OperationError(_("Число голосов на человека — от 1 до %(n)d, или без ограничения.",
                               n=BUDGET_MAX), 400)
    lock(track)
    before = rules_state(track)
    track.support_budget = budget
    track.hide_counts = hide_counts
    track.projector_shows_counts = projector_shows_counts
    if rules_state(track) == before:
        return False
    finish_track(track, actor, "support_rules", before)
    return True


@operation
def set_event_settings(event: Event, actor: User, *, moderation_mode: str,
                       flag_threshold: int) -> bool:
    """Organisers choose pre- or post-moderation and how many flags send an item back."""
    ensure_can_manage(actor, event)
    try:
        mode = ModerationMode(moderation_mode)
    except ValueError:
        raise OperationError(_("Выберите режим модерации из списка."), 400)
    if not 1 <= flag_threshold <= FLAG_THRESHOLD_MAX:
        raise OperationError(_("Число жалоб — от 1 до %(n)d.", n=FLAG_THRESHOLD_MAX), 400)
    before = {"moderation_mode": event.moderation_mode.value,
              "flag_threshold": event.flag_threshold}
    event.moderation_mode = mode
    event.flag_threshold = flag_threshold
    after = {"moderation_mode": mode.value, "flag_threshold": flag_threshold}
    if after == before:
        return False
    audit(actor, "event_settings", event_id=event.id, track_id=None, target_type="event",
          target_id=event.id, before=before, after=after)
    record_change(event.id, ChangeKind.phase, action="event_settings")
    db.session.commit()
    return True
