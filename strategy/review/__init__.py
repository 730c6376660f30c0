"""The review domain: expert assessments and official answers; routes imported by create_app()."""
from flask import Blueprint

bp = Blueprint("review", __name__)
