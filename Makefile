# Each target does all of its own set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test golden lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# checkov (static analysis of infra/terraform) pins boto3 1.35, older than the project's
# boto3>=1.44: it gets a venv of its own, which tests/integration/test_terraform.py runs.
# The stamp names the version, so changing CHECKOV_VERSION reinstalls. The '*' .gitignore (what
# Python 3.13's venv writes) keeps git and ruff out of it.
CHECKOV_VERSION := 3.3.30
INFRA_VENV := .venv-infra
INFRA_STAMP := $(INFRA_VENV)/.installed-checkov-$(CHECKOV_VERSION)

$(INFRA_STAMP):
	test -x $(INFRA_VENV)/bin/python || $(PYTHON) -m venv $(INFRA_VENV)
	echo '*' > $(INFRA_VENV)/.gitignore
	$(INFRA_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(INFRA_VENV)/bin/python -m pip install --quiet 'checkov==$(CHECKOV_VERSION)'
	touch $(INFRA_STAMP)

# fakesnow (the Snowflake stand-in, run as an HTTP server by the tests) pins sqlglot 30.22,
# older than the project's sqlglot>=30.30: it gets a venv of its own, like checkov. The
# tests start `.venv-fakesnow/bin/python` (or LOADERS_FAKESNOW_PYTHON) as the server.
FAKESNOW_VERSION := 0.12.1
FAKESNOW_VENV := .venv-fakesnow
FAKESNOW_STAMP := $(FAKESNOW_VENV)/.installed-fakesnow-$(FAKESNOW_VERSION)

$(FAKESNOW_STAMP):
	test -x $(FAKESNOW_VENV)/bin/python || $(PYTHON) -m venv $(FAKESNOW_VENV)
	echo '*' > $(FAKESNOW_VENV)/.gitignore
	$(FAKESNOW_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(FAKESNOW_VENV)/bin/python -m pip install --quiet 'fakesnow[server]==$(FAKESNOW_VERSION)' 'snowflake-connector-python==4.8.1' 'duckdb==2.0.1' 'pyarrow==26.0.1' 'fsspec==2026.9.0'
	touch $(FAKESNOW_STAMP)

demo: $(STAMP)
	$(BIN)/loaders demo --dir demo

test: $(STAMP) $(INFRA_STAMP) $(FAKESNOW_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n auto --dist loadscope

# Rewrite the golden SQL files from the templates; review and commit the diff.
golden: $(STAMP)
	$(BIN)/loaders compile --config tests/unit/golden/loaders.toml --out tests/unit/golden --check

lint: $(STAMP)
	$(BIN)/ruff check .

# dlt brings its own dependency upgrades: the benchmark gets a venv of its own.
bench:
	test -x .venv-bench/bin/python || $(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet -e '.[bench]'
	.venv-bench/bin/python benchmarks/bench_duckdb.py $(ARGS)

clean:
	rm -rf $(VENV) .venv-bench $(INFRA_VENV) $(FAKESNOW_VENV) demo build dist target .pytest_cache .ruff_cache
