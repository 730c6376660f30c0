"""The events domain; its routes are imported by create_app() to avoid import cycles."""
from flask import Blueprint

bp = Blueprint("events", __name__)
