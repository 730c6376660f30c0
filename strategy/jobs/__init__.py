"""Long work outside the web workers: a job queue on Redis (RQ), the ``flask worker`` command,
the job functions (grouping runs, the DOCX draft), cancelling, and prepared downloads."""
from flask import Blueprint

bp = Blueprint("jobs", __name__)
