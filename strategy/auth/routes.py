"""Join by event code or invitation, return by personal code, staff sign-in, language."""
import json

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from strategy.auth import bp, throttle
from strategy.auth.forms import (InvitationForm, JoinForm, LoginForm, ReturnForm,
                                 SetPasswordForm, StaffInvitationForm, StaffRoleForm)
from strategy.auth.models import StaffInvitation
from strategy.auth.operations import (INVITATION_USED, accept_staff_invitation,
                                      approve_participants, authenticate, bursts,
                                      change_staff_role, create_invitation,
                                      create_staff_invitation, delete_account, end_sessions,
                                      ensure_staff_invitation_usable, find_event_by_code,
                                      find_invitation, find_participants, find_staff_invitation,
                                      find_user_by_return_code, invitations_of, join_event,
                                      participants_of, pending_participants, personal_data,
                                      renew_return_code, revoke_staff, revoke_staff_invitation,
                                      set_participation_mode, staff_invitations_of,
                                      suspend_participants, suspended_participants, team_of)
from strategy.core.errors import OperationError
from strategy.core.permissions import organiser_required, staff_of, staff_required
from strategy.core.templating import register_nav
from strategy.events.models import ParticipationMode
from strategy.core.urls import public_url_for
from strategy.core.loading import load_event
from strategy.core.redirects import safe_next
from strategy.auth.models import User
from strategy.extensions import db, limiter
from strategy.programme.queries import registrations_of, waiting_position
from strategy.core.forms import EmptyForm


def code_limit() -> str:
    return current_app.config["CODE_ATTEMPT_LIMIT"]


def signin_limit() -> str:
    return current_app.config["SIGNIN_ATTEMPT_LIMIT"]


def failed(response) -> bool:
    """Only wrong attempts count against the limit: a hall behind one address can still join."""
    return response.status_code >= 400


def sign_in(user) -> None:
    """Sign this device in for 30 days; the cookies carry only the id and session version."""
    session.permanent = True
    login_user(user, remember=True)


@bp.route("/join", methods=["GET", "POST"])
@bp.route("/join/<code>", methods=["GET", "POST"])
def join(code: str | None = None):
    """Join the workshop with the event code (typed, or from the QR code's link)."""
    form = JoinForm()
    throttle.browser_id()  # the browser's own id, so its mistypes slow only itself
    if request.method == "GET" and code:
        form.event_code.data = code
    if form.validate_on_submit():
        event = find_event_by_code(form.event_code.data)
        if event is None:
            return wrong_event_code(form)
        return complete_join(event, form)
    status = 400 if request.method == "POST" else 200
    return render_template("auth/join.html", form=form), status


def wrong_event_code(form: JoinForm):
    """Count the mistype against this browser and the address ceiling; the form keeps its text."""
    within = throttle.count("WRONG_EVENT_CODE_BROWSER_LIMIT", throttle.browser_id())
    within = throttle.count("WRONG_EVENT_CODE_ADDRESS_LIMIT", throttle.client_address()) \
        and within
    if not within:
        form.event_code.errors.append(_("Слишком много неверных кодов подряд. Проверьте код на "
                                        "экране зала и попробуйте через минуту."))
        return render_template("auth/join.html", form=form), 429
    form.event_code.errors.append(_("Мероприятие с таким кодом не найдено. Проверьте код "
                                    "на экране зала или в приглашении."))
    return render_template("auth/join.html", form=form), 404


@bp.route("/i/<token>", methods=["GET", "POST"])
@limiter.limit(code_limit, deduct_when=failed)
def invitation(token: str):
    """A personal invitation link: the form comes pre-filled and the event is known."""
    invite = find_invitation(token)
    if invite is None:
        return render_template("errors/error.html", status=404, message=_(
            "Приглашение не найдено. Проверьте ссылку или войдите по коду мероприятия.")), 404
    if invite.used_by_id is not None:
        return used_invitation(invite)
    g.event_tz = invite.event.timezone  # the invited session's time is shown in its zone
    form = JoinForm()
    if request.method == "GET":
        form.event_code.data = invite.event.code
        form.display_name.data = invite.display_name
        form.library.data = invite.library
        form.municipality.data = invite.municipality
    form.event_code.data = invite.event.code
    if form.validate_on_submit():
        return complete_join(invite.event, form, invitation=invite)
    status = 400 if request.method == "POST" else 200
    return render_template("auth/join.html", form=form, invitation=invite), status


