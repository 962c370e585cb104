# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
# every install is pinned to the versions CI last passed with (make lock rewrites the file)
CONSTRAINTS := constraints.txt
PYTEST_ARGS ?=

.PHONY: run test test-slow bench bench-memory lint lock claims notebooks lab strip-notebooks clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP_RUN): pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e .
	touch $@

$(STAMP_DEV): pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $@ $(STAMP_RUN)

## run: install, run the quickstart scenario and print its summary (results/quickstart.nc)
run: $(STAMP_RUN)
	$(BIN)/alvh run scenarios/quickstart.yaml --overwrite
	@echo "next: source $(VENV)/bin/activate, then e.g. 'alvh report results/quickstart.nc --out fig'"

## test: install with dev extras and run the fast test suite
test: $(STAMP_DEV)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

## test-slow: the full suite, long statistical tests included
test-slow: $(STAMP_DEV)
	$(BIN)/python -m pytest -q --run-slow $(PYTEST_ARGS)

## bench: benchmarks, results written to benchmarks/results/
bench: $(STAMP_DEV)
	$(BIN)/python -m benchmarks.run

## bench-memory: peak memory of alvh run at 1,000,000 paths (about 5 min on 2 cores)
bench-memory: $(STAMP_DEV)
	$(BIN)/python -m benchmarks.memory

lint: $(STAMP_DEV)
	$(BIN)/ruff check .

## lock: upgrade every dependency within pyproject's ranges and pin the result in constraints.txt
## (then run make test: the pins are what CI and a fresh clone install)
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade -e '.[dev,dask,parquet]'
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e ' > $(CONSTRAINTS).tmp
	mv $(CONSTRAINTS).tmp $(CONSTRAINTS)

## claims: the C1-C13 verdict table at 20,000 paths per scenario (results/claims/, ~3 min)
claims: $(STAMP_RUN)
	$(BIN)/alvh claims --out results/claims --overwrite

## notebooks: run copies of the notebooks at full size into results/notebooks/ (for reading)
notebooks: $(STAMP_DEV)
	$(BIN)/python notebooks/_tools.py run

## lab: JupyterLab on the notebooks (installs the notebook extra)
lab: $(STAMP_DEV)
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev,notebook]'
	$(BIN)/jupyter lab notebooks/

## strip-notebooks: remove outputs and execution counts (the tests require stripped notebooks)
strip-notebooks: $(STAMP_DEV)
	$(BIN)/python notebooks/_tools.py strip

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
