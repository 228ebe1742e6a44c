# Loyalty Desk. `make run` for a first run, `make test` for the suite. See README.md.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export UV_PYTHON_DOWNLOADS := never

.PHONY: run install migrate demo lint format test test-fast bench lock clean

$(STAMP): requirements.lock .python-version
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -c 'import sys; assert sys.version_info >= (3, 12), "Python >= 3.12 needed (see .python-version)"'
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	@mkdir -p var
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py demostaff

run: demo
	@echo "Loyalty Desk on http://127.0.0.1:8000  (sandbox on :$${SANDBOX_PORT:-8001}; Ctrl-C stops everything)"
	$(VENV)/bin/honcho -f Procfile.dev start

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	@# Models and migrations must agree; an in-memory database, so no real one is ever touched.
	DATABASE_URL=sqlite://:memory: $(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint
	LOYALTY_ENV=test $(PY) -m pytest

test-fast: install
	LOYALTY_ENV=test $(PY) -m pytest -m "not browser and not worker" -q

bench: migrate
	LOYALTY_ENV=test $(PY) -m bench

lock: install
	$(VENV)/bin/uv pip compile pyproject.toml --group dev --python-version 3.12 --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .mypy_cache .ruff_cache
