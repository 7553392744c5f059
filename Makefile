# Two commands for a newcomer: `make demo` runs a seeded node, `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DEMO_HOME ?= demo-data

.PHONY: demo test install system-deps postgres lint check-types pytest clean

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

## demo: install Hanoi and run one seeded node for the demo State XA (Arcadia).
demo: install
	$(BIN)/hanoi up --demo --home $(DEMO_HOME)

## test: install what the tests need (Chromium, poppler, PostgreSQL if none runs) and run everything.
test: install system-deps postgres lint check-types pytest

system-deps:
	bash scripts/system-deps.sh

postgres:
	bash scripts/ensure-postgres.sh

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check-types:
	$(BIN)/mypy src/hanoi

pytest:
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) $(DEMO_HOME) build *.egg-info
