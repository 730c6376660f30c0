"""Programme pages: the schedule with registration, «Моя программа», calendar files; the
organisers' and facilitators' screens for programme items, registrations and outcomes."""
from flask import render_template
from flask_login import current_user

from strategy.core.loading import load_event
from strategy.core.permissions import staff_required
from strategy.programme import bp


@bp.route("/events/<int:event_id>/manage/programme")
@staff_required
def manage(event_id: int):
    event = load_event(event_id)
    return render_template("programme/manage.html", event=event, user=current_user)
