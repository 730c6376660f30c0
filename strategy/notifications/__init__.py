"""The notifications domain: what happened to my proposals, comments and registrations,
written in the transaction of the action that caused it, shown behind the bell."""
from flask import Blueprint

bp = Blueprint("notifications", __name__)
