# Two commands for newcomers: `make run` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := app

.PHONY: run test test-pg bench serve install clean translations

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(BIN)/activate

install: $(BIN)/activate

## make run: create the database in instance/ if absent, load the demo if empty, serve.
run: install
	$(BIN)/flask seed-demo --if-empty
	$(BIN)/flask run --host $(HOST) --port $(PORT)

## make serve: the same app under gunicorn with several workers (live updates across processes).
serve: install
	$(BIN)/flask seed-demo --if-empty
	$(BIN)/gunicorn --workers 3 --threads 8 --bind $(HOST):$(PORT) app:app

## make test: the whole suite (SQLite; set TEST_DATABASE_URL for PostgreSQL).
test: install
	$(BIN)/python -m pytest -q

## make bench: speed, memory and quality figures, one JSON line each.
bench: install
	$(BIN)/python -m benchmarks

translations: install
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations
	$(BIN)/pybabel compile -d translations

clean:
	rm -rf $(VENV) .pytest_cache
