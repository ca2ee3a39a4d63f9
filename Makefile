# Shipfloor: `make run` (the demo server and app) and `make test` (every test).
# The first use creates .venv and installs what is missing; later uses reuse it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck check bench clean browser-deps pwa

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Debian's Chromium for the browser tests (never a downloaded browser).
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing Chromium from Debian (browser tests)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

# The offline PWA in build/pwa (docs/pwa.md). Cheap when nothing changed: the script
# compares a hash of its inputs with the last build's stamp and returns at once.
pwa: $(STAMP)
	$(BIN)/python -m pwa.build

run: $(STAMP) pwa
	SHIPFLOOR_APP=pwa PORT=$(PORT) $(BIN)/python -m server.cli run --demo

# Lint and type check first (CI runs exactly `make test`), then every test.
test: $(STAMP) browser-deps lint typecheck
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check shared server mobile tests bench pwa
	$(BIN)/ruff format --check shared server mobile tests bench pwa

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

bench: $(STAMP)
	$(BIN)/python -m bench.orders_bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
