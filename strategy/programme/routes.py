"""Programme pages: the schedule with registration, «Моя программа», calendar files; the
organisers' and facilitators' screens for programme items, registrations and outcomes.

URL rules:
  GET       /events/<id>/programme                               index           public
  GET       /events/<id>/programme/<item>                        item            public
  GET       /events/<id>/programme/<item>.ics                    item_ics        public
  POST      /events/<id>/programme/<item>/register               register        signed in
  POST      /events/<id>/programme/<item>/cancel                 cancel          signed in
  GET       /events/<id>/my/programme[.ics]                      mine, mine_ics  signed in
  GET       /events/<id>/manage/programme                        manage          staff
  GET, POST /events/<id>/manage/programme/new                    create          staff (track)
  GET, POST /events/<id>/manage/programme/<item>/edit            edit            staff (track)
  POST      /events/<id>/manage/programme/<item>/delete          delete          staff (track)
  GET, POST /events/<id>/manage/programme/<item>/registrations   registrations   staff (track)
  GET       /events/<id>/manage/programme/<item>/registrations.csv|.xlsx          staff (track)
  GET, POST /events/<id>/manage/programme/<item>/outcome         outcome         staff (track)
  POST      /events/<id>/manage/event/copy                       copy_event      organiser
"""
import csv
import io
import re

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from openpyxl import Workbook

from strategy.core.errors import OperationError
from strategy.core.forms import EmptyForm, form_error, require_button_form
from strategy.core.loading import load_event
from strategy.core.permissions import organiser_required, staff_required
from strategy.core.templating import register_nav
from strategy.events.forms import TIMEZONE_HINTS, EventForm, event_form_data
from strategy.events.operations import FieldError
from strategy.extensions import db
from strategy.programme import bp
from strategy.programme import cli  # noqa: F401  (attaches `flask event …` to bp.cli)
from strategy.programme import operations as ops
from strategy.core.redirects import safe_next
from strategy.programme.forms import (CopyEventForm, ItemForm, OutcomeForm, RegisterForm,
                                      item_data, item_form_data)
from strategy.programme.queries import (REGISTRATION_COLUMNS, calendar_file, event_file,
                                        items_by_day,
                                        load_programme_item, my_programme, online_link_for,
                                        outcome_proposals, place_counts, places_left,
                                        registration_list, registration_rows,
                                        registrations_of, waiting_position)


def nav_items(event, user):
    """Menu entries: the programme for everyone signed in, its management for staff."""
    if event is None or not getattr(user, "is_authenticated", False):
        return []
    items = [{"url": url_for("programme.mine", event_id=event.id), "label": _("Моя программа")}]
    if user.is_staff:
        items.append({"url": url_for("programme.manage", event_id=event.id),
                      "label": _("Программа: управление")})
    return items


bp.record_once(lambda state: register_nav(state.app, nav_items))





def managed_item(event, item_id: int):
    """The item, if the signed-in staff member may change it (else 403 with a message)."""
    item = load_programme_item(event, item_id)
    if not item.can_manage(current_user):
        raise OperationError(_("Вы можете менять программу только своих треков."), 403)
    return item


# --- participants ----------------------------------------------------------------------------

def programme_context(event, items):
    counts = place_counts(items)
    mine = registrations_of(current_user, event)
    return {"counts": {item.id: places_left(item, counts[item.id]) for item in items},
            "mine": mine, "links": {item.id: online_link_for(item, current_user,
                                                              mine.get(item.id))
                                    for item in items},
            "register_form": RegisterForm(), "button_form": EmptyForm()}


@bp.route("/events/<int:event_id>/programme")
def index(event_id: int):
    """The whole programme by day, with places left and registration."""
    event = load_event(event_id)
    items = list(event.schedule)
    return render_template("programme/index.html", event=event, days=items_by_day(event),
                           **programme_context(event, items))


@bp.route("/events/<int:event_id>/programme/<int:item_id>")
def item(event_id: int, item_id: int):
    event = load_event(event_id)
    entry = load_programme_item(event, item_id)
    context = programme_context(event, [entry])
    registration = context["mine"].get(entry.id)
    return render_template("programme/item.html", event=event, item=entry,
                           registration=registration,
                           position=waiting_position(registration) if registration else None,
                           proposals=outcome_proposals(entry), **context)


@bp.route("/events/<int:event_id>/programme/<int:item_id>/register", methods=["POST"])
@login_required
def register(event_id: int, item_id: int):
    event = load_event(event_id)
    entry = load_programme_item(event, item_id)
    form = RegisterForm()
    if not form.validate_on_submit():
        raise OperationError(_("Выберите: в зале или онлайн."), 400)
    registration = ops.register(entry, current_user, form.seat.data)
    if registration.status.value == "waiting":
        flash(_("Мест нет — вы в листе ожидания (№ %(n)d). Если кто-то откажется, вы "
                "поднимитесь сами.", n=waiting_position(registration)), "info")
    else:
        flash(_("Вы зарегистрированы: «%(title)s», %(seat)s.", title=entry.title,
                seat=registration.seat.label), "success")
    return redirect(safe_next(url_for("programme.item", event_id=event.id, item_id=entry.id)))


