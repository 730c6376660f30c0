# Two commands for newcomers: `make run` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := app
export HOST PORT

.PHONY: run dev test bench serve install clean translations

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(BIN)/activate

MO := translations/en/LC_MESSAGES/messages.mo

# The compiled catalogue is built, not committed (parallel branches merge the .po as text).
$(MO): translations/en/LC_MESSAGES/messages.po $(BIN)/activate
	$(BIN)/pybabel compile -d translations

install: $(BIN)/activate $(MO)

WORKERS ?= 2
# gevent workers (gunicorn.conf.py): each open live stream is a greenlet, not a thread.
GUNICORN = $(BIN)/gunicorn -c gunicorn.conf.py --workers $(WORKERS) --bind $(HOST):$(PORT)
# `flask worker` (grouping, DOCX) beside gunicorn when Redis (REDIS_URL) answers; otherwise long
# work runs in a thread of a web worker. One shell: Ctrl+C stops gunicorn, the trap the worker.
WITH_WORKER = if $(BIN)/flask worker --check >/dev/null 2>&1; then \
	  $(BIN)/flask worker & WORKER_PID=$$!; \
	  trap 'kill $$WORKER_PID 2>/dev/null; wait $$WORKER_PID 2>/dev/null' EXIT; \
	  trap 'exit 130' INT TERM; \
	else echo "  Очередь задач выключена (REDIS_URL не задан или Redis не отвечает): группировка и DOCX пойдут внутри веб-сервера."; fi;

## make run: create the database in instance/ if absent, load the demo if empty, serve with
## gunicorn (several processes: live updates go through the database, not process memory),
## and the job worker beside it when REDIS_URL answers.
run: install
	$(BIN)/flask seed-demo --if-empty
	@echo "  Откройте http://$(HOST):$(PORT)  (Ctrl+C — остановить)"
	@$(WITH_WORKER) $(GUNICORN) app:app

## make dev: Flask's development server with reload, for working on the code.
dev: install
	$(BIN)/flask seed-demo --if-empty
	$(BIN)/flask --debug run --host $(HOST) --port $(PORT)

## make serve: for a hall: more workers, access log on stdout.
serve: WORKERS = 4
serve: install
	$(BIN)/flask seed-demo --if-empty
	@$(WITH_WORKER) $(GUNICORN) --access-logfile - app:app

## make test: the whole suite (SQLite; set TEST_DATABASE_URL for PostgreSQL), in TEST_WORKERS
## processes (pytest-xdist; each has its own PostgreSQL database); TEST_WORKERS=0 runs in one.
TEST_WORKERS ?= 2
test: install
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup

## make bench: speed, memory and quality figures, one JSON line each.
bench: install
	$(BIN)/python -m benchmarks

translations: install
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations
	$(BIN)/pybabel compile -d translations

clean:
	rm -rf $(VENV) .pytest_cache
