# leadcapture: `make test` sets everything up on a fresh machine and runs every check.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test lint typecheck imports unit run bench openapi clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy src

imports: install
	$(BIN)/lint-imports

unit: install
	$(BIN)/pytest -q

test: lint typecheck imports unit

run: install
	$(BIN)/leadcapture serve

bench: install
	$(BIN)/python -m bench
	$(BIN)/python -m bench.stores
	$(BIN)/python -m bench.http
	$(BIN)/python -m bench.importer
	$(BIN)/python -m bench.queue

openapi: install
	$(BIN)/python -m leadcapture.entrypoints.openapi > docs/openapi.json

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .hypothesis
