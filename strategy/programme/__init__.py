"""The programme domain: registration for programme items, waiting lists, calendars,
session outcomes and the event as a file (`flask event ...`)."""
from flask import Blueprint

bp = Blueprint("programme", __name__, cli_group="event")
bp.cli.help = ("An event as a JSON file (export, import; see docs/event-file.md) and its states "
               "(open, finish, archive).")
bp.cli.short_help = "An event as a file (export, import) and its states (open, finish, archive)."
