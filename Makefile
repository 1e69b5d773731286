# The only commands a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit bench bench-api bench-compliance bench-experiments bench-quick install clean ui ui-test ui-check

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## run: install into .venv and run the demo (1,000 synthetic leads, 30 virtual days, SQLite)
run: $(STAMP)
	$(BIN)/leadflow demo
	@echo
	@echo "Next: source $(VENV)/bin/activate   (puts leadflow on your PATH), then: leadflow --help"

## test: ruff, import-linter's layer contracts, mypy and the whole pytest suite
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

## unit: the pytest suite, listing its 25 slowest tests (markers: slow, subprocess, hypothesis_heavy)
unit: $(STAMP)
	$(BIN)/python -m pytest -q --durations=25

## bench: the engine benchmark (figures go in docs/benchmarks.md)
bench: $(STAMP)
	$(BIN)/python bench/engine.py --json

## bench-api: the HTTP ingest benchmark (server + load generator on loopback)
bench-api: $(STAMP)
	$(BIN)/python bench/api.py --json

## bench-compliance: 100,000 sends checked against every sending rule (figures in docs/benchmarks.md)
bench-compliance: $(STAMP)
	$(BIN)/python bench/compliance.py --sends 100000 --json

## bench-experiments: A/A peeking, A/B power and bandit allocation by simulation (figures in docs/benchmarks.md)
bench-experiments: $(STAMP)
	$(BIN)/python bench/experiments.py --json

## ui: rebuild the web app's bundle (web/ -> src/leadflow/webui/, committed; needs Node 20 and npm)
web/node_modules/.installed: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

ui: web/node_modules/.installed
	cd web && npm run build

## ui-test: the web app's graph and store tests (Vitest)
ui-test: web/node_modules/.installed
	cd web && npm test

## ui-check: rebuild the bundle from the committed source and lock file; fail when it differs
ui-check: ui
	@test -z "$$(git status --porcelain -- src/leadflow/webui)" || \
	  { git status --short -- src/leadflow/webui; echo "the committed bundle differs: run make ui and commit"; exit 1; }

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
