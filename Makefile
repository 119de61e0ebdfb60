# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_HOME ?= $(CURDIR)/.prefect
export PYTHONHASHSEED := 0

.PHONY: run test venv validate schemas golden lint clean quality bench

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or make PYTHON=/path/to/python3.11)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@# byte-compile the package now: with PYTHONDONTWRITEBYTECODE set (as on this machine) every
	@# process would compile it again (~0.07 s each for the CLI and each worker)
	$(PY) -m compileall -q src/ingest
	@touch $(STAMP)

venv: $(STAMP)

## run: normalize the bundled raw/ corpus into normalized/ (records and chunks), validate it and
## build its search index (normalized/index.sqlite; `ingest search "QUERY"` reads it)
run: $(STAMP)
	$(VENV)/bin/ingest normalize raw --out normalized --force
	$(VENV)/bin/ingest validate normalized
	$(VENV)/bin/ingest index normalized

## test: run the whole test suite
test: $(STAMP)
	$(PY) -m pytest -q

## schemas: regenerate schemas/ from the pydantic models
schemas: $(STAMP)
	$(PY) -m ingest.store.schemas --write schemas

## golden: regenerate tests/golden/*.json (only when a change of output is intended)
golden: $(STAMP)
	$(PY) -m tests.regen_golden

## lint: ruff, and the import contracts of the layers (pyproject [tool.importlinter])
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

## quality: score extraction against trafilatura/readability-lxml on ../shared/corpus (README "Extraction quality")
quality: $(STAMP)
	$(PY) -m bench.quality

## bench: throughput of `ingest normalize` vs bare trafilatura on ../shared/corpus (README "Throughput"),
## then the cost of chunking and of index updates (README "Retrieval")
bench: $(STAMP)
	$(PY) -m bench.throughput $(BENCH_ARGS)
	$(PY) -m bench.chunks

clean:
	rm -rf $(VENV) .prefect .pytest_cache
