# The README's two commands: `make run` and `make test`. Each sets itself up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
I18N_APPS := access api campaigns console lifecycle notify onboarding portal sso

.PHONY: run test lint unit bench worker messages clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

# The demo: demo accounts (printed, marked [DEMO]); a plain `jitsuin serve` makes none.
run: $(STAMP)
	JITSUIN_DEMO=1 $(BIN)/jitsuin serve

worker: $(STAMP)
	$(BIN)/jitsuin worker

lint: $(STAMP)
	$(BIN)/ruff check jitsuin tests benchmarks
	$(BIN)/ruff format --check jitsuin tests benchmarks
	$(BIN)/mypy --strict jitsuin/pki jitsuin/agent jitsuin/upstream
	$(BIN)/lint-imports

# Tests get a throwaway data directory; DATABASE_URL picks SQLite (default) or PostgreSQL.
test: lint
	@data=$$(mktemp -d /tmp/jitsuin-test.XXXXXX); \
	JITSUIN_DATA_DIR=$$data PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	rm -rf $$data; exit $$rc

unit: $(STAMP)
	@data=$$(mktemp -d /tmp/jitsuin-test.XXXXXX); \
	JITSUIN_DATA_DIR=$$data PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m pytest -m "not peers and not browser" $(PYTEST_ARGS); rc=$$?; \
	rm -rf $$data; exit $$rc

bench: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m benchmarks

messages: $(STAMP)
	@# One catalog per app (jitsuin/APP/locale): run in each app, where its locale directory is.
	for app in $(I18N_APPS); do (cd jitsuin/$$app && $(abspath $(BIN))/jitsuin makemessages -l ja --no-location) || exit 1; done
	@# The rest (jitsuin/templates, apps without a catalog) goes to the project's jitsuin/locale.
	mkdir -p jitsuin/locale
	cd jitsuin && $(abspath $(BIN))/jitsuin makemessages -l ja --no-location $(foreach app,$(I18N_APPS),--ignore '$(app)/*')
	cd jitsuin && $(abspath $(BIN))/jitsuin compilemessages

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
