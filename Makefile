# The two set-up commands: `make demo` and `make test`.  Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PREFECT_TEMPLATE := $(CURDIR)/$(VENV)/share/dibao-recon/prefect-home
export UV_PYTHON_DOWNLOADS := never

.PHONY: demo review test test-fast test-system install benchmark benchmark-splink clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade uv || true
	if [ -x $(BIN)/uv ]; then $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev]'; \
	else $(BIN)/python -m pip install --quiet -e '.[dev]'; fi
	# Prefect's empty database, migrated once here: a fresh Prefect home starts from a copy
	# (flows/lifetime.py seed_prefect_home) instead of migrating on its first run.
	rm -rf $(PREFECT_TEMPLATE) && mkdir -p $(PREFECT_TEMPLATE)
	env -u PREFECT_SERVER_DATABASE_CONNECTION_URL -u PREFECT_API_DATABASE_CONNECTION_URL PREFECT_HOME=$(PREFECT_TEMPLATE) \
	  DO_NOT_TRACK=1 PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/prefect server database upgrade -y >/dev/null
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/dibao demo

# The review notebook in JupyterLab, on the warehouse `dibao` uses (the demo's after `make demo`).
# JupyterLab is the optional `review` extra, installed here on first use.
review: $(STAMP)
	$(BIN)/python -c "import jupyterlab" 2>/dev/null || \
	if [ -x $(BIN)/uv ]; then $(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev,review]'; \
	else $(BIN)/python -m pip install --quiet -e '.[dev,review]'; fi
	$(BIN)/dibao review

# Both cores: one worker per core, each test module on one worker (its fixtures built once).
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile tests/unit tests/slow

# Real Prefect servers and workers for several counties (minutes).
test-system: $(STAMP)
	$(BIN)/python -m pytest tests/system

# The unit layer only (tests/unit: no Prefect, no generated townships): about a minute, for while you work.
test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit

benchmark: $(STAMP)
	$(BIN)/python benchmarks/stages.py --scale township
	$(BIN)/python benchmarks/stages.py --scale district

# The same benchmark with a tuned Splink model beside the engine (benchmarks/splink_model.py).
# Splink is the optional `benchmark` extra, installed here on first use; make test never needs it.
benchmark-splink: $(STAMP)
	$(BIN)/python -c "import splink" 2>/dev/null || \
	if [ -x $(BIN)/uv ]; then $(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev,benchmark]'; \
	else $(BIN)/python -m pip install --quiet -e '.[dev,benchmark]'; fi
	$(BIN)/python benchmarks/stages.py --scale township

clean:
	rm -rf data/out data/raw/demo data/demo data/warehouse.duckdb* data/prefect
