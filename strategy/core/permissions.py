"""Role checks for views. Anonymous users go to sign-in; signed-in users without the right get 403."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from strategy.auth.models import Role


def role_required(*roles: Role):
    """Allow only users with one of these roles (organisers always pass)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role is not Role.organiser and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


staff_required = role_required(Role.facilitator, Role.organiser)
organiser_required = role_required(Role.organiser)
