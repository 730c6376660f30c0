"""Moderation: queue, actions, flags, phases, audit log; routes imported by create_app()."""
from flask import Blueprint

bp = Blueprint("moderation", __name__)
