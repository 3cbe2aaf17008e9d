# costbench: `make demo` and `make test` set everything up themselves (virtualenv + pinned dependencies).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# No internet here: analytics and telemetry off for every tool that has them.
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_UI_ENABLED := false
export PREFECT_HOME ?= $(CURDIR)/var/prefect

.PHONY: help setup demo test bench lock clean browser sandbox mutate

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/pip check  # the lock pins every dependency of every package (so no resolver run above)
	touch $(STAMP)

setup: $(STAMP) ## create .venv and install the pinned dependencies

browser: ## install Debian's Chromium (browser tests) and bubblewrap (code sandbox) if missing
	scripts/ensure-system-packages chromium bubblewrap util-linux

sandbox: ## install Debian's bubblewrap (the kernel sandbox that grades model-written code) if missing
	scripts/ensure-system-packages bubblewrap util-linux

demo: setup sandbox ## replay 14 nights against the local emulator and render site/index.html
	mkdir -p "$(PREFECT_HOME)"
	$(BIN)/costbench demo

test: setup browser ## run all tests (offline, against the emulator)
	mkdir -p "$(PREFECT_HOME)"
	$(BIN)/pytest -n 2 --dist loadfile  # two workers (2 cores); a test file stays on one worker (its fixtures run once)

bench: setup ## run the benchmarks in bench/ (they print ratios against baselines)
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

mutate: setup ## mutation-test the money path (mutmut, one module at a time; slow, not part of `make test`)
	$(BIN)/pip install --quiet --disable-pip-version-check mutmut==3.8.1
	$(BIN)/python scripts/mutate

lock: ## re-resolve requirements.in into requirements.lock
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock && .venv-lock/bin/pip install --quiet -r requirements.in
	.venv-lock/bin/pip freeze --exclude-editable > requirements.lock && rm -rf .venv-lock

clean: ## remove generated data (var/, site/)
	rm -rf var site
