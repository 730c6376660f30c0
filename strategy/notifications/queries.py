"""Reads of notifications: always one person's own, in one event."""
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import orm

from strategy.core.errors import OperationError
from strategy.events.models import Event
from strategy.extensions import db
from strategy.notifications.models import Notification

LIST_LIMIT = 100


def signed_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def unread_count(event: Event, user) -> int:
    if not signed_in(user):
        return 0
    return db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.event_id == event.id,
        Notification.read_at.is_(None))) or 0


def my_notifications(event: Event, user, limit: int = LIST_LIMIT) -> list[Notification]:
    """Newest first, with what each one links to."""
    if not signed_in(user):
        return []
    return list(db.session.scalars(
        sa.select(Notification).where(Notification.user_id == user.id,
                                      Notification.event_id == event.id)
        .options(orm.selectinload(Notification.proposal), orm.selectinload(Notification.comment),
                 orm.selectinload(Notification.item))
        .order_by(Notification.id.desc()).limit(limit)))


def load_notification(event: Event, notification_id: int, user) -> Notification:
    """One of my notifications in this event; anything else (someone else's, another
    event's, unknown) is the same 404, so ids reveal nothing."""
    notification: Optional[Notification] = db.session.get(Notification, notification_id)
    if (notification is None or notification.event_id != event.id
            or not notification.can_view(user)):
        raise OperationError(_("Уведомление не найдено."), 404)
    return notification
