"""Downloads for the methodical group (DOCX draft, XLSX, CSV, JSON, Pol.is) and statistics."""
from flask import Blueprint

bp = Blueprint("export", __name__)
