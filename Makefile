# Self-documenting Makefile: `make` (or `make help`) lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall only when the dependency list changes.
STAMP := $(VENV)/.installed

.PHONY: help briefs test test-portable test-fast lab lint bench clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,cluster]'
	@touch $(STAMP)

briefs: $(STAMP) ## Build every brief from data/ into reports/ (HTML, PDF, charts, numbers)
	$(BIN)/python -m analysis build

test: $(STAMP) ## Run the whole test suite (real notebooks, nbconvert and PDF rendering)
	$(BIN)/python -m pytest

test-portable: $(STAMP) ## Run the whole test suite as on Windows: no fcntl, no fork, spawn only
	PYTHONPATH="$(CURDIR)/tests/portable" $(BIN)/python -m pytest

test-fast: $(STAMP) ## Run the tests that start no kernel and render no PDF (seconds)
	$(BIN)/python -m pytest -m "not slow"

lab: $(STAMP) ## Open JupyterLab on notebooks/
	$(BIN)/jupyter lab notebooks/

lint: $(STAMP) ## Check style with ruff
	$(BIN)/ruff check analysis tests bench

bench: $(STAMP) ## Time the build against the naive papermill + nbconvert chain (minutes)
	$(BIN)/python bench/run.py

clean: ## Remove the virtual environment, caches and scratch notebook runs
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache reports/notebook-run
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
