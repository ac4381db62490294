# `make demo`: set up a local virtual environment and run the main job.
# `make test`: set up the same environment and run every check CI runs.
# `make notebooks`: run the notebooks and store their outputs.
# `make bench`: benchmarks against micrograd 0.1.0 and PyTorch, in their own environment.
# `make bench-batch-sizes`: the batched step from 1 to 100,000 points, ours against PyTorch.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit notebooks bench bench-batch-sizes clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/micrograd demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

test: lint typecheck unit

# run every notebook under notebooks/ in a fresh kernel and store its new outputs
notebooks: $(STAMP)
	$(BIN)/python -m tests.notebooks.outputs

# The benchmarks' environment: this project, micrograd 0.1.0 and (if a wheel can be
# had) torch; every plugin under plugins/ is (re)installed on each run.
BENCH_VENV := benchmarks/.venv
BENCH_PIP := $(BENCH_VENV)/bin/python -m pip install --quiet
BENCH_STAMP := $(BENCH_VENV)/.installed

$(BENCH_STAMP): pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PIP) --upgrade pip setuptools wheel
	$(BENCH_PIP) 'micrograd==0.1.0'
	@# NumPy for the batched rows (ours replays over arrays), matplotlib for the batch-size plot
	$(BENCH_PIP) numpy 'matplotlib>=3.8'
	$(BENCH_PIP) 'torch==2.13.0' || echo "torch could not be installed: its columns stay empty"
	$(BENCH_PIP) --no-build-isolation -e .
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	@# each plugin is installed from a copy: no build files land in its sources
	$(foreach plugin,$(dir $(wildcard plugins/*/pyproject.toml)),\
		copy=$$(mktemp -d) && cp -r $(plugin) $$copy/src && \
		{ $(BENCH_PIP) --no-build-isolation $$copy/src || echo "$(plugin): not installed"; }; \
		rm -rf $$copy;)
	$(BENCH_VENV)/bin/python -m benchmarks $(BENCH_ARGS)

bench-batch-sizes: $(BENCH_STAMP)
	$(BENCH_VENV)/bin/python -m benchmarks.batch_sizes --plot docs/images/batch-sizes.svg

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
