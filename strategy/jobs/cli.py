"""``flask --app app worker``: runs the queued jobs (grouping, DOCX) from Redis."""
import logging
import os
import socket

import click
from flask import current_app
from flask.cli import with_appcontext
from rq import Queue, Worker

from strategy.extensions import db
from strategy.jobs.queue import queue_name, redis_connection
from strategy.jobs.tasks import horse_killed


@click.command("worker")
@click.option("--burst", is_flag=True, help="Выполнить задачи из очереди и выйти.")
@click.option("--check", is_flag=True,
              help="Только проверить, доступен ли Redis (код выхода 0 — да, 1 — нет).")
@with_appcontext
def worker_command(burst: bool, check: bool):
    """Run the background jobs queued on Redis (REDIS_URL): grouping runs and DOCX files."""
    connection = redis_connection(current_app)
    if connection is None:
        if check:
            raise SystemExit(1)
        raise click.ClickException(
            "Redis недоступен (задайте REDIS_URL, например redis://127.0.0.1:6379/0): без него "
            "долгие задачи выполняются внутри веб-сервера.")
    if check:
        click.echo(f"Redis доступен: очередь «{queue_name()}».")
        return
    import analysis  # noqa: F401  (loaded once here, shared by every forked job)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    db.engine.dispose()  # no connection of ours crosses the fork into a job
    name = f"strategy-{socket.gethostname()}-{os.getpid()}"
    worker = Worker([Queue(queue_name(), connection=connection)], connection=connection,
                    name=name, work_horse_killed_handler=horse_killed)
    click.echo(f"Обработчик задач {name}: очередь «{queue_name()}» (Ctrl+C — остановить).")
    worker.work(burst=burst, with_scheduler=False, logging_level="INFO")


COMMANDS = [worker_command]
