# The two commands of the README. Both work on a fresh clone with only Python >= 3.11 installed:
# they create .venv, install reconcile into it, and run.
#   make demo   the main job against the built-in sandbox (reconcile and its own dependencies only)
#   make test   the whole test suite (the same, plus the test tools: pytest, mypy, the linters)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test bench soak soak-serve install install-test clean

demo: $(VENV)/.installed
	$(BIN)/reconcile demo

# The types of reconciler/ first (mypy, strict; its settings are in pyproject.toml), then the suite.
test: $(VENV)/.installed-test
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Issue 12's benchmark: requests, wall, CPU and memory on a company with a year of history, written to
# BENCHMARKS.md; 100 and 500 people, all sizes with BENCH_ARGS="--sizes 100,500,1000,2000" (see bench/).
bench: $(VENV)/.installed
	$(BIN)/python bench/benchmark.py $(BENCH_ARGS)

# Crash safety: 50 seeds of `reconcile apply` killed at a random moment (faults on), then run again
# until it exits 0; no duplicates, nothing lost, hand-made records untouched (see bench/soak.py).
soak: $(VENV)/.installed
	$(BIN)/python bench/soak.py --seeds 50 $(SOAK_ARGS)

# The serve soak (issue 20): `reconcile serve` taking the sandbox's webhooks while real changes (presences made,
# edited, deleted in MOCO; absences approved in Personio) and hostile deliveries (forged, oversized, malformed,
# poison ids, replays, odd header bytes, floods) arrive; every real change applied, nothing twice, no 5xx
# (see bench/soak_serve.py). Also: make soak SOAK_ARGS="--serve --seeds N".
soak-serve: $(VENV)/.installed
	$(BIN)/python bench/soak_serve.py --seeds 10 $(SOAK_ARGS)

# install: what make demo installs; install-test: what make test installs.
install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# Two stamps, both renewed whenever pyproject.toml changes: .installed is reconcile and its own dependencies
# (what make demo, bench and the soaks need), .installed-test adds the test extra (what make test needs).
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "reconcile needs Python >= 3.11; '$(PYTHON)' is $$($(PYTHON) --version 2>&1 || echo missing)." >&2; \
	  echo "Run e.g. 'make $(MAKECMDGOALS) PYTHON=python3.12'." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache
