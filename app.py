"""Entry point: `flask --app app run`, `gunicorn app:app`."""
from strategy import create_app
from strategy.extensions import db

app = create_app()


@app.shell_context_processor
def shell_context():
    from strategy import models

    return {"db": db, "models": models}
