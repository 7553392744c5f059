# Two commands for a newcomer: `make demo` runs the demo federation, `make test` the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DEMO_HOME ?= demo-federation
DEMO_PORT_BASE ?= 8400

.PHONY: demo test guide catalogues install system-deps postgres lint check-types pytest clean

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

## demo: install Hanoi; on loopback, the Secretariat's directory and the nodes of XA, XB and XC,
## the scenario run end to end, then everything kept serving until Ctrl-C.
demo: install
	$(BIN)/hanoi demo --home $(DEMO_HOME) --port-base $(DEMO_PORT_BASE)

## test: install what the tests need (Chromium, poppler, PostgreSQL if none runs) and run everything.
test: install system-deps postgres lint check-types pytest

## guide: the officer's guide's pictures (docs/guide/), taken again by the browser test that
## walks its journey.
guide: install system-deps
	HANOI_SCREENSHOTS=docs/guide $(BIN)/pytest -q -p no:cacheprovider tests/browser/test_officer_journey.py

## catalogues: every language's pages.po and convention.po brought up to date with the pages'
## messages and the Convention data's names (new ones added untranslated, stale ones dropped),
## then the untranslated ones counted per language.
catalogues: install
	$(BIN)/python scripts/catalogues.py

system-deps:
	bash scripts/system-deps.sh

postgres:
	bash scripts/ensure-postgres.sh

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check-types:
	$(BIN)/mypy src/hanoi

# Three processes on two cores: much of the suite waits on subprocesses, servers and
# databases, not the CPU. Work stealing: a worker that runs out takes queued tests from the
# others, so a few long tests near the end do not leave a process idle. On a clean clone
# here `make test` took 7 min 40 s with three, 9 min 49 s with two (2,946 tests); with
# three, 8 min 37 s for 3,297 tests (2026-12-08).
pytest:
	$(BIN)/pytest -q -n 3 --dist worksteal

clean:
	rm -rf $(VENV) $(DEMO_HOME) build *.egg-info
