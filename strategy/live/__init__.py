"""Live screens: the change feed and the hall's projector; routes imported by create_app()."""
from flask import Blueprint

bp = Blueprint("live", __name__)
