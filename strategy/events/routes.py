"""Event home (tracks, programme, counters), the track page with its proposals, and the
organisers' screens that set events and their tracks up.

URL rules:
  GET       /                                              index          public
  GET       /events/<id>                                   home           public (drafts: staff)
  GET       /events/<id>/tracks/<slug>                     track          public
  GET       /manage/events                                 manage_events  organiser
  GET, POST /manage/events/new                             create_event   organiser
  GET, POST /events/<id>/manage/event                      edit_event     organiser
  POST      /events/<id>/manage/event/<open|finish|archive> change_status organiser
  GET, POST /events/<id>/manage/tracks                     manage_tracks  organiser
  GET, POST /events/<id>/manage/tracks/<slug>/edit         edit_track     organiser
  POST      /events/<id>/manage/tracks/<slug>/move         move_track     organiser
  POST      /events/<id>/manage/tracks/<slug>/archive|restore  archive_track, restore_track
"""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from strategy.core.errors import OperationError
from strategy.core.forms import EmptyForm, form_error
from strategy.core.loading import load_event, load_track
from strategy.core.permissions import organiser_required
from strategy.core.templating import register_nav
from strategy.events import bp
from strategy.events import operations as ops
from strategy.events.forms import (TIMEZONE_HINTS, EventForm, TrackForm, event_data,
                                   event_form_data, track_data)
from strategy.events.queries import (event_counters, events_by_period, schedule_by_day,
                                     single_home_event, track_counters, visible_events)
from strategy.extensions import db
from strategy.proposals.cards import track_listing
from strategy.proposals.forms import kind_choices
from strategy.proposals.queries import ListFilters, municipalities, proposals_query
from strategy.review.queries import answer_filter_choices, answers_for
from strategy.supports.operations import votes_left


def nav_items(event, user):
    """Organisers' menu entries for setting events up (register_nav provider)."""
    if not getattr(user, "is_organiser", False):
        return []
    items = [{"url": url_for("events.manage_events"), "label": _("Все мероприятия")}]
    if event is not None and user.can_manage(event):
        items.append({"url": url_for("events.edit_event", event_id=event.id),
                      "label": _("Настройка мероприятия")})
    return items


bp.record_once(lambda state: register_nav(state.app, nav_items))



@bp.route("/")
def index():
    """One event: its home, as before. Several: current, upcoming and past events."""
    event = single_home_event(current_user)
    if event is not None:
        return home(event.id)
    events = visible_events(current_user)
    if not events:
        return render_template("events/empty.html")
    return render_template("events/index.html", groups=events_by_period(events))


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
    show_counts = track.counts_visible_to(current_user)

    def render_listing(cards):
        page = db.paginate(proposals_query(track, filters), page=filters.page, per_page=20,
                           error_out=False)
        items = list(page.items)
        cards.answers = answers_for(p.id for p in items)
        return render_template("proposals/_listing.html", event=event, track=track, page=page,
                               proposals=items, filters=filters,
                               municipalities=municipalities(track), kinds=kind_choices(),
                               answer_choices=answer_filter_choices(), cards=cards)

    listing, _ids = track_listing(event, track, filters, current_user, show_counts,
                                  render_listing)
    return render_template("proposals/list.html", event=event, track=track, filters=filters,
                           listing=listing, show_counts=show_counts,
                           budget_left=votes_left(current_user, track))


@bp.route("/events/<int:event_id>/tracks")
def tracks(event_id: int):
    return redirect(url_for("events.home", event_id=event_id))


# --- organisers: events ----------------------------------------------------------------------

@bp.route("/manage/events")
@organiser_required
def manage_events():
    """Every event of the installation with its state."""
    mine = [e for e in visible_events(current_user) if e.can_manage(current_user)]
    return render_template("events/manage_list.html", groups=events_by_period(mine))


def render_event_form(form, event=None, status=200):
    return render_template("events/form.html", form=form, event=event,
                           timezones=TIMEZONE_HINTS, button_form=EmptyForm()), status


@bp.route("/manage/events/new", methods=["GET", "POST"])
@organiser_required
def create_event():
    """A new event starts as a draft that only staff see."""
    if not current_user.can_create_events:
        raise OperationError(_("Новые мероприятия создаёт методическая группа всей "
                               "площадки, а не одного мероприятия."), 403)
    form = EventForm()
    if not form.validate_on_submit():
        return render_event_form(form, status=400 if request.method == "POST" else 200)
    try:
        event = ops.create_event(current_user, event_data(form))
    except OperationError as error:
        db.session.rollback()
        form_error(form, error)
        return render_event_form(form, status=error.status)
    flash(_("Мероприятие «%(title)s» создано как черновик. Добавьте треки и программу, затем "
            "откройте его.", title=event.title), "success")
    return redirect(url_for("events.manage_tracks", event_id=event.id))


