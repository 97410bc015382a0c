# Every target builds its own virtual environment first, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
# The suite mostly waits (on servers, polls, retries), so four pytest-xdist workers share two cores well
# (three used 57% of them, four 75%; five made timing-sensitive tests flaky). Work stealing: the default `load` scheduling hands out long runs of neighbouring tests, so one worker
# was left with thirty integration tests (two minutes) while the other two sat idle.
TEST_WORKERS ?= 4
PYTEST_XDIST = -n $(TEST_WORKERS) --dist worksteal
# Python caches compiled modules and pytest its rewritten test modules as bytecode; where
# PYTHONDONTWRITEBYTECODE is set (container images often set it) every pytest-xdist worker and every
# CLI or worker subprocess compiles them all again (3 s of CPU per worker at collection alone).
TEST_ENV = PYTHONDONTWRITEBYTECODE=
# The browser suite drives Debian's chromium (never one Playwright downloads).
CHROMIUM ?= /usr/bin/chromium
NO_CHROMIUM = echo "$(CHROMIUM) is missing: install Debian's Chromium with \`sudo apt-get install -y chromium\`" >&2; exit 1

.PHONY: help venv demo test test-all test-ui screenshots lint up bench clean

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

test: $(STAMP)  ## The suite without the slow fault/recovery tests and the browser: unit, time-skipping, integration (< 3 min)
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_XDIST) -m "not slow and not ui"

test-all: $(STAMP)  ## The whole suite but the browser suite, the slow fault/recovery tests too (CI runs it, then test-ui)
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_XDIST) -m "not ui"

test-ui: $(STAMP)  ## The browser suite: the Temporal UI in headless Chromium, as operators use it (< 3 min)
	@test -x $(CHROMIUM) || { $(NO_CHROMIUM); }
	$(TEST_ENV) HOTFIX_CHROMIUM=$(CHROMIUM) $(PY) -m pytest tests/ui

screenshots: $(STAMP)  ## Regenerate the README's screenshots of the Temporal UI (docs/ui-*.png)
	@test -x $(CHROMIUM) || { $(NO_CHROMIUM); }
	HOTFIX_CHROMIUM=$(CHROMIUM) $(PY) -m pytest tests/ui/screenshots.py

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
