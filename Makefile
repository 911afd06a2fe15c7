# The two commands: `make run` and `make test`. Both create .venv on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STORE  ?= data/store
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test lint bench bench-load bench-endpoint bench-busiest soak fuzz browser virtuoso clean eval

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed-run

$(VENV)/.installed-bench: $(VENV)/.installed-test
	$(BIN)/pip install -q -e '.[test,bench]'
	touch $@

run: $(VENV)/.installed-run
	$(BIN)/newsgraph load --store $(STORE) --if-empty seeds/
	$(BIN)/newsgraph serve --store $(STORE) --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test lint browser virtuoso
	$(BIN)/python -m pytest

# the browser tests drive Debian's chromium (Playwright from PyPI, never `playwright install`);
# under CI=true a chromium that cannot be installed fails the run, elsewhere those tests are skipped
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
		|| { echo "make: cannot install chromium (Debian package)"; test "$$CI" != true; }

# the remote-store tests start a throw-away Virtuoso 7 from Debian's package (never the system's own service)
virtuoso:
	@command -v virtuoso-t >/dev/null 2>&1 || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq virtuoso-opensource >/dev/null) \
		|| { echo "make: cannot install virtuoso-opensource (Debian package)"; test "$$CI" != true; }

lint: $(VENV)/.installed-test typecheck
	$(BIN)/ruff check .

# mypy over the store and the loaders (settings in pyproject.toml, [tool.mypy]). mypy cannot follow the
# package-dir mapping of service/, loaders/… into newsgraph.*, so it reads them through build/typecheck,
# a tree of symlinks made here (again on every run: a fresh clone has no build/)
TYPECHECK := build/typecheck
.PHONY: typecheck
typecheck: $(VENV)/.installed-test
	@mkdir -p $(TYPECHECK)/newsgraph
	@for d in service loaders ontology queries; do ln -sfn ../../../$$d $(TYPECHECK)/newsgraph/$$d; done
	cd $(TYPECHECK) && $(abspath $(BIN))/mypy --config-file $(abspath pyproject.toml) -p newsgraph.service.store -p newsgraph.loaders

# the scale benchmark (1k, 10k, 100k articles; about an hour on 2 cores) writes BENCHMARKS.md and bench/latency.png;
# BENCH_SIZES=1000,10000 for a shorter run, BENCH_ARGS=--reuse to keep corpora and stores between runs
BENCH_SIZES ?= 1000,10000,100000
bench: $(VENV)/.installed-bench
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/run.py --sizes $(BENCH_SIZES) --write $(BENCH_ARGS)

# the older, narrower benchmarks: load against pyoxigraph's bulk loader; the endpoint against Oxigraph's server
bench-load: $(VENV)/.installed-bench
	$(BIN)/python bench/load.py --articles 10000

# issue 15: the busiest entities' lists and pages, stored rows against SPARQL, on Zipf corpora (~40 min)
BUSIEST_SIZES ?= 2000,10000
bench-busiest: $(VENV)/.installed-bench
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/busiest.py --sizes $(BUSIEST_SIZES)

bench-endpoint: $(VENV)/.installed-bench
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/endpoint.py --duration 10

# 32 clients for 60 s on a mixed workload, 100 slowloris connections and a load meanwhile; the figures go
# to docs/operations.md (Reliability); fails on any error. SOAK_ARGS="--clients 64 --duration 600" for a longer one
soak: $(VENV)/.installed-test
	$(BIN)/python bench/soak.py --write $(SOAK_ARGS)

$(VENV)/.installed-fuzz: $(VENV)/.installed-test
	$(BIN)/pip install -q -e '.[test,fuzz]'
	touch $@

# the hostile-input suites with fresh seeds and many more examples, then atheris on the sheet reader;
# FUZZ_EXAMPLES and FUZZ_SECONDS scale them (about 25 min as set here)
FUZZ_EXAMPLES ?= 300
FUZZ_SECONDS ?= 300
fuzz: $(VENV)/.installed-fuzz
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_SEED=random $(BIN)/python -m pytest tests/test_openapi.py -k schemathesis -q
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_SEED=random $(BIN)/python -m pytest tests/test_hostile_http.py -q \
		-k fuzzed_parameters
	FUZZ_EXAMPLES=$$(( $(FUZZ_EXAMPLES) * 7 )) FUZZ_SEED=random $(BIN)/python -m pytest tests/test_fuzz_sheets.py -q
	$(BIN)/python -m pytest tests/test_saved_hostile.py -q
	$(BIN)/python fuzz/atheris_sheets.py -max_total_time=$(FUZZ_SECONDS) fuzz/corpus/sheets

# the fact-sheet drafter (newsgraph extract) on the labelled articles of tests/extraction: precision and
# recall per fact kind, on the tuning and the held-out split, and whether every draft validates
eval: $(VENV)/.installed-run
	$(BIN)/python -m newsgraph.loaders.extract.evaluate --split all

# build output only: the virtual environment, build/ and dist/, caches. A store (data/ by default) is data,
# never build output: remove one yourself (`rm -rf data`) when you mean to
clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache .hypothesis
