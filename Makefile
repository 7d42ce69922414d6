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

.PHONY: run run-check stop test test-unit bench lint token stack status clean schemas fuzz

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is missing: apt-get install -y python3 python3-venv"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@# Every package, pip and setuptools included, is pinned with its hashes (README, "Dependencies"):
	@# the venv's own pip installs them in hash-checking mode, nothing unpinned is fetched.
	@$(PY) -m pip install -q --require-hashes -r requirements-dev.txt
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

# The schema fuzz of every service's API (tests/e2e/test_fuzz.py) with many more cases per
# operation than `make test` runs; `make fuzz FUZZ_EXAMPLES=200` for more still.
FUZZ_EXAMPLES ?= 50

fuzz: stack
	@CARELEDGER_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q -p no:cacheprovider \
		-o timeout=0 tests/e2e/test_fuzz.py

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
	@# Known vulnerabilities of every pinned package, from PyPI's vulnerability data. --strict: a
	@# package that could not be looked up fails the audit rather than passing unaudited.
	@$(VENV)/bin/pip-audit --strict --progress-spinner off --vulnerability-service pypi \
		--disable-pip --require-hashes -r requirements.txt -r requirements-dev.txt

schemas: $(STAMP)
	@PYTHONPATH=libs:services $(PY) -m events.asyncapi

token: $(STAMP)
	@PYTHONPATH=libs $(PY) -m events.devissuer token --role $(ROLE) --org $(ORG)

clean: stop
	rm -rf .local
