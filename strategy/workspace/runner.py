"""Running the grouping outside the request: a thread with its own app context. The run's
state lives in the database, so any server process can report its progress."""
import logging
import threading
from typing import Callable

from flask import Flask
from flask_babel import force_locale

from strategy.extensions import db

logger = logging.getLogger(__name__)


def launch(app: Flask, job: Callable[[int], object], run_id: int) -> threading.Thread:
    """Start ``job(run_id)`` for a queued run in a daemon thread and return the thread."""
    thread = threading.Thread(target=run_in_thread, args=(app, job, run_id),
                              name=f"grouping-run-{run_id}", daemon=True)
    thread.start()
    return thread


def run_in_thread(app: Flask, job: Callable[[int], object], run_id: int) -> None:
    """Own app context and session; never lets an exception escape the thread."""
    with app.app_context(), force_locale(app.config.get("BABEL_DEFAULT_LOCALE", "ru")):
        try:
            job(run_id)
        except Exception:
            logger.exception("grouping run %s could not be executed", run_id)
        finally:
            db.session.remove()
