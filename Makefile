# Everything a fresh machine needs: `make run` starts the program, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export QT_API := pyside6

.PHONY: run test bench lint screenshots clean package test-packaging

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(VENV)/.installed $@

$(VENV)/.installed-package: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[package]"
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/clary-desktop $(ARGS)

test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

# Figures, never asserted; test_bench_vs_aria2c.py also needs nginx, aria2c and curl
# (installed from Debian packages when run as root; skipped with one line otherwise).
# Quick look: CLARY_BENCH_ROUNDS=1 CLARY_BENCH_FAST_MIB=128 CLARY_BENCH_MIXED_MIB=128
# CLARY_BENCH_THROTTLED_SIZES_MIB=128 make bench (see README, "Fast downloads").
bench: $(VENV)/.installed-test
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest tests/benchmarks -s -p no:randomly $(PYTEST_ARGS)

# The installer-packaged program: dist/clary-desktop/ (one folder: clary-desktop, clary-models)
# and dist/clary-desktop-<version>-linux-<arch>.tar.gz. See packaging/README.md.
package: $(VENV)/.installed-package
	rm -rf dist/clary-desktop dist/clary-desktop-*.tar.gz
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
		packaging/clary-desktop.spec
	$(BIN)/python packaging/linux/make_tarball.py --dist dist

# Builds the app once (in a temp dir) and runs it as a user would; slow, so not in `make test`.
test-packaging: $(VENV)/.installed-test $(VENV)/.installed-package
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest tests/packaging $(PYTEST_ARGS)

# Style, then the layering (import-linter contracts), then the types (mypy); all three
# read their settings from pyproject.toml.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build dist *.egg-info
