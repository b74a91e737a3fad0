# opsquad: two set-up commands for a new user.
#   make demo  - install into .venv/, fetch + verify the local model, review the bundled example change
#   make test  - install what the tests need and run them (lint, types, unit, integration with the real model)
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install install-dev system-deps cluster-deps eval-deps demo test lint bench

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

# The SRE harness (tests/support/harness): etcd, Prometheus, Alertmanager from Debian, and kube-apiserver/-controller-manager/
# -scheduler/kubectl 1.20.2 built offline from Debian's source package (~8 min once; cached in $(KUBE_BIN)).
# Packages apt starts as services are stopped and disabled right away: the tests start their own on loopback.
KUBE_BIN ?= $(or $(OPSQUAD_KUBE_BIN),$(HOME)/.cache/opsquad/kube/v1.20.2/bin)
CLUSTER_PKGS := golang-go rsync etcd-server prometheus prometheus-alertmanager openssl
cluster-deps:
	@missing=""; for p in $(CLUSTER_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "cluster-deps: apt-get install$$missing"; apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	    for s in prometheus prometheus-alertmanager prometheus-node-exporter etcd; do \
	      systemctl disable --now $$s >/dev/null 2>&1 || service $$s stop >/dev/null 2>&1 || true; done; \
	  else echo "cluster-deps: install$$missing (apt-get) for the SRE harness tests"; exit 1; fi; fi
	@for b in kube-apiserver kube-controller-manager kube-scheduler; do \
	  [ -x "$(KUBE_BIN)/$$b" ] || { OPSQUAD_KUBE_BIN="$(KUBE_BIN)" bash scripts/build-kube.sh || exit 1; break; }; done

test: install-dev system-deps cluster-deps lint
	$(BIN)/opsquad model pull
	SEMGREP_ENABLE_VERSION_CHECK=0 $(BIN)/semgrep --test --metrics=off tools/rules
	$(BIN)/pytest -q

# Pynguin (search-based test generation) in its own venv, so `opsquad eval sdet` can print its row beside ours.
PYNGUIN_VENV ?= $(HOME)/.cache/opsquad/pynguin
eval-deps:
	@[ -x "$(PYNGUIN_VENV)/bin/pynguin" ] || { $(PY) -m venv "$(PYNGUIN_VENV)" && "$(PYNGUIN_VENV)/bin/pip" install -q pynguin; }

bench: install
	$(BIN)/python evals/bench_model.py
