# The two commands a newcomer needs: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck unit node e2e-setup e2e screenshots bench package clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "senbot needs Python 3.11 or newer (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

## run: the bot on ./senbot.db (SQLite) with the demo school, at http://127.0.0.1:3978/api/messages
run: $(STAMP)
	$(BIN)/senbot db upgrade
	$(BIN)/senbot seed-demo
	$(BIN)/python app.py

## test: lint, type-check and the whole suite (PostgreSQL too when TEST_DATABASE_URL is set)
test: $(STAMP) node e2e-setup lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest

# The Adaptive Card and Teams manifest validators are Microsoft's npm packages, run offline.
node:
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
		cd tests/node && npm ci --silent --no-audit --no-fund; \
	else \
		echo "*** Node.js not found: the Adaptive Card and manifest schema tests will be SKIPPED. ***"; \
		echo "*** Install Node.js 20.19+ to run them (CI requires them).                        ***"; \
	fi

# The end-to-end suite (tests/e2e) drives the bot in Microsoft 365 Agents Playground in Debian's Chromium.
e2e-setup:
	@if command -v npm >/dev/null 2>&1 && [ -x /usr/bin/chromium ]; then \
		cd tests/e2e && npm ci --silent --no-audit --no-fund; \
	else \
		echo "********************************************************************************"; \
		echo "*** Chromium (/usr/bin/chromium) or Node.js not found: the end-to-end tests  ***"; \
		echo "*** in the Agents Playground will be SKIPPED. apt-get install chromium nodejs ***"; \
		echo "*** npm to run them (CI requires them).                                      ***"; \
		echo "********************************************************************************"; \
	fi

## e2e: only the end-to-end suite in the Agents Playground (prints click-to-card timings)
e2e: $(STAMP) e2e-setup
	$(BIN)/python -m pytest tests/e2e

## screenshots: the README's pictures, taken by the end-to-end suite, into docs/screenshots/
screenshots: $(STAMP) e2e-setup
	E2E_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest tests/e2e

## bench: the load benchmarks (prints figures; see README)
bench: $(STAMP)
	$(BIN)/python -m benchmarks.messages

## package: the Teams app package (settings from the environment or .env; see docs/deploy.md)
package: $(STAMP) node
	$(BIN)/senbot package --out senbot-teams.zip

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis tests/node/node_modules tests/e2e/node_modules build/e2e
