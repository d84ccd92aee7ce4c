# i4p: `make demo` runs the product, `make test` runs the tests. Only Python >= 3.11 is needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/i4p

.PHONY: demo serve test test-sqlite test-postgres check openapi messages clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("i4p needs Python >= 3.11") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

# Only the demo generates missing keys (outside the data directory) and accepts the public
# secret key; elsewhere `i4p serve` refuses them (docs/operations.md).
demo: export I4P_DEMO = 1
demo: $(VENV)/.installed
	$(BIN)/i4p migrate --noinput
	$(BIN)/i4p demo
	$(BIN)/i4p serve

serve: $(VENV)/.installed
	$(BIN)/i4p migrate --noinput
	$(BIN)/i4p serve

# The suite runs on SQLite, then again on PostgreSQL when a server answers
# (in CI, with I4P_CI=1, a missing PostgreSQL or Chromium is a failure, not a skip).
test: test-sqlite test-postgres

test-sqlite: $(VENV)/.installed-dev
	env -u DATABASE_URL $(BIN)/pytest -n 2

# The tests that touch no database ran in test-sqlite already: on PostgreSQL they would only
# repeat themselves (pytest-django refuses them the database).
test-postgres: $(VENV)/.installed-dev
	@if DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m i4p.core.dbcheck; then \
		DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -n 2 --database-tests-only; \
	elif [ -n "$$I4P_CI" ]; then \
		echo "FAIL: PostgreSQL is required in CI but does not answer at $(PG_TEST_URL)"; exit 1; \
	else \
		echo "SKIPPED: the PostgreSQL run (no server at $(PG_TEST_URL); set PG_TEST_URL to run it)"; \
	fi

check: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	env -u DATABASE_URL $(BIN)/i4p makemigrations --check --dry-run
	env -u DATABASE_URL $(BIN)/i4p openapi --check

openapi: $(VENV)/.installed-dev
	env -u DATABASE_URL $(BIN)/i4p openapi

# For translators (needs GNU gettext): re-extract every string into i4p/locale/*/django.po, then
# compile the .mo files that are committed beside them. `make messages LOCALES="sw pt"` starts
# or updates those languages; without LOCALES every language already in i4p/locale is updated.
messages: $(VENV)/.installed
	$(BIN)/i4p makemessages $(if $(LOCALES),$(addprefix -l ,$(LOCALES)),-a) \
		--ignore=.venv --ignore=var --ignore=bench --ignore=build
	$(BIN)/i4p compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var
