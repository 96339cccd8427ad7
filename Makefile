# The template repository's verbs (a generated project has the same ones).
# Every target installs what it needs into $(VENV) first, so each works on a fresh machine.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
DEMO_DIR ?= build/demo

.DEFAULT_GOAL := help
.PHONY: help install demo test lint format bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

install: $(VENV)/.installed ## create .venv with copier and everything a generated project needs

$(VENV)/.installed: requirements-template.txt template/requirements.txt template/requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-template.txt
	touch $@

# The demo project installs its own .venv from its own requirements files, as a user's
# would, so a dependency missing from them fails here.
demo: install ## render the default assistant into build/demo and run it (today: its tests and lint)
	rm -rf $(DEMO_DIR)
	$(VENV)/bin/copier copy --trust --defaults --vcs-ref HEAD . $(DEMO_DIR)
	$(MAKE) --no-print-directory -C $(DEMO_DIR) test

test: install lint ## lint, then the whole suite (renders every preset, runs their tests, updates)
	$(PY) -m pytest

lint: install ## ruff and mypy on the template's code
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: install ## apply ruff's fixes and formatting
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: install ## print the benchmarks' figures
	$(PY) bench/copier_copy.py
