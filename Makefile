# The two commands: `make demo` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
TEST_DATA := $(CURDIR)/.test-data
TEST_ENV := QITONG_SECRET_KEY=test-only-secret-key-0123456789abcdefghij QITONG_DATA_DIR=$(TEST_DATA) \
	QITONG_REDIS_URL= QITONG_DATABASE_URL=
PYTEST := $(BIN)/pytest

.PHONY: demo test venv system-deps lint check migrations test-suites test-sqlite test-postgres test-browser bench clean

demo: venv
	$(BIN)/qitong demo

test: system-deps venv lint check migrations test-suites

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

system-deps:
	scripts/system-deps.sh

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports --no-cache

check: venv
	$(TEST_ENV) $(BIN)/qitong check --fail-level WARNING

migrations: venv
	$(TEST_ENV) $(BIN)/qitong makemigrations --check --dry-run

# SQLite and PostgreSQL side by side, browser tests after SQLite: scripts/run-suites.sh.
# The three targets below run one suite each.
test-suites: venv
	$(TEST_ENV) PYTEST=$(PYTEST) scripts/run-suites.sh

test-sqlite: venv
	$(TEST_ENV) $(PYTEST) -m "not browser"

test-postgres: venv
	$(TEST_ENV) scripts/with-postgres.sh $(PYTEST) -m "not browser"

test-browser: venv
	$(TEST_ENV) $(PYTEST) -m browser

clean:
	rm -rf $(VENV) $(TEST_DATA) .pytest_cache .ruff_cache
