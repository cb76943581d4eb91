# leadcapture: `make test` sets everything up on a fresh machine and runs every check.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
# uv, pinned with its hashes in requirements-uv.txt, lives apart from the project's environment (which
# `uv sync` keeps exactly as uv.lock says) and installs the project from uv.lock.
TOOLS := .tools
UV := $(TOOLS)/bin/uv
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never

.PHONY: install lock lock-check system-packages test lint typecheck imports unit run bench openapi clean

$(UV): requirements-uv.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --only-binary :all: -r requirements-uv.txt
	touch $@

# Every extra and the dev group, at exactly the versions and hashes in uv.lock (--locked refuses a lock that
# no longer matches pyproject.toml), compiled to bytecode once so that every command starts fast (adr/0060).
$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --quiet --locked --all-extras --compile-bytecode --python $(PYTHON)
	touch $@

install: $(VENV)/.installed

# Resolve pyproject.toml's ranges again and rewrite uv.lock; commit the result.
lock: $(UV)
	$(UV) lock --python $(PYTHON)

# Fails when uv.lock does not match pyproject.toml (someone changed a dependency without `make lock`).
lock-check: $(UV)
	$(UV) lock --check --python $(PYTHON)

# The servers the tests start themselves (PostgreSQL, Redis): installed when missing, as root, or named.
system-packages:
	@tests/system-packages.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy src bench

imports: install
	$(BIN)/lint-imports

unit: install system-packages
	$(BIN)/pytest -q

test: lock-check system-packages lint typecheck imports unit

run: install
	$(BIN)/leadcapture serve

# The commit `make bench` times the engine against in the same run (`python -m bench --against REV`).
BENCH_AGAINST ?= 597236f

bench: install
	@tests/system-packages.sh wrk
	$(BIN)/python -m compileall -q src
	$(BIN)/python -m bench.summary --clear
	$(BIN)/python -m bench --against $(BENCH_AGAINST)
	$(BIN)/python -m bench.stores
	$(BIN)/python -m bench.http
	$(BIN)/python -m bench.importer
	$(BIN)/python -m bench.queue
	$(BIN)/python -m bench.summary

openapi: install
	$(BIN)/python -m leadcapture.entrypoints.openapi > docs/openapi.json

clean:
	rm -rf $(VENV) $(TOOLS) .mypy_cache .ruff_cache .hypothesis
