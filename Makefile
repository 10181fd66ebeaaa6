# Two entry points, each doing its own set-up on a fresh machine:
#   make lab    JupyterLab on notebooks/ at http://127.0.0.1:8888
#   make test   the whole test suite (library, doctests, notebooks, real-browser UI tests), on two cores
#   make test-fast   the inner loop: everything but the slow, browser and notebook tests (about 3 minutes)
#   make test-ids    refresh tests/collected_ids.txt after adding, renaming or removing tests
#   make app    the playground and the three explorers without code (Voila) at http://127.0.0.1:8866
#   make serve  the reranking service (Ray Serve; TEI and Cohere rerank APIs) at http://127.0.0.1:8000
# Both install the exact versions in requirements/lock.txt. Upkeep:
#   make test-latest   the suite on the newest versions pyproject.toml allows (finds upstream breaks early)
#   make lock          refresh requirements/lock.txt from that environment (after make test-latest passes)
#   make doctor        check this environment (what a workshop laptop needs), with the fix for each problem
PYTHON ?= python3
VENV   ?= .venv
LATEST ?= .venv-latest
LOCK   := requirements/lock.txt
# Installed first so that no later requirement pulls a different torch build.
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.installed
# Extra JupyterLab options, e.g. make lab LAB_ARGS="--port=9999"
LAB_ARGS ?=
# Extra Voila options, e.g. make app APP_ARGS="--port=9999"
APP_ARGS ?=
# Options of rerankkit serve, e.g. make serve SERVE_ARGS="--model tiny-random --port 9000"
SERVE_ARGS ?=
# Jupyter refuses to start as root (common in containers) unless told to.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
# pytest-xdist workers; each xdist_group runs in one worker: "browser" (the notebooks in JupyterLab, the browser
# tests) and "serial" (Ray, the service, timing, peak memory).
TEST_WORKERS ?= 2
PYTEST := -m pytest -n $(TEST_WORKERS) --dist loadgroup

.PHONY: lab test test-fast test-ids setup doctor app serve test-latest lock clean docs docs-serve

# The lock is installed without dependency resolution, so nothing newer slips in; pip check proves it is whole.
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet "$(TORCH)"
	$(VENV)/bin/python -m pip install --quiet --no-deps -r $(LOCK)
	$(VENV)/bin/python -m pip install --quiet --no-deps -e .
	$(VENV)/bin/python -m pip check
	touch $@

setup: $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks $(ROOT_FLAG) $(LAB_ARGS)

test: $(STAMP)
	scripts/ensure-chromium
	$(VENV)/bin/python $(PYTEST) --durations=15

test-fast: $(STAMP)
	$(VENV)/bin/python $(PYTEST) -m "not slow and not browser and not notebook"

# The committed list of test ids that tests/test_collected_ids.py compares against (whole suite, no skips applied).
test-ids: $(STAMP)
	$(VENV)/bin/python -m pytest --collect-only -q --write-collected-ids >/dev/null

doctor: $(STAMP)
	$(VENV)/bin/rerankkit doctor

# Voila runs the app/ notebooks and shows only their text and widgets (no code); it has no root check.
app: $(STAMP)
	$(VENV)/bin/voila app/ --no-browser --Voila.ip=127.0.0.1 $(APP_ARGS)

# The documentation site (mkdocs.yml, docs/): a strict build into site/, or served with live reload.
# NO_MKDOCS_2_WARNING silences the theme's end-of-life banner on every build (docs/contributing.md has its news).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

docs-serve: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve --strict --dev-addr 127.0.0.1:8001

# The reranking service on this machine (127.0.0.1); Ctrl-C stops it after the accepted requests finish.
serve: $(STAMP)
	$(VENV)/bin/rerankkit serve $(SERVE_ARGS)

test-latest:
	TORCH="$(TORCH)" PYTHON="$(PYTHON)" scripts/lock env $(LATEST)
	scripts/ensure-chromium
	$(LATEST)/bin/python $(PYTEST) --durations=15

lock: test-latest
	TORCH="$(TORCH)" scripts/lock freeze $(LATEST)

clean:
	rm -rf $(VENV) $(LATEST) build *.egg-info
