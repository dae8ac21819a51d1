# Munshi: `make run` installs and starts everything; `make test` installs the dev tools and runs the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test test-postgres lint eval bench

$(VENV)/.run: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.run requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

run: $(VENV)/.run
	$(PY) -m bot serve $(ARGS)

# The whole suite on SQLite with embedded Redis; then, when PostgreSQL and Redis
# answer on 127.0.0.1, the whole suite again on PostgreSQL and that Redis.
test: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m mypy bot storage tools intents flows
	$(PY) -m pytest -q -n 2 -p no:cacheprovider
	$(MAKE) --no-print-directory test-postgres

test-postgres: $(VENV)/.dev
	@if $(PY) -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2).close(); socket.create_connection(('127.0.0.1', 6379), 2).close()" 2>/dev/null; then \
	  TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test TEST_REDIS_URL=redis://127.0.0.1:6379/0 \
	    $(PY) -m pytest -q -n 2 -p no:cacheprovider; \
	else echo "PostgreSQL or Redis not running on 127.0.0.1: skipped the PostgreSQL pass"; fi

lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m mypy bot storage tools intents flows

eval: $(VENV)/.dev
	$(PY) ../shared/eval/conversation_eval.py ../shared/eval/dev_cases.jsonl --python $(PY) --verbose

# Every benchmark with quick settings (a few minutes; ARGS=--full for issue 8's durations), figures in
# bench/results/. The ingestion benchmark's maximum req/s needs wrk: apt-get install wrk.
bench: $(VENV)/.run
	$(PY) -m bench $(ARGS)