def used_invitation(invite):
    """The holder already joined with this link: on their own device they simply go on; any
    other device is sent to the return code, never given a second identity."""
    if current_user.is_authenticated and current_user.id == invite.used_by_id:
        return redirect(url_for("events.index"))
    return render_template("auth/invitation_used.html", invitation=invite,
                           message=INVITATION_USED), 409


JOIN_LIMITS = {
    "JOIN_BROWSER_LIMIT": _l("С этого устройства уже присоединились несколько участников. "
                             "Если вы уже участвовали, вернитесь по персональному коду."),
    "JOIN_ADDRESS_LIMIT": _l("Слишком много новых участников с этого адреса за последние "
                             "минуты. Подождите немного и попробуйте снова."),
}


def identity_refused(form):
    """Identities per browser and per address, counted only for joins that would succeed."""
    keys = {"JOIN_BROWSER_LIMIT": throttle.browser_id(),
            "JOIN_ADDRESS_LIMIT": throttle.client_address()}
    for limit, key in keys.items():
        if throttle.over(limit, key):
            form.display_name.errors = list(form.display_name.errors) + [str(JOIN_LIMITS[limit])]
            return render_template("auth/join.html", form=form), 429
    return None


def complete_join(event, form, invitation=None):
    refused = identity_refused(form)
    if refused is not None:
        return refused
    try:
        user, _code = join_event(event, display_name=form.display_name.data,
                                 library=form.library.data, municipality=form.municipality.data,
                                 consent_public_affiliation=form.consent_public_affiliation.data,
                                 invitation=invitation, browser=throttle.browser_id())
    except OperationError as error:
        form.event_code.errors = list(form.event_code.errors) + [str(error.message)]
        return render_template("auth/join.html", form=form, invitation=invitation), error.status
    throttle.count("JOIN_BROWSER_LIMIT", throttle.browser_id())
    throttle.count("JOIN_ADDRESS_LIMIT", throttle.client_address())
    if current_user.is_authenticated:
        logout_user()
    sign_in(user)
    if invitation is not None:
        tell_invited_registrations(event, user)
    if not user.is_approved:
        flash(_("Вы присоединились. Организаторы подтвердят ваше участие, после этого можно "
                "будет предлагать и поддерживать."), "info")
    return redirect(url_for("auth.welcome"))


def tell_invited_registrations(event, user) -> None:
    """A link aimed at a session (or a track) registered its holder: say where."""
    for registration in registrations_of(user, event).values():
        if registration.status.value == "waiting":
            flash(_("Мест на «%(title)s» не осталось — вы в листе ожидания (№ %(n)d). Если "
                    "кто-то откажется, вы поднимитесь сами.", title=registration.item.title,
                    n=waiting_position(registration)), "info")
        else:
            flash(_("Вы зарегистрированы: «%(title)s», %(seat)s.", title=registration.item.title,
                    seat=registration.seat.label), "success")


@bp.route("/welcome")
@login_required
def welcome():
    """Shown once after joining: the personal return code and link."""
    code = current_user.revealed_code()
    return render_template("auth/welcome.html", code=code, link=return_link_url(code))


@bp.route("/return", methods=["GET", "POST"])
def return_by_code():
    """Come back on another device with the personal code."""
    form = ReturnForm()
    if form.validate_on_submit():
        return sign_in_with_code(form.code.data, form)
    status = 400 if request.method == "POST" else 200
    return render_template("auth/return.html", form=form), status


@bp.route("/r/<code>", methods=["GET", "POST"])
def return_link(code: str):
    """The personal return link carries the code itself. Opening it only asks; the click posts
    the form with this browser's token, so another site cannot sign a browser in (login CSRF)."""
    form = ReturnForm(data={"code": code})
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("auth/return.html", form=form), 400
        return sign_in_with_code(code, form)
    refused = refused_return_code(form)
    if refused is not None:
        return refused
    user = find_user_by_return_code(code)
    if user is None:
        return wrong_return_code(form)
    return render_template("auth/return_confirm.html", form=form, person=user, code=code)


RETURN_LIMITS = ("RETURN_CODE_BROWSER_LIMIT", "RETURN_CODE_ADDRESS_LIMIT")


def return_code_keys() -> tuple[str, str]:
    return throttle.browser_id(), throttle.client_address()


