# Roster Workbench: `make demo` sets up and serves the app on the demo district,
# `make test` sets up and runs the whole test suite. Both work on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_WORKSPACE ?= demo/workspace
DEMO_STUDENTS ?= 2000
PORT ?= 8501

.PHONY: setup chromium demo notebooks test lint bench bench-linkage bench-plan clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

# Debian's Chromium for the browser test (never `playwright install`: it downloads a browser).
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "warning: /usr/bin/chromium missing and no root: the browser test will be skipped"; fi

demo: setup
	$(BIN)/workbench demo $(DEMO_WORKSPACE) --students $(DEMO_STUDENTS)
	WORKBENCH_WORKSPACE=$(DEMO_WORKSPACE) $(BIN)/streamlit run app.py --server.port $(PORT) \
		--server.address 127.0.0.1 --server.headless true --browser.gatherUsageStats false

# JupyterLab on the analyst notebooks (jupytext .py files open as notebooks), on the workspace
# in WORKBENCH_WORKSPACE (default: the demo workspace, built if missing). JupyterLab is installed
# for this target only.
WORKBENCH_WORKSPACE ?= $(DEMO_WORKSPACE)
notebooks: setup
	$(BIN)/python -m pip install -q -r notebooks/requirements.txt
	if [ "$(WORKBENCH_WORKSPACE)" = "$(DEMO_WORKSPACE)" ]; then \
		$(BIN)/workbench demo $(DEMO_WORKSPACE) --students $(DEMO_STUDENTS); fi
	WORKBENCH_WORKSPACE=$(abspath $(WORKBENCH_WORKSPACE)) $(BIN)/jupyter lab \
		--ServerApp.ip=127.0.0.1 --ServerApp.root_dir=notebooks --allow-root

lint: setup
	$(BIN)/ruff check .

# pytest exits 5 when it collects nothing; that is not a failure of the suite.
test: setup chromium lint
	$(BIN)/pytest || [ $$? -eq 5 ]

bench: setup
	$(BIN)/python bench/load.py

# Our linkage against Splink 5 and a hand rule (FEBRL, 100k and 1M roster-like people);
# Splink is installed for the benchmark only. BENCH_ARGS=--quick for FEBRL and 100k.
bench-linkage: setup
	$(BIN)/python -m pip install -q -r bench/requirements.txt
	$(BIN)/python bench/linkage.py $(BENCH_ARGS)

# The sync plan against a bare full outer join of the same two snapshots, and the commit
# (1M students by default; BENCH_ARGS="--students 100000" for a quicker run).
bench-plan: setup
	$(BIN)/python bench/plan.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) demo .pytest_cache .ruff_cache
