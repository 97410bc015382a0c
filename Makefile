# Every target builds its own virtual environment first, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed

.PHONY: help venv demo test test-all lint up bench clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)  ## Create .venv and install the pinned dependencies

demo: $(STAMP)  ## Run one whole hotfix on the embedded sandbox GitHub, then stop everything
	$(PY) -m local.demo

test: $(STAMP)  ## The suite without the slow fault/recovery tests: unit, time-skipping, integration (< 3 min)
	$(PY) -m pytest -m "not slow"

test-all: $(STAMP)  ## The whole suite, the slow fault/recovery tests too (what CI runs)
	$(PY) -m pytest

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

up: $(STAMP)  ## Dev server + UI, sandbox GitHub and a worker in the foreground (Ctrl-C stops all)
	$(PY) -m local.stack

bench: $(STAMP)  ## Benchmarks; results go to bench/RESULTS.md
	$(PY) bench/run_all.py

clean:  ## Remove the virtual environment and local state
	rm -rf $(VENV) .data .sandbox .pytest_cache .mypy_cache .ruff_cache
