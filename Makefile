# nnzero: the course's commands. Everything runs in a virtual environment in .venv/.
#
#   make lab         set up .venv (first time only) and open the course in JupyterLab
#   make test        set up .venv (first time only) and run every test, lessons included
#   make notebooks   re-run every lesson top to bottom at full size and store the outputs
#   make bench       run every benchmark in bench/ (hours; results in bench/BENCHMARKS.md)
#
# TORCH pins PyTorch. The default is the version the course's outputs were made with;
# override it on the command line, e.g. `make lab TORCH="torch>=2.4"`.

PYTHON ?= python3
TORCH  ?= torch==2.13.0
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: lab test notebooks bench dot-check

# The stamp records what was installed; it is rebuilt only when pyproject.toml or the
# torch pin changes, so a second `make test` starts at once.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[test]" "$(TORCH)"
	$(BIN)/python -m ipykernel install --sys-prefix --name nnzero --display-name "Python (nnzero)" >/dev/null
	@echo "$(TORCH)" > $(STAMP)

# Rebuild when the torch pin given on the command line differs from the installed one.
ifneq ($(wildcard $(STAMP)),)
ifneq ($(shell cat $(STAMP)),$(TORCH))
.PHONY: $(STAMP)
endif
endif

dot-check:
	@command -v dot >/dev/null || { echo "Graphviz's 'dot' program is missing: install it (sudo apt-get install graphviz | brew install graphviz | conda install -c conda-forge graphviz) and run make again."; exit 1; }

lab: $(STAMP) dot-check
	$(BIN)/jupyter lab notebooks/

test: $(STAMP) dot-check
	NNZERO_QUICK=1 TQDM_DISABLE=1 $(BIN)/python -m pytest

notebooks: $(STAMP) dot-check
	$(BIN)/python scripts/refresh_notebooks.py $(NB)

bench: $(STAMP)
	@for script in bench/*.py; do [ "$$script" = bench/common.py ] && continue; echo "== $$script"; $(BIN)/python $$script || exit 1; done