def refused_return_code(form: ReturnForm):
    """Checked before the look-up: past the limit a right code waits too (no guessing)."""
    if any(throttle.over(limit, key) for limit, key in zip(RETURN_LIMITS, return_code_keys())):
        form.code.errors = [_("Слишком много попыток с неверным кодом. Подождите минуту и "
                              "попробуйте снова.")]
        return render_template("auth/return.html", form=form), 429
    return None


def wrong_return_code(form: ReturnForm):
    for limit, key in zip(RETURN_LIMITS, return_code_keys()):
        throttle.count(limit, key)
    form.code.errors = [_("Код не подошёл. Проверьте его: буквы и цифры, например "
                          "K7QM-2XPA-9RTN.")]
    return render_template("auth/return.html", form=form), 404


def sign_in_with_code(code: str, form: ReturnForm):
    refused = refused_return_code(form)
    if refused is not None:
        return refused
    user = find_user_by_return_code(code)
    if user is None:
        return wrong_return_code(form)
    if current_user.is_authenticated and current_user.id != user.id:
        logout_user()
    sign_in(user)
    flash(_("С возвращением, %(name)s!", name=user.display_name), "success")
    return redirect(url_for("events.index"))


@bp.route("/me/code", methods=["GET", "POST"])
@login_required
def my_code():
    """See the personal code again, or issue a new one if someone else saw it."""
    form = EmptyForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        renew_return_code(user)
        sign_in(user)  # this device stays; the others were signed out with the old code
        flash(_("Выдан новый код. Старый больше не действует, другие устройства вышли."),
              "success")
        return redirect(url_for("auth.my_code"))
    code = current_user.revealed_code()
    return render_template("auth/welcome.html", code=code, link=return_link_url(code), form=form,
                           renew=True, others_form=EmptyForm())


def return_link_url(code: str | None) -> str | None:
    return public_url_for("auth.return_link", code=code) if code else None


