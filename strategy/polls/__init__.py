"""The polls domain: live polls in the hall (single or multiple choice, a scale, a word cloud),
answered on phones, shown with their results on the projector."""
from flask import Blueprint

bp = Blueprint("polls", __name__)
