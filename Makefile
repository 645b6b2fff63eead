# netzwerk — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app netzwerk

.PHONY: run test lint translations messages bench clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d netzwerk/translations

run: $(VENV)/.installed translations
	$(FLASK) setup
	PORT=$(PORT) $(FLASK) run --host 127.0.0.1 --port $(PORT)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check netzwerk tests benchmarks
	$(BIN)/ruff format --check netzwerk tests benchmarks

# The suite runs on SQLite; with NETZWERK_TEST_PG_URL set (.ci/run does), a second time on PostgreSQL.
# axe-core (package-lock.json) for the accessibility test, wherever npm is there to install it
node_modules/axe-core/axe.min.js: package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "NOTE: npm missing: the accessibility test (axe-core) will be skipped."; fi

test: $(VENV)/.test-installed translations lint node_modules/axe-core/axe.min.js
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	@if [ -n "$$NETZWERK_TEST_PG_URL" ]; then \
	  echo "== the same suite on PostgreSQL =="; \
	  NETZWERK_TEST_DATABASE_URL="$$NETZWERK_TEST_PG_URL" $(BIN)/python -m pytest $(PYTEST_ARGS); \
	else echo "NOTE: NETZWERK_TEST_PG_URL unset: the PostgreSQL run of the suite was skipped."; fi

bench: $(VENV)/.test-installed translations
	$(BIN)/python benchmarks/run_all.py

clean-venv:
	rm -rf $(VENV)

# Re-extract the German source strings and merge them into the English catalogue.
messages: $(VENV)/.installed
	mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -o build/messages.pot .
	$(BIN)/pybabel update -i build/messages.pot -d netzwerk/translations --no-fuzzy-matching
