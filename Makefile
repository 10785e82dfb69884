# The two commands that matter: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# One test process per core; TEST_WORKERS=0 runs the suite in this process (for a debugger or -s).
TEST_WORKERS ?= auto

.PHONY: run test test-fast lint typecheck pytest fuzz clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/claimdb migrate
	$(BIN)/claimdb gazetteer load
	$(BIN)/claimdb demo
	$(BIN)/claimdb serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q -n $(TEST_WORKERS)

test: lint typecheck pytest

# The loop while coding: lint, types and every test not marked `slow` (each over about 2 s: servers as
# subprocesses, browsers, many rows). `make test` and CI still run them all.
test-fast: lint typecheck
	$(BIN)/pytest -q -n $(TEST_WORKERS) -m "not slow"

# A long schemathesis run on both engines, every phase (examples, coverage, fuzzing, stateful, and control
# characters in query parameters and headers): many more generated requests per operation than the suite's run.
fuzz: $(STAMP)
	CLAIMDB_FUZZ_EXAMPLES=$${CLAIMDB_FUZZ_EXAMPLES:-500} CLAIMDB_FUZZ_RANDOM=1 $(BIN)/pytest -q -s tests/test_fuzz.py

clean:
	rm -rf $(VENV) claimdb.sqlite3 claimdb.sqlite3-wal claimdb.sqlite3-shm .pytest_cache .mypy_cache .ruff_cache
