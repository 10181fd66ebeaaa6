# Two entry points, each doing its own set-up on a fresh machine:
#   make lab    JupyterLab on notebooks/ at http://127.0.0.1:8888
#   make test   the whole test suite (library, doctests, notebooks, real-browser UI test)
PYTHON ?= python3
VENV   ?= .venv
# Installed first so that no later requirement pulls a different torch build.
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.installed
# Extra JupyterLab options, e.g. make lab LAB_ARGS="--port=9999"
LAB_ARGS ?=
# Jupyter refuses to start as root (common in containers) unless told to.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lab test setup clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet "$(TORCH)"
	$(VENV)/bin/python -m pip install --quiet -e ".[all]"
	touch $@

setup: $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 --ServerApp.root_dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

test: $(STAMP)
	scripts/ensure-chromium
	$(VENV)/bin/python -m pytest

clean:
	rm -rf $(VENV) build *.egg-info
