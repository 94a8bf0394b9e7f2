# One command each: `make dev` runs the product locally, `make test` proves it, `make bench` measures it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8000

.PHONY: dev test test-fast lint types bench package clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH (or PYTHON=python3.x make ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

dev: $(STAMP)
	PORT=$(PORT) $(BIN)/loyalty dev --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

test: lint types
	$(BIN)/pytest -n 2

test-fast: $(STAMP)
	$(BIN)/pytest -n 2 -m "not slow"

bench: $(STAMP)
	$(BIN)/python -m tests.bench.run

package: $(STAMP)
	$(BIN)/loyalty package --stage demo --out build/package

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
