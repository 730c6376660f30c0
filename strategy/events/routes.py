"""Event home (tracks, programme, counters) and the track page with its proposals."""
from flask import redirect, render_template, request, url_for
from flask_login import current_user

from strategy.events import bp
from strategy.core.loading import load_event, load_track
from strategy.events.queries import (current_event, event_counters, schedule_by_day,
                                     supported_ids, track_counters)
from strategy.extensions import db
from strategy.core.forms import EmptyForm
from strategy.proposals.forms import kind_choices
from strategy.proposals.queries import ListFilters, municipalities, proposals_query
from strategy.supports.operations import votes_left



@bp.route("/")
def index():
    event = current_event()
    if event is None:
        return render_template("events/empty.html")
    return home(event.id)


@bp.route("/events/<int:event_id>")
def home(event_id: int):
    event = load_event(event_id)
    return render_template("events/home.html", event=event, days=schedule_by_day(event),
                           counters=event_counters(event), per_track=track_counters(event))


@bp.route("/events/<int:event_id>/tracks/<slug>")
def track(event_id: int, slug: str):
    event = load_event(event_id)
    track = load_track(event, slug)
    filters = ListFilters.from_args(request.args)
    page = db.paginate(proposals_query(track, filters), page=filters.page, per_page=20,
                       error_out=False)
    items = list(page.items)
    return render_template("proposals/list.html", event=event, track=track, page=page,
                           proposals=items, filters=filters,
                           municipalities=municipalities(track),
                           supported=supported_ids(current_user, [p.id for p in items]),
                           show_counts=track.counts_visible_to(current_user),
                           kinds=kind_choices(), button_form=EmptyForm(),
                           budget_left=votes_left(current_user, track))


@bp.route("/events/<int:event_id>/tracks")
def tracks(event_id: int):
    return redirect(url_for("events.home", event_id=event_id))
