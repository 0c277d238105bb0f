# Quick start: `make demo` and `make test` install what they need first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test bench clean

$(STAMP): pyproject.toml scripts/install-system.sh
	bash scripts/install-system.sh
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	bash scripts/demo.sh

test: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/compile_and_trace.py
	$(BIN)/python bench/verify_scale.py
	$(BIN)/python bench/dataplane.py
	$(BIN)/python bench/hybrid.py

clean:
	rm -rf $(VENV)
