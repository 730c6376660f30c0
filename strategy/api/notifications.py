"""My notifications in /api/v1 (the site's bell uses the unread count).

URL rules (under /api/v1/events/<id>; the signed-in person's own notifications only):
  GET   /notifications                     notifications           newest first (100 at most)
  GET   /notifications/unread              notifications_unread    {"unread": n}
  POST  /notifications/<nid>/read          notification_read       mark one read
  POST  /notifications/read-all            notifications_read_all  mark all read
Someone else's notification, another event's or an unknown id: 404, nothing changed. Session
callers send the CSRF token in X-CSRFToken for the POSTs (strategy/api/auth.py checks it).
"""
from flask import url_for
from flask_babel import gettext as _
from marshmallow import fields, validate

from strategy.api import ID, bp
from strategy.api.auth import signed_in
from strategy.api.schemas import OutputSchema, envelope, when
from strategy.api.serializers import iso
from strategy.core.loading import load_event
from strategy.notifications import operations as ops
from strategy.notifications.models import Notification, NotificationKind
from strategy.notifications.queries import load_notification, my_notifications, unread_count

BASE = f"/events/<{ID}:event_id>/notifications"
TAGS = ["notifications"]


class NotificationSchema(OutputSchema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in NotificationKind]),
                         metadata={"description": "comment: my proposal was commented on; reply: "
                                   "a reply to my comment; answer: an official answer; hidden, "
                                   "restored, merged: moderation of my proposal; registered: my "
                                   "place on a waiting list became a registration"})
    read = fields.Boolean(required=True)
    created_at = when(required=True)
    proposal_id = fields.Integer(allow_none=True, required=True)
    proposal_title = fields.String(allow_none=True, required=True)
    comment_id = fields.Integer(allow_none=True, required=True)
    item_id = fields.Integer(allow_none=True, required=True)
    url = fields.String(allow_none=True, required=True, metadata={"description": "Where it leads"})


class UnreadSchema(OutputSchema):
    unread = fields.Integer(required=True)


class MarkedSchema(UnreadSchema):
    marked = fields.Integer(required=True, metadata={"description": "How many were marked read"})


def link(note: Notification):
    proposal = note.proposal
    if note.kind is NotificationKind.registered and note.item_id:
        return url_for("programme.item", event_id=note.event_id, item_id=note.item_id)
    if proposal is None:
        return None
    target = (proposal.merged_into_id if note.kind is NotificationKind.merged
              and proposal.merged_into_id else proposal.id)
    url = url_for("proposals.detail", event_id=note.event_id, proposal_id=target)
    return f"{url}#comment-{note.comment_id}" if note.comment_id else url


def notification_to_dict(note: Notification) -> dict:
    return {"id": note.id, "kind": note.kind.value, "read": note.is_read,
            "created_at": iso(note.created_at), "proposal_id": note.proposal_id,
            "proposal_title": note.proposal.title if note.proposal else None,
            "comment_id": note.comment_id, "item_id": note.item_id, "url": link(note)}


@bp.route(BASE, tags=TAGS)
@bp.response(200, envelope(NotificationSchema, many=True))
def notifications(event_id: int):
    """My notifications in this event, newest first; meta.message says how many are unread."""
    event = load_event(event_id)
    user = signed_in()
    rows = my_notifications(event, user)
    return {"success": True, "data": [notification_to_dict(n) for n in rows],
            "meta": {"message": _("Непрочитанных: %(n)d.", n=unread_count(event, user))}}


@bp.route(f"{BASE}/unread", tags=TAGS)
@bp.response(200, envelope(UnreadSchema))
def notifications_unread(event_id: int):
    """How many of my notifications in this event are unread (the bell's number)."""
    event = load_event(event_id)
    return {"success": True, "data": {"unread": unread_count(event, signed_in())}, "meta": {}}


@bp.route(f"{BASE}/<{ID}:notification_id>/read", methods=["POST"], tags=TAGS)
@bp.response(200, envelope(NotificationSchema))
def notification_read(event_id: int, notification_id: int):
    """Mark one of my notifications read (again is fine)."""
    event = load_event(event_id)
    user = signed_in()
    note = ops.mark_read(load_notification(event, notification_id, user), user)
    return {"success": True, "data": notification_to_dict(note),
            "meta": {"message": _("Уведомление отмечено прочитанным.")}}


@bp.route(f"{BASE}/read-all", methods=["POST"], tags=TAGS)
@bp.response(200, envelope(MarkedSchema))
def notifications_read_all(event_id: int):
    """Mark all my notifications in this event read."""
    event = load_event(event_id)
    user = signed_in()
    marked = ops.mark_all_read(event, user)
    return {"success": True, "data": {"marked": marked, "unread": unread_count(event, user)},
            "meta": {"message": _("Все уведомления отмечены прочитанными.")}}
