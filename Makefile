# The commands of the README: `make try`, `make run`, `make test` and `make pytest`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: try run test pytest lint format install-run install-test install-node clean dist image screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the packaging changes (stamp files).
$(VENV)/.installed-server: setup.cfg setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[server]'
	touch $@

$(VENV)/.installed-test: setup.cfg setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[server,test,edx,tutor]'
	touch $@ $(VENV)/.installed-server

# Tutor 21 beside the 22 of the test extra, for the plugin's rendering tests (one tutor
# per environment): only tutor and this checkout (no dependencies: the plugin needs none).
TUTOR21 := $(VENV)/tutor21
$(TUTOR21)/.installed: setup.cfg setup.py | $(BIN)/python
	$(PYTHON) -m venv $(TUTOR21)
	$(TUTOR21)/bin/pip install --quiet "tutor>=21,<22"
	$(TUTOR21)/bin/pip install --quiet --no-deps -e .
	touch $@

install-run: $(VENV)/.installed-server
install-test: $(VENV)/.installed-test $(TUTOR21)/.installed

# The worker's npm packages (@edx/edx-proctoring), exactly as package-lock.json pins them.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install-node: node_modules/.installed

## Install into .venv, play the demo, and keep its server on port 11136 with the sample
## data (exams, attempts in several states, reviews) until Ctrl-C.
try: install-run
	$(BIN)/mockprock demo --keep --port 11136 $(ARGS)

## Install into .venv and start the server on port 11136 (pass options with ARGS="...").
run: install-run
	$(BIN)/python -m mockprock.server $(ARGS)

## Install into .venv and node_modules, then lint (ruff) and run every test (node, pytest).
test: install-test install-node
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	MOCKPROCK_PYTHON=$(BIN)/python npm test --silent
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## pytest alone (no Node.js needed); pass options with PYTEST_ARGS="...".
pytest: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Retake the README's screenshots (docs/*.png) in Chromium; not part of the tests or CI.
screenshots: install-test install-node
	MOCKPROCK_SCREENSHOTS=docs $(BIN)/python -m pytest -q tests/browser/test_pages.py \
		-k "learner_opens or walks_the_dashboard or operator_crashes"

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

dist: install-test
	rm -rf dist build
	$(BIN)/python -m build --outdir dist .

## The server's container image (where Docker runs): docker run -p 11136:11136 mockprock:VERSION
IMAGE ?= mockprock:$(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' mockprock/__init__.py)
image:
	docker build -t $(IMAGE) .

clean:
	rm -rf $(VENV) dist build *.egg-info .pytest_cache .ruff_cache node_modules