@bp.route("/events/<int:event_id>/programme/<int:item_id>/cancel", methods=["POST"])
@login_required
def cancel(event_id: int, item_id: int):
    event = load_event(event_id)
    entry = load_programme_item(event, item_id)
    require_button_form()
    ops.cancel_registration(entry, current_user)
    flash(_("Регистрация отменена."), "success")
    return redirect(safe_next(url_for("programme.item", event_id=event.id, item_id=entry.id)))


@bp.route("/events/<int:event_id>/my/programme")
@login_required
def mine(event_id: int):
    """«Моя программа»: what I registered for or wait for, with cancel and calendar."""
    event = load_event(event_id)
    entries = my_programme(current_user, event)
    items = [entry for entry, _registration in entries]
    return render_template("programme/mine.html", event=event, entries=entries,
                           positions={r.id: waiting_position(r) for _i, r in entries},
                           **programme_context(event, items))


def ics_response(event, entries, filename: str) -> Response:
    body = calendar_file(event, entries, request.host.split(":")[0])
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/events/<int:event_id>/programme/<int:item_id>.ics")
def item_ics(event_id: int, item_id: int):
    event = load_event(event_id)
    entry = load_programme_item(event, item_id)
    registration = registrations_of(current_user, event).get(entry.id)
    return ics_response(event, [(entry, online_link_for(entry, current_user, registration))],
                        f"programme-{entry.id}.ics")


@bp.route("/events/<int:event_id>/my/programme.ics")
@login_required
def mine_ics(event_id: int):
    event = load_event(event_id)
    entries = [(entry, online_link_for(entry, current_user, registration))
               for entry, registration in my_programme(current_user, event)
               if registration.status.value == "registered"]
    return ics_response(event, entries, f"my-programme-{event.id}.ics")


# --- staff: programme items ------------------------------------------------------------------

@bp.route("/events/<int:event_id>/manage/programme")
@staff_required
def manage(event_id: int):
    """Every item by day with its places; edit links where the person may change it."""
    event = load_event(event_id)
    items = list(event.schedule)
    counts = place_counts(items)
    return render_template("programme/manage.html", event=event, days=items_by_day(event),
                           counts={i.id: places_left(i, counts[i.id]) for i in items},
                           button_form=EmptyForm())


def editable_tracks(event):
    return [t for t in event.active_tracks if current_user.can_moderate(t)]


def render_item_form(event, form, entry=None, status=200):
    return render_template("programme/item_form.html", event=event, form=form, item=entry,
                           button_form=EmptyForm()), status


@bp.route("/events/<int:event_id>/manage/programme/new", methods=["GET", "POST"])
@staff_required
def create(event_id: int):
    event = load_event(event_id)
    form = ItemForm(tracks=editable_tracks(event), allow_no_track=current_user.can_manage(event))
    if request.method == "GET" and event.starts_on:
        form.day.data = form.day.data or event.starts_on.isoformat()
    if not form.validate_on_submit():
        return render_item_form(event, form, status=400 if request.method == "POST" else 200)
    try:
        entry = ops.create_item(event, current_user, item_data(form))
    except OperationError as error:
        db.session.rollback()
        form_error(form, error)
        return render_item_form(event, form, status=error.status)
    flash(_("«%(title)s» добавлено в программу.", title=entry.title), "success")
    return redirect(url_for("programme.manage", event_id=event.id))


