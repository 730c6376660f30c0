"""The draft review (обсуждение проекта): the methodical group publishes the strategy draft,
participants read it, support its sections and comment on them until the phase closes."""
from flask import Blueprint

bp = Blueprint("discussion", __name__)
