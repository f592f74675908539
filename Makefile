# make test: create .venv if missing, install the package with its test extras, run the suite.
# make demo: a simulated portal in a throwaway database. make bench: the benchmark suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: test lint demo bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the project's metadata changes.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $@

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check mqp_jobs tests
	$(BIN)/ruff format --check mqp_jobs tests
	$(BIN)/mypy --strict mqp_jobs

# The server the demo and the benchmarks create their throwaway databases on.
MQP_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export MQP_DATABASE_URL

demo: $(VENV)/.installed-test
	$(BIN)/mqp-jobs demo

# PgQueuer (for the side-by-side figures) and matplotlib (for the plot) come with the bench extra.
$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

bench: $(VENV)/.installed-bench
	$(BIN)/mqp-jobs bench --report docs/benchmarks.md --plot docs/benchmarks.png

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
