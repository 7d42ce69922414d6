# CareLedger: `make run` starts everything on this machine, `make test` runs the suite.
# Both install what they need (Python packages into .venv, PostgreSQL from Debian's packages,
# the Kafka broker's jars from Maven Central) and start what they need on loopback.

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SERVICES := intake assessment referral archive notify
STACK := deploy/stack.sh
ROLE ?= supervisor
ORG ?= org-demo

.PHONY: run run-check stop test test-unit bench lint token stack status clean schemas

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is missing: apt-get install -y python3 python3-venv"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -r requirements-dev.txt
	@# libs/ and services/ on the venv's path: tools run bare (lint-imports, python -m ...) find them
	@printf '%s\n' "$(CURDIR)/libs" "$(CURDIR)/services" > "$$($(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/careledger.pth"
	@touch $(STAMP)

venv: $(STAMP)

stack: $(STAMP)
	@bash $(STACK) up

status:
	@bash $(STACK) status

run: stack
	@bash deploy/services.sh start

stop:
	@bash deploy/services.sh stop || true
	@bash $(STACK) down

test: stack
	@$(PY) -m pytest -q -p no:cacheprovider
	@if [ "$${CI:-}" = true ]; then $(MAKE) --no-print-directory run-check; fi

# CI's last step: what a newcomer's `make run` gives (five services ready), then `make stop`.
run-check: run
	@bash deploy/services.sh ready || { $(MAKE) --no-print-directory stop; exit 1; }
	@$(MAKE) --no-print-directory stop

test-unit: $(STAMP)
	@$(PY) -m pytest -q tests/unit

BENCHES ?= backbone intake request_path assessment notify  # `make bench BENCHES=backbone` runs one

bench: stack
	@for b in $(BENCHES); do \
		echo "== python -m tests.bench.$$b"; \
		PYTHONPATH=libs:services:. $(PY) -m tests.bench.$$b || exit 1; \
	done

lint: $(STAMP)
	@$(VENV)/bin/ruff check libs services tests deploy
	@$(VENV)/bin/ruff format --check libs services tests deploy
	@$(VENV)/bin/mypy libs services
	@$(VENV)/bin/lint-imports --no-cache

schemas: $(STAMP)
	@PYTHONPATH=libs:services $(PY) -m events.asyncapi

token: $(STAMP)
	@PYTHONPATH=libs $(PY) -m events.devissuer token --role $(ROLE) --org $(ORG)

clean: stop
	rm -rf .local