@bp.route("/events/<int:event_id>/manage/event", methods=["GET", "POST"])
@organiser_required
def edit_event(event_id: int):
    event = load_event(event_id)
    form = EventForm(data=event_form_data(event) if request.method == "GET" else None)
    if not form.validate_on_submit():
        return render_event_form(form, event, status=400 if request.method == "POST" else 200)
    try:
        changed = ops.update_event(event, current_user, event_data(form))
    except OperationError as error:
        db.session.rollback()
        form_error(form, error)
        return render_event_form(form, event, status=error.status)
    flash(_("Сохранено.") if changed else _("Изменений нет."), "success")
    return redirect(url_for("events.edit_event", event_id=event.id))


STATUS_MESSAGES = {"open": "Мероприятие открыто: участники видят его и могут войти по коду.",
                   "finish": "Мероприятие завершено: приём предложений и поддержка закрыты.",
                   "archive": "Мероприятие в архиве: оно доступно только для чтения."}


@bp.route("/events/<int:event_id>/manage/event/<action>", methods=["POST"])
@organiser_required
def change_status(event_id: int, action: str):
    event = load_event(event_id)
    if action not in ops.TRANSITIONS:
        raise OperationError(_("Страница не найдена."), 404)
    if not EmptyForm().validate_on_submit():
        raise OperationError(_("Страница устарела. Обновите её и повторите."), 400)
    ops.change_event_status(event, current_user, action)
    flash(_(STATUS_MESSAGES[action]), "success")
    return redirect(url_for("events.edit_event", event_id=event.id))


# --- organisers: tracks ----------------------------------------------------------------------

def render_tracks(event, form, status=200):
    return render_template("events/tracks.html", event=event, form=form,
                           button_form=EmptyForm()), status


@bp.route("/events/<int:event_id>/manage/tracks", methods=["GET", "POST"])
@organiser_required
def manage_tracks(event_id: int):
    """The event's tracks in order; add a track."""
    event = load_event(event_id)
    form = TrackForm()
    if not form.validate_on_submit():
        return render_tracks(event, form, 400 if request.method == "POST" else 200)
    try:
        track = ops.create_track(event, current_user, track_data(form))
    except OperationError as error:
        db.session.rollback()
        form_error(form, error)
        return render_tracks(event, form, error.status)
    flash(_("Трек «%(title)s» добавлен.", title=track.title), "success")
    return redirect(url_for("events.manage_tracks", event_id=event.id))


@bp.route("/events/<int:event_id>/manage/tracks/<slug>/edit", methods=["GET", "POST"])
@organiser_required
def edit_track(event_id: int, slug: str):
    event = load_event(event_id)
    track = load_track(event, slug)
    form = TrackForm(obj=track if request.method == "GET" else None)
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            changed = ops.update_track(track, current_user, track_data(form))
        except OperationError as error:
            db.session.rollback()
            form_error(form, error)
            status = error.status
        else:
            flash(_("Трек сохранён.") if changed else _("Изменений нет."), "success")
            return redirect(url_for("events.manage_tracks", event_id=event.id))
    return render_template("events/track_form.html", event=event, track=track,
                           form=form), status


def track_action(event_id: int, slug: str, action):
    event = load_event(event_id)
    track = load_track(event, slug)
    if not EmptyForm().validate_on_submit():
        raise OperationError(_("Страница устарела. Обновите её и повторите."), 400)
    action(track)
    return redirect(url_for("events.manage_tracks", event_id=event.id))


@bp.route("/events/<int:event_id>/manage/tracks/<slug>/move", methods=["POST"])
@organiser_required
def move_track(event_id: int, slug: str):
    direction = request.form.get("direction", "")
    return track_action(event_id, slug, lambda t: ops.move_track(t, current_user, direction))


@bp.route("/events/<int:event_id>/manage/tracks/<slug>/archive", methods=["POST"])
@organiser_required
def archive_track(event_id: int, slug: str):
    def archive(track):
        ops.set_track_archived(track, current_user, True)
        flash(_("Трек «%(title)s» перенесён в архив.", title=track.title), "success")

    return track_action(event_id, slug, archive)


@bp.route("/events/<int:event_id>/manage/tracks/<slug>/restore", methods=["POST"])
@organiser_required
def restore_track(event_id: int, slug: str):
    def restore(track):
        ops.set_track_archived(track, current_user, False)
        flash(_("Трек «%(title)s» возвращён.", title=track.title), "success")

    return track_action(event_id, slug, restore)
