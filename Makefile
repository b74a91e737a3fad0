# opsquad: two set-up commands for a new user.
#   make demo  - install into .venv/, fetch + verify the local model, review the bundled example change
#   make test  - install what the tests need and run them (lint, types, unit, integration with the real model)
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install install-dev system-deps demo test lint bench

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

install-dev: $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'

demo: install
	$(BIN)/opsquad model pull
	$(BIN)/opsquad demo --format markdown

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

# Debian packages the tests start on loopback (PostgreSQL for the Postgres checkpointer test).
system-deps:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else echo "install PostgreSQL (apt-get install postgresql) for the Postgres checkpointer test"; fi; }

test: install-dev system-deps lint
	$(BIN)/opsquad model pull
	SEMGREP_ENABLE_VERSION_CHECK=0 $(BIN)/semgrep --test --metrics=off tools/rules
	$(BIN)/pytest -q

bench: install
	$(BIN)/python evals/bench_model.py
