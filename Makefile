# Two entry points for a fresh machine: `make demo` and `make test`. Everything they
# need is installed by the targets below (Python venv, npm packages, Debian chromium).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check -q
VIEWER := ar_service/static/viewer/.vite/manifest.json
NPM := npm --no-audit --no-fund --loglevel=error

.PHONY: demo test install lint check system-deps bench-deps node-tools viewer bench

demo: install viewer
	$(BIN)/hue-ar demo

test: install system-deps node-tools viewer
	$(MAKE) lint
	$(BIN)/pytest

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -e '.[test]'
	touch $@

viewer: $(VIEWER)

$(VIEWER): web/package.json web/package-lock.json $(shell find web/src web/public web/scripts -type f 2>/dev/null) web/vite.config.js
	cd web && $(NPM) ci --ignore-scripts && $(NPM) run build

node-tools: tools/node/node_modules/.installed tools/mindar/node_modules/.installed

tools/%/node_modules/.installed: tools/%/package.json tools/%/package-lock.json
	cd tools/$* && $(NPM) ci --ignore-scripts
	touch $@

# Debian's chromium drives the browser tests (never a downloaded browser build);
# poppler's pdftoppm rasterises printed plaques in the admin tests.
system-deps:
	@command -v chromium >/dev/null && command -v pdftoppm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install system-deps node-tools viewer bench-deps
	$(BIN)/python benchmarks/pipeline_bench.py
	$(BIN)/python benchmarks/markers_bench.py
	$(BIN)/python benchmarks/tourist_bench.py
	$(BIN)/python benchmarks/load_bench.py

# The load benchmark's client and its reference server.
bench-deps:
	@command -v wrk >/dev/null && command -v nginx >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light; }
