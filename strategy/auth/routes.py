"""Join by event code or invitation, return by personal code, staff sign-in, language."""
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from strategy.auth import bp
from strategy.auth.forms import (InvitationForm, JoinForm, LoginForm, ReturnForm,
                                 SetPasswordForm, StaffInvitationForm, StaffRoleForm)
from strategy.auth.models import StaffInvitation, User
from strategy.auth.operations import (accept_staff_invitation, authenticate,
                                      change_staff_role, create_invitation,
                                      create_staff_invitation, ensure_staff_invitation_usable,
                                      find_event_by_code, find_invitation,
                                      find_staff_invitation, find_user_by_return_code,
                                      invitations_of, join_event, renew_return_code,
                                      revoke_staff, revoke_staff_invitation, staff_invitations_of,
                                      staff_of)
from strategy.core.errors import OperationError
from strategy.extensions import db
from strategy.core.permissions import organiser_required
from strategy.core.loading import load_event
from strategy.extensions import limiter
from strategy.core.forms import EmptyForm


def code_limit() -> str:
    return current_app.config["CODE_ATTEMPT_LIMIT"]


def signin_limit() -> str:
    return current_app.config["SIGNIN_ATTEMPT_LIMIT"]


def failed(response) -> bool:
    """Only wrong attempts count against the limit: a hall behind one address can still join."""
    return response.status_code >= 400


def remember_code(user, code: str) -> None:
    """Keep the clear code in this device's session so the participant can see it again."""
    session["return_code"] = code
    session.permanent = True
    login_user(user, remember=True)


@bp.route("/join", methods=["GET", "POST"])
@bp.route("/join/<code>", methods=["GET", "POST"])
@limiter.limit(code_limit, methods=["POST"], deduct_when=failed)
def join(code: str | None = None):
    """Join the workshop with the event code (typed, or from the QR code's link)."""
    form = JoinForm()
    if request.method == "GET" and code:
        form.event_code.data = code
    if form.validate_on_submit():
        event = find_event_by_code(form.event_code.data)
        if event is None:
            form.event_code.errors.append(_("Мероприятие с таким кодом не найдено. Проверьте код "
                                            "на экране зала или в приглашении."))
            return render_template("auth/join.html", form=form), 404
        return complete_join(event, form)
    status = 400 if request.method == "POST" else 200
    return render_template("auth/join.html", form=form), status


@bp.route("/i/<token>", methods=["GET", "POST"])
@limiter.limit(code_limit, deduct_when=failed)
def invitation(token: str):
    """A personal invitation link: the form comes pre-filled and the event is known."""
    invite = find_invitation(token)
    if invite is None:
        return render_template("errors/error.html", status=404, message=_(
            "Приглашение не найдено. Проверьте ссылку или войдите по коду мероприятия.")), 404
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


def complete_join(event, form, invitation=None):
    if current_user.is_authenticated:
        logout_user()
    user, code = join_event(event, display_name=form.display_name.data,
                            library=form.library.data, municipality=form.municipality.data,
                            consent_public_affiliation=form.consent_public_affiliation.data,
                            invitation=invitation)
    remember_code(user, code)
    return redirect(url_for("auth.welcome"))


@bp.route("/welcome")
@login_required
def welcome():
    """Shown once after joining: the personal return code and link."""
    return render_template("auth/welcome.html", code=session.get("return_code"))


@bp.route("/return", methods=["GET", "POST"])
@limiter.limit(code_limit, methods=["POST"], deduct_when=failed)
def return_by_code():
    """Come back on another device with the personal code."""
    form = ReturnForm()
    if form.validate_on_submit():
        return sign_in_with_code(form.code.data, form)
    status = 400 if request.method == "POST" else 200
    return render_template("auth/return.html", form=form), status


@bp.route("/r/<code>")
@limiter.limit(code_limit, deduct_when=failed)
def return_link(code: str):
    """The personal return link carries the code itself."""
    return sign_in_with_code(code, ReturnForm(data={"code": code}))


def sign_in_with_code(code: str, form: ReturnForm):
    user = find_user_by_return_code(code)
    if user is None:
        form.code.errors = [_("Код не подошёл. Проверьте его: буквы и цифры, например "
                              "K7QM-2XPA-9RTN.")]
        return render_template("auth/return.html", form=form), 404
    remember_code(user, code.strip().upper())
    flash(_("С возвращением, %(name)s!", name=user.display_name), "success")
    return redirect(url_for("events.index"))


@bp.route("/me/code", methods=["GET", "POST"])
@login_required
def my_code():
    """See the personal code again, or issue a new one if someone else saw it."""
    form = EmptyForm()
    if form.validate_on_submit():
        session["return_code"] = renew_return_code(current_user)
        flash(_("Выдан новый код. Старый больше не действует."), "success")
        return redirect(url_for("auth.my_code"))
    return render_template("auth/welcome.html", code=session.get("return_code"), form=form,
                           renew=True)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(signin_limit, methods=["POST"], deduct_when=failed)
def login():
    """Password sign-in for facilitators and organisers."""
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors = [_("Неверная почта или пароль.")]
            return render_template("auth/login.html", form=form), 401
        login_user(user, remember=True)
        target = request.args.get("next", "")
        if not target.startswith("/") or target.startswith("//"):
            target = url_for("events.index")
        return redirect(target)
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.pop("return_code", None)
    flash(_("Вы вышли."), "info")
    return redirect(url_for("events.index"))


@bp.route("/lang/<lang>", methods=["POST"])
def set_language(lang: str):
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    target = request.form.get("next") or url_for("events.index")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("events.index")
    return redirect(target)


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
        new_link = url_for("auth.invitation", token=token, _external=True)
        form = InvitationForm(formdata=None, event=event)
    status = 400 if request.method == "POST" and new_link is None else 200
    return render_template("auth/invitations.html", event=event, form=form, new_link=new_link,
                           invitations=invitations_of(event)), status


# --- staff: invitations by one-time link, roles, track assignment ----------------------------
#   GET, POST /events/<id>/manage/staff                         staff                organiser
#   POST      /events/<id>/manage/staff/<uid>/role              staff_role           organiser
#   POST      /events/<id>/manage/staff/<uid>/revoke            staff_revoke         organiser
#   POST      /events/<id>/manage/staff/invitations/<iid>/revoke staff_invitation_revoke organiser
#   GET, POST /staff/<token>                                    staff_accept         the link

def render_staff(event, form, new_link=None, status=200):
    return render_template("auth/staff.html", event=event, form=form, new_link=new_link,
                           members=staff_of(event), invitations=staff_invitations_of(event),
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
            role=form.role.data, track_ids=[t for t in form.tracks.data if t.isdigit()])
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
                                [t for t in form.tracks.data if t.isdigit()])
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
        login_user(user, remember=True)
        flash(_("Добро пожаловать в команду, %(name)s! Ваша почта для входа: %(email)s.",
                name=user.display_name, email=user.email), "success")
        return redirect(url_for("events.home", event_id=user.event_id))
    return render_template("auth/staff_accept.html", invitation=invitation, form=form), status
