"""Permission helpers. Operations refuse with OperationError(403) through ``ensure_*``; views
use the role decorators (anonymous users go to sign-in, others without the right get 403)."""
from functools import wraps
from typing import TYPE_CHECKING, Optional

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user, login_required

from strategy.auth.models import Role, User
from strategy.core.errors import OperationError

if TYPE_CHECKING:
    from strategy.events.models import Event, Track


def role_required(*roles: Role):
    """Allow only users with one of these roles (organisers always pass) who belong to the
    event named by the URL's ``event_id``."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role is not Role.organiser and current_user.role not in roles:
                abort(403)
            event_id = kwargs.get("event_id")
            if event_id is not None and not current_user.acts_in_event_id(event_id):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


staff_required = role_required(Role.facilitator, Role.organiser)
organiser_required = role_required(Role.organiser)


def ensure_member(user: Optional[User], event: "Event") -> None:
    """Participants and staff act only in their own event."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise OperationError(_("Войдите, чтобы продолжить."), 401)
    if not user.acts_in(event):
        raise OperationError(_("Вы вошли в другое мероприятие. Войдите с кодом мероприятия "
                               "«%(title)s».", title=event.title), 403)
    if user.is_suspended:
        raise OperationError(_("Организаторы приостановили ваше участие. Если это ошибка, "
                               "обратитесь к ним."), 403)
    if not user.is_approved:
        raise OperationError(_("Организаторы ещё не подтвердили ваше участие. Как только "
                               "подтвердят, вы сможете предлагать и поддерживать."), 403)


def ensure_event_allows(event: "Event", action: str) -> None:
    """The event's state (draft, finished, archived) may forbid ``action`` to participants:
    409 with the reason, before anything is written."""
    if not event.can_take_part(action):
        raise OperationError(event.closed_notice(action), 409)


def ensure_staff_edits(event: "Event") -> None:
    """An archived event is read-only for its staff too: 409 with the notice, nothing written."""
    if not event.takes_staff_edits():
        raise OperationError(event.closed_notice(), 409)


def staff_of(user: Optional[User], event: "Event") -> bool:
    """A facilitator or organiser acting in this event."""
    return bool(user is not None and getattr(user, "is_staff", False) and user.acts_in(event))


def ensure_can_manage(actor: Optional[User], event: "Event") -> None:
    """Only the event's methodical group (organisers)."""
    if actor is None or not actor.can_manage(event):
        raise OperationError(_("Это может только методическая группа мероприятия."), 403)


def ensure_can_moderate(actor: User, track: "Track") -> None:
    """Facilitators act only in their tracks; organisers everywhere."""
    if actor is None or not actor.can_moderate(track):
        raise OperationError(_("Вы не модерируете трек «%(track)s».", track=track.title), 403)