@bp.route("/events/<int:event_id>/manage/programme/<int:item_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(event_id: int, item_id: int):
    event = load_event(event_id)
    entry = managed_item(event, item_id)
    tracks = editable_tracks(event)
    if entry.track is not None and entry.track not in tracks:
        tracks.append(entry.track)
    form = ItemForm(data=item_form_data(entry) if request.method == "GET" else None,
                    tracks=tracks, allow_no_track=current_user.can_manage(event))
    if not form.validate_on_submit():
        return render_item_form(event, form, entry, 400 if request.method == "POST" else 200)
    try:
        changed = ops.update_item(entry, current_user, item_data(form))
    except OperationError as error:
        db.session.rollback()
        form_error(form, error)
        return render_item_form(event, form, entry, error.status)
    flash(_("Сохранено.") if changed else _("Изменений нет."), "success")
    return redirect(url_for("programme.manage", event_id=event.id))


@bp.route("/events/<int:event_id>/manage/programme/<int:item_id>/delete", methods=["POST"])
@staff_required
def delete(event_id: int, item_id: int):
    event = load_event(event_id)
    entry = managed_item(event, item_id)
    require_button_form()
    title = entry.title
    ops.delete_item(entry, current_user)
    flash(_("«%(title)s» удалено из программы.", title=title), "success")
    return redirect(url_for("programme.manage", event_id=event.id))


# --- staff: registrations, attendance, outcome -----------------------------------------------

@bp.route("/events/<int:event_id>/manage/programme/<int:item_id>/registrations",
          methods=["GET", "POST"])
@staff_required
def registrations(event_id: int, item_id: int):
    """Who registered and who waits; tick who came."""
    event = load_event(event_id)
    entry = managed_item(event, item_id)
    if request.method == "POST":
        require_button_form()
        present = {int(v) for v in request.form.getlist("present") if v.isdigit()}
        count = ops.mark_attendance(entry, current_user, present)
        flash(_("Отмечено присутствующих: %(n)d.", n=count), "success")
        return redirect(url_for("programme.registrations", event_id=event.id, item_id=entry.id))
    counts = place_counts([entry])
    return render_template("programme/registrations.html", event=event, item=entry,
                           registrations=registration_list(entry),
                           places=places_left(entry, counts[entry.id]),
                           button_form=EmptyForm())


@bp.route("/events/<int:event_id>/manage/programme/<int:item_id>/registrations.<fmt>")
@staff_required
def registrations_file(event_id: int, item_id: int, fmt: str):
    event = load_event(event_id)
    entry = managed_item(event, item_id)
    rows = registration_rows(entry)
    name = f"registrations-{entry.id}"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(REGISTRATION_COLUMNS)
        writer.writerows([[neutralise(cell) for cell in row] for row in rows])
        return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if fmt == "xlsx":
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "Регистрации"
        sheet.append(list(REGISTRATION_COLUMNS))
        for row in rows:
            sheet.append([neutralise(cell) for cell in row])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return Response(buffer.getvalue(), mimetype="application/vnd.openxmlformats-"
                        "officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    abort(404)


def neutralise(cell):
    """A spreadsheet must not run what a participant typed as a formula."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def parse_ids(text: str) -> list[int]:
    parts = [p for p in re.split(r"[\s,;]+", (text or "").strip()) if p]
    ids = []
    for part in parts:
        part = part.lstrip("№#")
        if not part.isdigit():
            raise FieldError("proposals", _("Номера предложений — числа через запятую, например "
                                            "12, 15."))
        ids.append(int(part))
    return ids


@bp.route("/events/<int:event_id>/manage/programme/<int:item_id>/outcome",
          methods=["GET", "POST"])
@staff_required
def outcome(event_id: int, item_id: int):
    """After the session: attendance in the hall and online, the outcome, its proposals."""
    event = load_event(event_id)
    entry = managed_item(event, item_id)
    linked = outcome_proposals(entry)
    form = OutcomeForm(data={
        "attended_hall": "" if entry.attended_hall is None else str(entry.attended_hall),
        "attended_online": "" if entry.attended_online is None else str(entry.attended_online),
        "outcome": entry.outcome, "proposals": ", ".join(str(p.id) for p in linked)}
        if request.method == "GET" else None)
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            ops.record_outcome(entry, current_user, attended_hall=form.attended_hall.data,
                               attended_online=form.attended_online.data,
                               outcome=form.outcome.data,
                               proposal_ids=parse_ids(form.proposals.data))
        except OperationError as error:
            db.session.rollback()
            form_error(form, error)
            status = error.status
        else:
            flash(_("Итоги сохранены."), "success")
            return redirect(url_for("programme.item", event_id=event.id, item_id=entry.id))
    return render_template("programme/outcome.html", event=event, item=entry, form=form,
                           proposals=linked), status


# --- copy as template ------------------------------------------------------------------------

@bp.route("/events/<int:event_id>/manage/event/copy", methods=["POST"])
@organiser_required
def copy_event(event_id: int):
    """Next year's event from this one: settings, tracks, programme moved to new dates; no
    participants, no proposals. The copy is a draft."""
    event = load_event(event_id)
    form = CopyEventForm()
    if not form.validate_on_submit():
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        return render_copy_form(event, form, str(errors[0]) if errors else _("Заполните форму."),
                                400)
    data = event_file(event) | {"title": form.title.data}
    try:
        starts_on = ops.parse_day(form.starts_on.data, "starts_on")
        copy = ops.import_event(current_user, data, shift_to=starts_on, code=form.code.data)
    except ops.EventFileError as error:
        taken = any("занят" in p for p in error.problems)
        messages = [problem.split(": ", 1)[-1] for problem in error.problems]  # no file places
        return render_copy_form(event, form, " ".join(messages), 409 if taken else 400)
    except FieldError as error:
        return render_copy_form(event, form, error.message, error.status)
    flash(_("Создана копия «%(title)s» (черновик). Проверьте даты программы и откройте её.",
            title=copy.title), "success")
    return redirect(url_for("events.edit_event", event_id=copy.id))


def render_copy_form(event, copy_form, message: str, status: int):
    """The event's settings page again, the copy panel keeping what was typed and why the
    copy was refused."""
    db.session.rollback()
    settings = EventForm(formdata=None, data=event_form_data(event))  # not the copy's fields
    return render_template("events/form.html", form=settings,
                           event=event, timezones=TIMEZONE_HINTS, button_form=EmptyForm(),
                           copy_form=copy_form, copy_error=message), status
