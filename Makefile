# Everything runs in .venv, created on first use from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Byte-compile the package as pip does for an installed wheel: an editable install leaves it
# to the first import, which PYTHONDONTWRITEBYTECODE (set on many CI machines) turns into
# every start of every crawl (about 0.3 s of CPU for the package's modules).
BYTECODE := $(BIN)/python -m compileall -q crawler

.PHONY: install demo test lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BYTECODE) >/dev/null
	touch $(STAMP)

install: $(STAMP)

## Serve the bundled demo site on loopback, crawl it into data/crawler.db, data/sets.json and data/sets.csv.
demo: $(STAMP)
	$(BIN)/python -m crawler demo

## ruff, mypy (strict for crawler/), the package contracts (lint-imports) and the whole test
## suite (server-dependent tests skip when PostgreSQL/Redis/Chromium are absent).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BYTECODE) >/dev/null
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .

## Benchmarks print ratios against a baseline run in the same script.
bench: $(STAMP)
	$(BYTECODE) >/dev/null
	@for b in bench/bench_*.py; do name=$$(basename $$b .py); echo "== $$name"; \
		$(BIN)/python -m bench.$$name || exit 1; done

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache .mypy_cache
