"""The programme domain: registration for programme items, waiting lists, calendars,
session outcomes and the event as a file (`flask event ...`)."""
from flask import Blueprint

bp = Blueprint("programme", __name__, cli_group="event")
