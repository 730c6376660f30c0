"""The methodical group's workspace: grouping runs, draft sections and their edits."""
from flask import Blueprint

bp = Blueprint("workspace", __name__)
