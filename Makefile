# Two commands for a newcomer: `make run` and `make test`. Everything installs into .venv.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
# Test settings: DEBUG stays off (as in production) with a throwaway key.
TEST_ENV := SECRET_KEY=test-only-secret-key-not-for-production DEBUG=0
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
# Test processes (pytest-xdist): one per core; each gets its own test database and broker queue.
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
XDIST := -n $(TEST_WORKERS)

.PHONY: run test test-fast fuzz test-sqlite test-postgres bench lint install install-test clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# fever-scorer (pinned in requirements-test.txt) ships only an sdist that today's setuptools cannot
# build: its wheel is built first, by pip in an isolated environment with the setuptools of
# build-constraints.txt, into a wheelhouse the install then finds it in.
WHEELHOUSE := $(VENV)/wheelhouse
FEVER_SCORER = $(shell grep -E '^fever-scorer==' requirements-test.txt)

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt build-constraints.txt
	PIP_CONSTRAINT=build-constraints.txt $(PY) -m pip wheel --quiet --disable-pip-version-check --no-deps \
		--wheel-dir $(WHEELHOUSE) "$(FEVER_SCORER)"
	$(PY) -m pip install --quiet --disable-pip-version-check --find-links $(WHEELHOUSE) -r requirements-test.txt
	touch $@

# Front-end packages (htmx) from npm, exactly as locked; served under /static/vendor/.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed
install-test: $(VENV)/.installed-test node_modules/.installed

run: install
	DEBUG=$${DEBUG:-1} $(PY) manage.py devstack

# In CI (CI=true) or with WITH_POSTGRES=1 the suite runs a second time on PostgreSQL.
test: install-test
	$(MAKE) --no-print-directory test-sqlite
	@if [ "$${CI:-}" = "true" ] || [ -n "$${WITH_POSTGRES:-}" ]; then $(MAKE) --no-print-directory test-postgres; fi

test-sqlite: lint
	env -u DATABASE_URL $(TEST_ENV) $(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

# Property-based fuzzing of the API with many more examples per operation than `make test`.
fuzz: install-test
	env -u DATABASE_URL SCHEMATHESIS_MAX_EXAMPLES=200 $(TEST_ENV) $(PY) -m pytest tests/test_api_schemathesis.py $(PYTEST_ARGS)

# The suite without real workers and browsers: what to run between edits.
test-fast: install-test
	env -u DATABASE_URL $(TEST_ENV) $(PY) -m pytest $(XDIST) -m "not worker and not e2e" $(PYTEST_ARGS)

test-postgres: install-test
	DATABASE_URL=$(POSTGRES_URL) $(TEST_ENV) $(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

bench: install-test
	@for script in bench/bench_*.py; do $(TEST_ENV) $(PY) $$script || exit 1; done

# Lint, formatting, types, and models in step with their migrations.
lint: install-test
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(TEST_ENV) $(PY) -m mypy
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var node_modules
