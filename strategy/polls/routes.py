"""Live poll pages: the list, a poll's page for phones (answer, then results), the projector,
the short link for the QR code, and the staff's create / open / close.

URL rules:
  GET       /events/<id>/polls                              index    public
  GET       /events/<id>/polls/<poll>[?fragment=1]          detail   public (drafts: staff)
  POST      /events/<id>/polls/<poll>/answer                answer   members of the event
  GET       /events/<id>/polls/<poll>/screen[?fragment=1]   screen   public (drafts: staff)
  GET       /p/<poll>                                       short    public (the QR's link)
  GET, POST /events/<id>/manage/polls/new                   create   staff
  GET, POST /events/<id>/manage/polls/<poll>/edit           edit     the track's staff (drafts)
  GET, POST /events/<id>/manage/polls/<poll>/delete         delete   the track's staff (not open)
  POST      /events/<id>/manage/polls/<poll>/open           open     the track's staff
  POST      /events/<id>/manage/polls/<poll>/close          close    the track's staff
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from strategy.core.errors import OperationError
from strategy.core.forms import EmptyForm
from strategy.core.loading import load_event
from strategy.core.permissions import staff_required
from strategy.core.templating import register_nav
from strategy.core.urls import public_url_for, public_url_missing
from strategy.extensions import db
from strategy.core.qr import qr_svg
from strategy.polls import bp
from strategy.polls import operations as ops
from strategy.polls.forms import PollForm, poll_data
from strategy.polls.models import Poll, PollKind, can_run_poll
from strategy.polls.queries import load_poll, my_answer, open_polls, results, visible_polls
from strategy.core.redirects import safe_next
from strategy.core.forms import require_button_form


def nav_items(event, user):
    """«Опросы» for everyone signed in to the event."""
    if event is None or not getattr(user, "is_authenticated", False):
        return []
    return [{"url": url_for("polls.index", event_id=event.id), "label": _("Опросы")}]


bp.record_once(lambda state: register_nav(state.app, nav_items))


@bp.app_template_global()
def running_polls(event, track=None) -> list:
    """The polls open now, for the banner on the event's and the track's pages (a read like
    live_cursor: the events domain's views need not know about polls)."""
    if event is None:
        return []
    return open_polls(event, track.id if track else None)


def viewer():
    return current_user if current_user.is_authenticated else None


def visible_poll(event, poll_id: int) -> Poll:
    poll = load_poll(event, poll_id)
    if not poll.can_view(viewer()):
        abort(404)
    return poll




def poll_url(poll: Poll) -> str:
    """The short link the projector's QR code carries."""
    return public_url_for("polls.short", poll_id=poll.id)


def poll_context(poll: Poll) -> dict:
    user = viewer()
    mine = my_answer(poll, user)
    show = poll.results_visible_to(user, mine is not None)
    return {"event": poll.event, "poll": poll, "mine": mine,
            "results": results(poll) if show else None, "show_results": show,
            "can_run": poll.can_run(user), "button_form": EmptyForm(),
            "may_answer": poll.is_open and user is not None and user.acts_in(poll.event)
            and poll.event.can_take_part("answer") and mine is None}


# --- everyone ----------------------------------------------------------------------------

@bp.route("/events/<int:event_id>/polls")
def index(event_id: int):
    """Open polls first, then finished ones; drafts and the «new poll» button for staff."""
    event = load_event(event_id)
    user = viewer()
    may_create = user is not None and any(
        can_run_poll(user, event, t) for t in [None, *event.tracks])
    return render_template("polls/index.html", event=event, polls=visible_polls(event, user),
                           may_create=may_create, button_form=EmptyForm())


@bp.route("/events/<int:event_id>/polls/<int:poll_id>")
def detail(event_id: int, poll_id: int):
    """A poll on a phone: the question and the answer form; results once answered."""
    poll = visible_poll(load_event(event_id), poll_id)
    context = poll_context(poll)
    if request.args.get("fragment"):
        return render_template("polls/_poll.html", **context)
    return render_template("polls/detail.html", **context)


@bp.route("/events/<int:event_id>/polls/<int:poll_id>/answer", methods=["POST"])
@login_required
def answer(event_id: int, poll_id: int):
    """The form's answer (the page's JS sends the same through /api/v1)."""
    poll = visible_poll(load_event(event_id), poll_id)
    require_button_form()
    ops.answer_poll(poll, current_user, options=request.form.getlist("option"),
                    value=request.form.get("value"), word=request.form.get("word"))
    flash(_("Спасибо, ваш ответ учтён."), "success")
    return redirect(url_for("polls.detail", event_id=event_id, poll_id=poll.id))


@bp.route("/events/<int:event_id>/polls/<int:poll_id>/screen")
def screen(event_id: int, poll_id: int):
    """The projector: question, QR code to the poll, and the chart, updating live."""
    poll = visible_poll(load_event(event_id), poll_id)
    link = poll_url(poll)
    context = {"event": poll.event, "poll": poll, "results": results(poll), "link": link,
               "qr": qr_svg(link), "public_url_missing": public_url_missing()}
    if request.args.get("fragment"):
        return render_template("polls/_screen.html", **context)
    return render_template("polls/screen.html", **context)


@bp.route("/p/<int:poll_id>")
def short(poll_id: int):
    """The QR code's short link: to the poll's page."""
    poll = db.get_or_404(Poll, poll_id)
    return redirect(url_for("polls.detail", event_id=poll.event_id, poll_id=poll.id))


# --- staff ---------------------------------------------------------------------------------

def runnable_tracks(event):
    return [t for t in event.tracks if can_run_poll(current_user, event, t)]


def poll_form(event, **kwargs) -> PollForm:
    return PollForm(tracks=runnable_tracks(event),
                    allow_no_track=current_user.can_manage(event), **kwargs)


def save_poll(form: PollForm, write):
    """Run the write with the form's data; a refused field gets its message beside it.
    Answers the poll, or None when the form is to be shown again."""
    if not form.validate_on_submit():
        return None
    try:
        return write(poll_data(form))
    except ops.PollFieldError as error:
        target = getattr(form, error.field, None)
        if target is not None:
            target.errors = list(target.errors) + [error.message]
        else:
            form.form_errors.append(error.message)
    except OperationError as error:
        if error.status != 400:
            raise
        form.form_errors.append(error.message)
    return None


def render_form(event, form, poll=None):
    status = 400 if request.method == "POST" else 200
    return render_template("polls/new.html", event=event, form=form, poll=poll,
                           kinds=list(PollKind)), status


@bp.route("/events/<int:event_id>/manage/polls/new", methods=["GET", "POST"])
@staff_required
def create(event_id: int):
    event = load_event(event_id)
    form = poll_form(event)
    if request.method == "GET" and request.args.get("track"):
        form.track.data = request.args["track"]
    poll = save_poll(form, lambda data: ops.create_poll(event, current_user, data))
    if poll is not None:
        flash(_("Опрос создан как черновик. Откройте его, когда зал будет готов."), "success")
        return redirect(url_for("polls.detail", event_id=event.id, poll_id=poll.id))
    return render_form(event, form)


def checked_poll(event_id: int, poll_id: int, ensure):
    """The event and its poll, once ``ensure(poll, person)`` lets this person at it (before a
    form is shown: the operation checks it again)."""
    event = load_event(event_id)
    poll = load_poll(event, poll_id)
    ensure(poll, current_user)
    return event, poll


@bp.route("/events/<int:event_id>/manage/polls/<int:poll_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(event_id: int, poll_id: int):
    """A draft's question, kind, track, options and scale; an opened poll is not changed."""
    event, poll = checked_poll(event_id, poll_id, ops.ensure_editable)
    form = poll_form(event)
    if request.method == "GET":
        form.question.data, form.kind.data = poll.question, poll.kind.value
        form.track.data = poll.track.slug if poll.track else ""
        form.options.data = "\n".join(o.text for o in poll.options)
        if poll.kind is PollKind.scale:
            form.scale_min.data, form.scale_max.data = str(poll.scale_min), str(poll.scale_max)
    saved = save_poll(form, lambda data: ops.edit_poll(poll, current_user, data))
    if saved is not None:
        flash(_("Черновик опроса сохранён."), "success")
        return redirect(url_for("polls.detail", event_id=event.id, poll_id=poll.id))
    return render_form(event, form, poll)


@bp.route("/events/<int:event_id>/manage/polls/<int:poll_id>/delete", methods=["GET", "POST"])
@staff_required
def delete(event_id: int, poll_id: int):
    """Delete a draft or a finished poll; the page asks first when people have answered it."""
    event, poll = checked_poll(event_id, poll_id, ops.ensure_deletable)
    if request.method == "POST":
        require_button_form()
        ops.delete_poll(poll, current_user, confirmed=request.form.get("confirm") == "1")
        flash(_("Опрос удалён."), "success")
        return redirect(url_for("polls.index", event_id=event.id))
    return render_template("polls/delete.html", event=event, poll=poll,
                           answers=ops.answer_count(poll), button_form=EmptyForm())


@bp.route("/events/<int:event_id>/manage/polls/<int:poll_id>/<any(open, close):action>",
          methods=["POST"])
@staff_required
def change_state(event_id: int, poll_id: int, action: str):
    poll = load_poll(load_event(event_id), poll_id)
    require_button_form()
    if action == "open":
        ops.open_poll(poll, current_user)
        flash(_("Опрос открыт: участники могут отвечать."), "success")
    else:
        ops.close_poll(poll, current_user)
        flash(_("Опрос завершён, итоги сохранены."), "success")
    return redirect(safe_next(url_for("polls.detail", event_id=event_id, poll_id=poll.id)))