@bp.route("/me/sign-out-others", methods=["POST"])
@login_required
def sign_out_others():
    """End every other session and remember cookie of this person; this device stays."""
    form = EmptyForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        end_sessions(user)
        sign_in(user)
        flash(_("Другие устройства вышли из вашей учётной записи."), "success")
    return redirect(url_for("auth.my_code"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(signin_limit, methods=["POST"], deduct_when=failed)
def login():
    """Password sign-in for facilitators and organisers."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data)
        except OperationError as error:
            form.password.errors = [str(error.message)]
            return render_template("auth/login.html", form=form), error.status
        if user is None:
            form.password.errors = [_("Неверная почта или пароль.")]
            return render_template("auth/login.html", form=form), 401
        sign_in(user)
        return redirect(safe_next(url_for("events.index")))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Signing out ends this person's sessions everywhere: an old cookie no longer signs in."""
    if current_user.is_authenticated:
        end_sessions(current_user._get_current_object())
    logout_user()
    session.pop("return_code", None)  # left by versions that kept the code in the cookie
    flash(_("Вы вышли."), "info")
    return redirect(url_for("events.index"))


@bp.route("/lang/<lang>", methods=["POST"])
def set_language(lang: str):
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(safe_next(url_for("events.index")))


@bp.route("/events/<int:event_id>/manage/invitations", methods=["GET", "POST"])
@organiser_required
def invitations(event_id: int):
    """Organisers create personal invitation links; each link is shown once, then only its use."""
    event = load_event(event_id)
    form = InvitationForm(event=event)
    new_link = None
    if form.validate_on_submit():
        _invite, token = create_invitation(
            event, display_name=form.display_name.data, library=form.library.data or "",
            municipality=form.municipality.data or "", email=form.email.data or None,
            target=form.target.data or "")
        new_link = public_url_for("auth.invitation", token=token)
        form = InvitationForm(formdata=None, event=event)
    status = 400 if request.method == "POST" and new_link is None else 200
    return render_template("auth/invitations.html", event=event, form=form, new_link=new_link,
                           invitations=invitations_of(event)), status


# --- who takes part (staff) ------------------------------------------------------------------

MODE_LABELS = {
    ParticipationMode.open: _l("Любой, у кого есть код мероприятия"),
    ParticipationMode.approval: _l("По коду, но модератор подтверждает каждого нового участника"),
    ParticipationMode.invited: _l("Только по персональным приглашениям и импорту"),
}


def participant_nav(event, user):
    if event is None or not staff_of(user, event):
        return []
    return [{"url": url_for("auth.participants", event_id=event.id),
             "label": _("Участники: допуск и всплески")}]


bp.record_once(lambda state: register_nav(state.app, participant_nav))


@bp.route("/events/<int:event_id>/manage/participants", methods=["GET", "POST"])
@staff_required
def participants(event_id: int):
    """Who may take part; approvals; identities made in a burst from one browser, suspended
    together (their supports stop counting) and reinstated."""
    event = load_event(event_id)
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        flash(apply_participants_action(event), "success")
        return redirect(url_for("auth.participants", event_id=event.id))
    if not staff_of(current_user, event):
        abort(403)
    can_manage = current_user.can_manage(event)
    query = request.args.get("q", "")
    return render_template("auth/participants.html", event=event, form=form, query=query,
                           found=find_participants(event, query) if can_manage else [],
                           can_manage=can_manage,
                           modes=MODE_LABELS, pending=pending_participants(event),
                           bursts=bursts(event), suspended=suspended_participants(event))


def apply_participants_action(event) -> str:
    action = request.form.get("action", "")
    chosen = participants_of(event, request.form.getlist("user_id"))
    if action == "mode":
        try:
            mode = ParticipationMode(request.form.get("mode", ""))
        except ValueError:
            abort(400)
        set_participation_mode(event, current_user, mode)
        return _("Порядок участия сохранён.")
    if action == "approve":
        n = approve_participants(event, current_user, chosen)
        return _("Подтверждено участников: %(n)d.", n=n)
    if action in ("suspend", "reinstate"):
        n = suspend_participants(event, current_user, chosen, suspended=action == "suspend",
                                 reason=request.form.get("reason", "")[:500])
        return (_("Приостановлено участников: %(n)d. Их поддержка не учитывается.", n=n)
                if action == "suspend" else _("Возвращено участников: %(n)d.", n=n))
    abort(400)


# --- «Мои данные» ------------------------------------------------------------------------------

def data_download(data: dict, user_id: int):
    response = current_app.response_class(
        json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="my-data-{user_id}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/me/data")
@login_required
def my_data():
    """Everything stored about me, readable, with a JSON download and account deletion."""
    user = current_user._get_current_object()
    if user.event_id:
        load_event(user.event_id)
    return render_template("auth/my_data.html", data=personal_data(user, user))


@bp.route("/me/data.json")
@login_required
def my_data_download():
    user = current_user._get_current_object()
    return data_download(personal_data(user, user), user.id)


@bp.route("/me/delete", methods=["GET", "POST"])
@login_required
def delete_me():
    """Delete my profile: personal data removed, contributions kept anonymised."""
    form = EmptyForm()
    if form.validate_on_submit() and request.form.get("confirm") == "yes":
        delete_account(current_user._get_current_object(), current_user._get_current_object())
        logout_user()
        flash(_("Профиль удалён. Ваши предложения и комментарии остались без вашего имени."),
              "info")
        return redirect(url_for("events.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/delete_me.html", form=form), status


def participant_of(event, user_id: int):
    user = db.session.get(User, user_id)
    if user is None or user.event_id != event.id:
        abort(404)
    return user


@bp.route("/events/<int:event_id>/manage/participants/<int:user_id>/data.json")
@organiser_required
def participant_data(event_id: int, user_id: int):
    """An organiser downloads a participant's data on their request."""
    event = load_event(event_id)
    user = participant_of(event, user_id)
    return data_download(personal_data(current_user, user), user.id)


@bp.route("/events/<int:event_id>/manage/participants/<int:user_id>/delete", methods=["POST"])
@organiser_required
def delete_participant(event_id: int, user_id: int):
    """An organiser deletes a participant's profile on their request."""
    event = load_event(event_id)
    user = participant_of(event, user_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    delete_account(current_user, user)
    flash(_("Профиль участника удалён; его вклад сохранён без имени."), "success")
    return redirect(url_for("auth.participants", event_id=event.id))


# --- staff: invitations by one-time link, roles, track assignment ----------------------------
#   GET, POST /events/<id>/manage/staff                         staff                organiser
#   POST      /events/<id>/manage/staff/<uid>/role              staff_role           organiser
#   POST      /events/<id>/manage/staff/<uid>/revoke            staff_revoke         organiser
#   POST      /events/<id>/manage/staff/invitations/<iid>/revoke staff_invitation_revoke organiser
#   GET, POST /staff/<token>                                    staff_accept         the link

def chosen_track_ids(form) -> list[str]:
    """The ticked tracks; a post without the field at all means none (WTForms gives None)."""
    return [t for t in (form.tracks.data or []) if t.isdigit()]


def render_staff(event, form, new_link=None, status=200):
    return render_template("auth/staff.html", event=event, form=form, new_link=new_link,
                           members=team_of(event), invitations=staff_invitations_of(event),
                           role_form=lambda user: StaffRoleForm(
                               prefix=f"u{user.id}", tracks=event.tracks, data={
                                   "role": user.role.value,
                                   "tracks": [str(t.id) for t in user.facilitated_tracks
                                              if t.event_id == event.id]}),
                           button_form=EmptyForm()), status


@bp.route("/events/<int:event_id>/manage/staff", methods=["GET", "POST"])
@organiser_required
def staff(event_id: int):
    """The event's team; invite by a one-time link that is shown once."""
    event = load_event(event_id)
    form = StaffInvitationForm(tracks=event.tracks)
    if not form.validate_on_submit():
        return render_staff(event, form, status=400 if request.method == "POST" else 200)
    try:
        _invitation, token = create_staff_invitation(
            event, current_user, display_name=form.display_name.data, email=form.email.data,
            role=form.role.data, track_ids=chosen_track_ids(form))
    except OperationError as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return render_staff(event, form, status=error.status)
    link = url_for("auth.staff_accept", token=token, _external=True)
    return render_staff(event, StaffInvitationForm(formdata=None, tracks=event.tracks), link)


def team_member(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise OperationError(_("Страница не найдена."), 404)
    return user


@bp.route("/events/<int:event_id>/manage/staff/<int:user_id>/role", methods=["POST"])
@organiser_required
def staff_role(event_id: int, user_id: int):
    event = load_event(event_id)
    user = team_member(user_id)
    form = StaffRoleForm(prefix=f"u{user.id}", tracks=event.tracks)
    if not form.validate_on_submit():
        raise OperationError(_("Страница устарела. Обновите её и повторите."), 400)
    changed = change_staff_role(event, current_user, user, form.role.data,
                                chosen_track_ids(form))
    flash(_("Роль изменена.") if changed else _("Изменений нет."), "success")
    return redirect(url_for("auth.staff", event_id=event.id))


@bp.route("/events/<int:event_id>/manage/staff/<int:user_id>/revoke", methods=["POST"])
@organiser_required
def staff_revoke(event_id: int, user_id: int):
    event = load_event(event_id)
    user = team_member(user_id)
    if not EmptyForm().validate_on_submit():
        raise OperationError(_("Страница устарела. Обновите её и повторите."), 400)
    revoke_staff(event, current_user, user)
    flash(_("Доступ %(name)s отозван.", name=user.display_name), "success")
    return redirect(url_for("auth.staff", event_id=event.id))


@bp.route("/events/<int:event_id>/manage/staff/invitations/<int:invitation_id>/revoke",
          methods=["POST"])
@organiser_required
def staff_invitation_revoke(event_id: int, invitation_id: int):
    event = load_event(event_id)
    invitation = db.session.get(StaffInvitation, invitation_id)
    if invitation is None or invitation.event_id != event.id:
        raise OperationError(_("Страница не найдена."), 404)
    if not EmptyForm().validate_on_submit():
        raise OperationError(_("Страница устарела. Обновите её и повторите."), 400)
    revoke_staff_invitation(invitation, current_user)
    flash(_("Приглашение отозвано."), "success")
    return redirect(url_for("auth.staff", event_id=event.id))


@bp.route("/staff/<token>", methods=["GET", "POST"])
@limiter.limit(code_limit, deduct_when=failed)
def staff_accept(token: str):
    """The invited person sets their password once and is signed in."""
    invitation = ensure_staff_invitation_usable(find_staff_invitation(token))
    form = SetPasswordForm()
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        if current_user.is_authenticated:
            logout_user()
        user = accept_staff_invitation(token, form.password.data)
        sign_in(user)
        flash(_("Добро пожаловать в команду, %(name)s! Ваша почта для входа: %(email)s.",
                name=user.display_name, email=user.email), "success")
        return redirect(url_for("events.home", event_id=user.event_id))
    return render_template("auth/staff_accept.html", invitation=invitation, form=form), status
