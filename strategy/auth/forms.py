"""Join, return and sign-in forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, EmailField, PasswordField, SelectField, SelectMultipleField,
                     StringField)
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

REQUIRED = _l("Заполните это поле.")


class JoinForm(FlaskForm):
    event_code = StringField(_l("Код мероприятия"),
                             validators=[DataRequired(REQUIRED), Length(max=20)])
    display_name = StringField(_l("Как вас представить (имя и фамилия)"), validators=[
        DataRequired(REQUIRED), Length(min=2, max=80, message=_l("От 2 до 80 символов."))])
    library = StringField(_l("Библиотека"), validators=[
        DataRequired(REQUIRED), Length(max=200, message=_l("Не больше 200 символов."))])
    municipality = StringField(_l("Муниципальное образование"), validators=[
        DataRequired(REQUIRED), Length(max=120, message=_l("Не больше 120 символов."))])
    consent_public_affiliation = BooleanField(
        _l("Показывать мою библиотеку и муниципалитет рядом с моими предложениями и в "
           "итоговом документе"), default=True)


class ReturnForm(FlaskForm):
    code = StringField(_l("Персональный код"), validators=[DataRequired(REQUIRED),
                                                            Length(max=40)])


class LoginForm(FlaskForm):
    email = EmailField(_l("Электронная почта"), validators=[
        DataRequired(REQUIRED), Email(message=_l("Введите адрес почты.")), Length(max=254)])
    password = PasswordField(_l("Пароль"), validators=[DataRequired(REQUIRED), Length(max=200)])


class InvitationForm(FlaskForm):
    """A personal invitation: everything optional but the name, pre-filled at join."""

    display_name = StringField(_l("Кого приглашаем (имя и фамилия)"), validators=[
        DataRequired(REQUIRED), Length(min=2, max=80, message=_l("От 2 до 80 символов."))])
    library = StringField(_l("Библиотека"), validators=[Length(max=200)])
    municipality = StringField(_l("Муниципальное образование"), validators=[Length(max=120)])
    email = EmailField(_l("Электронная почта (необязательно)"), validators=[
        Optional(), Email(message=_l("Введите адрес почты.")), Length(max=254)])
    target = SelectField(_l("Адресное приглашение (необязательно)"), default="",
                         validate_choice=False)

    def __init__(self, *args, event=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _l("На всё мероприятие"))]
        if event is not None:
            choices += [(f"track:{t.id}", _l("Трек «%(title)s» (регистрация на его сессии)",
                                            title=t.title)) for t in event.active_tracks]
            choices += [(f"item:{i.id}", _l("Сессия «%(title)s»", title=i.title))
                        for i in event.schedule if i.registration_required]
        self.target.choices = choices


# --- staff invitations -----------------------------------------------------------------------

def staff_role_choices():
    return [("facilitator", _l("Модератор трека")), ("expert", _l("Эксперт")),
            ("organiser", _l("Методическая группа (все права)"))]


class StaffInvitationForm(FlaskForm):
    """Invite a team member: the link lets them set their own password once."""

    display_name = StringField(_l("Имя и фамилия"), validators=[
        DataRequired(REQUIRED), Length(min=2, max=80, message=_l("От 2 до 80 символов."))])
    email = EmailField(_l("Электронная почта (для входа)"), validators=[
        DataRequired(REQUIRED), Email(message=_l("Введите адрес почты.")), Length(max=254)])
    role = SelectField(_l("Роль"), default="facilitator", validate_choice=False)
    tracks = SelectMultipleField(_l("Треки"), coerce=str, validate_choice=False,
                                 option_widget=CheckboxInput(), widget=ListWidget(
                                     prefix_label=False))

    def __init__(self, *args, tracks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = staff_role_choices()
        self.tracks.choices = [(str(t.id), f"«{t.title}»") for t in tracks]


class StaffRoleForm(FlaskForm):
    role = SelectField(_l("Роль"), validate_choice=False)
    tracks = SelectMultipleField(_l("Треки"), coerce=str, validate_choice=False,
                                 option_widget=CheckboxInput(), widget=ListWidget(
                                     prefix_label=False))

    def __init__(self, *args, tracks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = staff_role_choices()
        self.tracks.choices = [(str(t.id), f"«{t.title}»") for t in tracks]


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("Придумайте пароль (не короче 10 символов)"), validators=[
        DataRequired(REQUIRED), Length(min=10, max=200, message=_l(
            "Пароль — не короче 10 символов."))])
    confirm = PasswordField(_l("Повторите пароль"), validators=[
        DataRequired(REQUIRED), EqualTo("password", message=_l("Пароли не совпадают."))])
