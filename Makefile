# Everyday commands; each is what CI runs (.ci/run) or documents, not a second recipe.
# `make test` uses SQLite unless DATABASE_URL is set, like scripts/run_tests.sh.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: help run test test-pg lint format typecheck migrations-check check bench ci

help:
	@echo "make run | test | test-pg | lint | format | typecheck | migrations-check | check | bench | ci"

run:
	scripts/run_local.sh

test:
	scripts/run_tests.sh $(ARGS)

# The suite as CI runs it, on this machine's PostgreSQL and Redis.
test-pg:
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} \
	CELERY_TEST_BROKER_URL=$${CELERY_TEST_BROKER_URL:-redis://127.0.0.1:6379/15} \
	scripts/run_tests.sh $(ARGS)

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck:
	$(VENV)/bin/mypy .

migrations-check:
	$(PY) manage.py makemigrations --check --dry-run --settings qbsync.test_settings

check: lint typecheck migrations-check

# Full-size benchmarks; they rewrite their sections of docs/benchmarks.md.
bench:
	$(PY) -m bench $(ARGS)

ci:
	bash .ci/run
