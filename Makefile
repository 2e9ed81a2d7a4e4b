# Two commands do all set-up (README): `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint i18n i18n-compile clean

$(BIN)/phoihop: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/phoihop

# Chat with the bot in this terminal: embedded Bot API emulator, demo province, no token needed.
demo: $(BIN)/phoihop
	$(BIN)/phoihop console --demo

# The whole test suite on SQLite (PostgreSQL too when PHOIHOP_TEST_POSTGRES_URL is set).
test: $(BIN)/phoihop
	$(BIN)/pytest -q

lint: $(BIN)/phoihop
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Extract new strings, merge them into both catalogs, compile. Translate in between, then run
# `make i18n-compile` again; tests fail on a missing translation or a stale .mo.
i18n: $(BIN)/phoihop  # then translate: tools/i18n_fill.py VI_DICT.py
	$(BIN)/pybabel extract -F pyproject.toml -k N_ -k ngettext:1,2 --no-location --sort-output \
		-o locales/messages.pot bot handlers storage
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching
	$(MAKE) i18n-compile

i18n-compile:
	$(BIN)/pybabel compile -d locales -D messages --statistics

clean:
	rm -rf $(VENV) *.egg-info
