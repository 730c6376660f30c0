"""Importing participants lists and pre-collected proposals (organisers only)."""
from flask import Blueprint

bp = Blueprint("imports", __name__)
