# The two commands of the README's Quickstart. Each does its own set-up: it creates .venv if
# needed (Debian and Ubuntu refuse a system-wide pip install) and installs what it needs.
#   make run   — install mimsim and run the main job (scenarios/baseline.yaml)
#   make test  — install the test extra and run the test suite (on every core: pytest-xdist)
# and, for developers:
#   make docs  — build the documentation site into docs/_build/html (warnings are errors)
#   make fast  — the fast subset of the tests (no `slow` ones), for a check while developing

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test fast docs bench clean

run: $(VENV)/.installed
	$(BIN)/mimsim run scenarios/baseline.yaml

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n auto -m "not slow" $(PYTEST_ARGS)

docs: $(VENV)/.installed-docs
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/bench_engine.py

# The virtual environment counts as made once it has pip: a venv left half-made (Debian
# without python3-venv) is removed, so that the next attempt starts afresh.
$(BIN)/pip:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
		{ echo "mimsim needs Python 3.11 or newer; found $$($(PYTHON) --version)"; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "Could not create $(VENV). On Debian or Ubuntu: apt install python3-venv"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@ $(VENV)/.installed

$(VENV)/.installed-docs: pyproject.toml | $(BIN)/pip
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	@touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/pip
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	@touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) build docs/_build *.egg-info .pytest_cache .mypy_cache .ruff_cache
