# Lotse — the two commands for a fresh machine are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FRONTEND := web/frontend

.PHONY: run test lint format install frontend i18n translations db demo clean

run: install frontend i18n
	$(BIN)/lotse db upgrade
	$(BIN)/lotse workflows deploy
	$(BIN)/lotse demo
	@echo "Lotse runs on http://127.0.0.1:5000 with the scheduler beside it (Ctrl-C stops both)."
	@$(BIN)/lotse scheduler & scheduler=$$!; \
	trap 'kill -TERM $$scheduler 2>/dev/null; wait $$scheduler' EXIT INT TERM; \
	$(BIN)/lotse serve --host 127.0.0.1 --port 5000

test: install frontend i18n
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The browser bundle (htmx, the bpmn-js viewer) is built from npm packages into web/static/dist.
# npm ci runs again when the lock file changes; the bundle is rebuilt when a source, build.mjs or
# the installed packages change.
FRONTEND_INSTALLED := $(FRONTEND)/node_modules/.installed
FRONTEND_BUILT := web/static/dist/.built

frontend: $(FRONTEND_BUILT)

$(FRONTEND_INSTALLED): $(FRONTEND)/package-lock.json $(FRONTEND)/package.json
	cd $(FRONTEND) && npm ci --no-audit --no-fund
	touch $@

$(FRONTEND_BUILT): $(FRONTEND_INSTALLED) $(FRONTEND)/build.mjs $(wildcard $(FRONTEND)/src/*)
	cd $(FRONTEND) && npm run build
	touch $@

# Interface translations: compiled from the .po files (make i18n); extracted and merged by make translations.
CATALOG := web/translations/en/LC_MESSAGES/messages
i18n: $(CATALOG).mo

$(CATALOG).mo: $(CATALOG).po $(STAMP)
	$(BIN)/pybabel compile -d web/translations -f

translations: install
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext --no-location -o web/translations/messages.pot .
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations --no-fuzzy-matching
	rm web/translations/messages.pot

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
