"""The notification list and the bell in the page header.

URL rules (all for the signed-in person, and only about their own notifications):
  GET   /events/<id>/notifications                    index      «Уведомления», newest first
  POST  /events/<id>/notifications/<nid>/read         read       «Отметить прочитанным»
  POST  /events/<id>/notifications/read-all           read_all   «Отметить все прочитанными»

The bell (templates/notifications/_bell.html, included by base.html) shows the unread count;
static/js/live.js refreshes it from /api/v1/events/<id>/notifications/unread when the event's
feed carries a ``notification`` change (which names nobody; see operations.py).
"""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from strategy.core.forms import EmptyForm
from strategy.core.loading import load_event
from strategy.notifications import bp
from strategy.notifications import operations as ops
from strategy.notifications.models import NotificationKind
from strategy.notifications.queries import load_notification, my_notifications, unread_count
from strategy.core.forms import require_button_form


bp.record_once(lambda state: ops.init_app(state.app))


@bp.app_template_global()
def notification_bell(event):
    """What the header's bell shows on this page, or None (no event, nobody signed in, or
    someone who does not act in this event)."""
    if event is None or not getattr(current_user, "is_authenticated", False):
        return None
    if not current_user.acts_in(event):
        return None
    # The page asks twice (the bell, the script); once per request is enough.
    counts = request.environ.setdefault("strategy.notification_unread", {})
    if event.id not in counts:
        counts[event.id] = unread_count(event, current_user)
    return {"event": event, "unread": counts[event.id]}



@bp.route("/events/<int:event_id>/notifications")
@login_required
def index(event_id: int):
    """«Уведомления»: mine in this event, newest first, unread marked."""
    event = load_event(event_id)
    notifications = my_notifications(event, current_user)
    return render_template("notifications/index.html", event=event,
                           notifications=notifications, kinds=NotificationKind,
                           unread=sum(1 for n in notifications if not n.is_read),
                           button_form=EmptyForm())


@bp.route("/events/<int:event_id>/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def read(event_id: int, notification_id: int):
    event = load_event(event_id)
    notification = load_notification(event, notification_id, current_user)
    require_button_form()
    ops.mark_read(notification, current_user)
    flash(_("Уведомление отмечено прочитанным."), "success")
    return redirect(url_for("notifications.index", event_id=event.id))


@bp.route("/events/<int:event_id>/notifications/read-all", methods=["POST"])
@login_required
def read_all(event_id: int):
    event = load_event(event_id)
    require_button_form()
    count = ops.mark_all_read(event, current_user)
    flash(_("Все уведомления отмечены прочитанными.") if count else
          _("Непрочитанных уведомлений нет."), "success")
    return redirect(url_for("notifications.index", event_id=event.id))
