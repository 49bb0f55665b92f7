# The commands of the README: `make try`, `make run`, `make test`, `make pytest` and
# `make pytest-fast`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=
# Two more environments for the tests that meet edx-proctoring or start the server (ENV_TESTS):
# an LMS's, holding exactly the Open edX platform's pins (requirements/platform-$(PLATFORM).txt,
# edx-proctoring 5.2.0 among them), and one with the lowest versions setup.cfg allows.
PLATFORM ?= master
PLATFORM_PINS := requirements/platform-$(PLATFORM).txt
PLATFORM_VENV ?= .venv-platform
LOWEST_VENV ?= .venv-lowest
ENV_TESTS := tests/contract tests/real_lms tests/test_live_server.py tests/test_demo.py

.PHONY: try run test pytest pytest-fast lint format install-run install-test install-node clean dist image screenshots \
	test-environments test-platform test-lowest

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

# An LMS's environment, rebuilt from nothing when the pins or the packaging change: the
# platform's pins exactly, then mockprock installed into it as a user installs it (no
# constraints), which must change none of them; then the test tools and the edx extra
# (Proctortrack's backend beside the pinned edx-proctoring, as an institution adds it),
# held to the pins.
$(PLATFORM_VENV)/.installed: setup.cfg setup.py $(PLATFORM_PINS)
	rm -rf $(PLATFORM_VENV)
	$(PYTHON) -m venv $(PLATFORM_VENV)
	$(PLATFORM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PLATFORM_VENV)/bin/pip install --quiet -r $(PLATFORM_PINS)
	$(PLATFORM_VENV)/bin/pip freeze | sort > $(PLATFORM_VENV)/pins.txt
	$(PLATFORM_VENV)/bin/pip install --quiet -e '.[server]'
	$(PLATFORM_VENV)/bin/pip freeze --exclude-editable | sort \
		| comm -23 $(PLATFORM_VENV)/pins.txt - > $(PLATFORM_VENV)/pins-changed.txt
	@if [ -s $(PLATFORM_VENV)/pins-changed.txt ]; then \
		echo "installing mockprock changed the platform's pins:"; \
		cat $(PLATFORM_VENV)/pins-changed.txt; exit 1; fi
	$(PLATFORM_VENV)/bin/pip install --quiet -c $(PLATFORM_PINS) -e '.[test,edx]'
	touch $@

# Every dependency of the backend, the server and the edx extra at the lowest version
# setup.cfg allows (requirements/lowest.py pins each lower bound); the test tools are free.
$(LOWEST_VENV)/.installed: setup.cfg setup.py requirements/lowest.py
	rm -rf $(LOWEST_VENV)
	$(PYTHON) -m venv $(LOWEST_VENV)
	$(LOWEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PYTHON) requirements/lowest.py server edx > $(LOWEST_VENV)/lowest.txt
	$(LOWEST_VENV)/bin/pip install --quiet -c $(LOWEST_VENV)/lowest.txt -e '.[server,test,edx]'
	touch $@

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

## Install into .venv and node_modules, then lint (ruff) and run every test (node, pytest);
## then the contract, real-LMS, live-server and demo tests again under the platform's pins
## (edx-proctoring 5.2.0) and at the lowest versions setup.cfg allows.
test: install-test install-node
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	MOCKPROCK_PYTHON=$(BIN)/python npm test --silent
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	$(MAKE) --no-print-directory test-environments

## The tests of ENV_TESTS in .venv-platform and .venv-lowest only.
test-environments: test-platform test-lowest

test-platform: $(PLATFORM_VENV)/.installed
	$(PLATFORM_VENV)/bin/python -m pytest -q $(ENV_TESTS)

test-lowest: $(LOWEST_VENV)/.installed
	$(LOWEST_VENV)/bin/python -m pytest -q $(ENV_TESTS)

## pytest alone (no Node.js needed); pass options with PYTEST_ARGS="...".
pytest: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## pytest without the tests that start a real server (marked live): pytest -m "not live".
pytest-fast: install-test
	$(BIN)/python -m pytest -m "not live" $(PYTEST_ARGS)

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
	rm -rf $(VENV) $(PLATFORM_VENV) $(LOWEST_VENV) dist build *.egg-info .pytest_cache .ruff_cache node_modules
