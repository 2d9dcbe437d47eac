# Two commands do everything on a fresh machine:
#   make run   - venv, install, migrate, seed, demo accounts, serve on http://127.0.0.1:$(PORT)
#   make test  - the same set-up, then every test
SHELL := /bin/bash
PORT ?= 8000
# pytest-xdist: one test process per core (two here); PYTEST_ARGS="-n 0" runs them in one.
PYTEST_ARGS ?= -n $(shell nproc 2>/dev/null || echo 2)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test setup check-python check-secret-key lint format serve bench clean

# Django 6.1 needs Python >= 3.12. pyenv falls back to an older system python3 when it
# lacks the version .python-version names, so try the likely interpreters in turn.
PYTHON := $(shell for p in python3 python3.13 python3.12 "env PYENV_VERSION=3.13 python3"; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; done)

check-python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "Commitment Tracker needs Python 3.12 or newer (Django 6.1); found: $$(python3 --version 2>&1)." >&2; \
		echo "Install Python 3.12+ (e.g. 'pyenv install 3.13') and run make again." >&2; \
		exit 1; fi

$(STAMP): requirements.txt requirements-dev.txt | check-python
	@test -x $(PY) && $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' || { rm -rf $(VENV); $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

setup: check-python $(STAMP)
	@mkdir -p var
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_seed
	$(PY) manage.py create_demo_accounts

# The web server, the task worker (emails, notifications) and the scheduler, from the
# Procfile; one Ctrl-C stops all three.
run: setup
	@echo
	@echo "Commitment Tracker: http://localhost:$(PORT)/   (admin: http://localhost:$(PORT)/admin/)"
	@echo "Demo accounts: analyst, manager, admin (password above). Emails print below (worker)."
	exec $(VENV)/bin/honcho start -f Procfile -p $(PORT)

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Production-style serving: gunicorn + whitenoise, DEBUG off (see README, "Production").
# Needs SECRET_KEY. Served over plain HTTP with no TLS proxy in front, also set
# SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0. BIND=0.0.0.0:8000
# behind a load balancer; WORKERS=n processes (stateless: sessions live in the database).
BIND ?= 127.0.0.1:$(PORT)
serve: check-secret-key setup
	DEBUG=0 $(PY) manage.py collectstatic --no-input -v 0
	DEBUG=0 exec $(VENV)/bin/gunicorn tracker.wsgi --bind $(BIND) --workers $${WORKERS:-2} \
		--access-logfile - --no-control-socket

check-secret-key:
	@if [ -z "$$SECRET_KEY" ]; then \
		echo "make serve runs with DEBUG off and needs SECRET_KEY (see README, Production)." >&2; \
		exit 1; fi

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache

# The benchmark (bench/README.md): its own SQLite database, ten years of data, every page timed.
bench: setup
	SQLITE_PATH=var/bench.sqlite3 $(PY) manage.py migrate --no-input -v 0
	SQLITE_PATH=var/bench.sqlite3 $(PY) manage.py generate_bench_data --reset
	SQLITE_PATH=var/bench.sqlite3 $(PY) bench/run.py
