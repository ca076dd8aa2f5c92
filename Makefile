# tecmodel: the two commands a new user needs are `make run` and `make test`.
# Both build the virtual environment on first use (Python 3.11+, pinned by constraints.txt).

PYTHON  ?= python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
# Keep freed memory mapped: large temporaries are reused instead of re-faulted (docs/architecture.md, Speed).
export MALLOC_MMAP_MAX_ ?= 0
export MALLOC_TRIM_THRESHOLD_ ?= 68719476736

.PHONY: run test test-fast venv bench notebooks docs docs-html lint clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test,scale,notebooks]"
	touch $(STAMP)

## run both bundled cases and write every report to outputs/
run: $(STAMP)
	$(VENV)/bin/tecmodel run --out outputs
	$(VENV)/bin/tecmodel report --xlsx outputs/report.xlsx --plots outputs/plots --sobol 4096 --shapley 2048 --montecarlo 100000

## the whole test suite on both cores (unit, property, reference, end-to-end, doctests, notebooks,
## LibreOffice recalculation, the architecture contracts), after the lint
test: lint
	$(PY) -m pytest -n 2

## the daily loop: everything but the tests marked slow, notebooks or libreoffice
test-fast: $(STAMP)
	$(PY) -m pytest -n 2 -m "not slow and not notebooks and not libreoffice"

## benchmarks (not part of the tests): one line per figure, JSON under outputs/bench/
## (MC_SIZES="100000 1000000 10000000" adds the 10^7-sample study, written to a zarr store)
MC_SIZES ?= 100000 1000000
bench: $(STAMP)
	$(PY) -m benchmarks.bench_startup
	$(PY) -m benchmarks.bench_model
	$(PY) benchmarks/bench_irr.py
	$(PY) -m benchmarks.bench_sobol
	$(PY) -m benchmarks.bench_shapley
	$(PY) -m benchmarks.bench_montecarlo --sizes $(MC_SIZES)
	$(PY) -m benchmarks.bench_lsmc

## execute the analysis notebooks at full size and render them as HTML under outputs/notebooks/
## (the stored notebooks stay without outputs; the folder is built aside and swapped in whole)
notebooks: $(STAMP)
	rm -rf outputs/notebooks.tmp
	PYTHONPATH=$(CURDIR) TECMODEL_NOTEBOOK_SCALE=full $(VENV)/bin/jupyter nbconvert --to html --execute \
		--ExecutePreprocessor.timeout=3600 --ExecutePreprocessor.kernel_name=python3 \
		--output-dir outputs/notebooks.tmp notebooks/*.ipynb
	rm -rf outputs/notebooks && mv outputs/notebooks.tmp outputs/notebooks

## regenerate inputs/README.md from the parameter registry and the bundled cases
docs: $(STAMP)
	$(PY) -m tecmodel.report.assumptions inputs/README.md

## the documentation site into outputs/docs/html (Sphinx: the user guide, the API reference from the
## docstrings, the notebooks executed at test scale); every warning is an error. Incremental: a
## change to the package re-reads every page and re-executes the notebooks (docs/conf.py).
DOCS_STAMP := $(VENV)/.installed-docs
DOCS_OUT   := outputs/docs
$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -c constraints.txt -e ".[docs]"
	touch $(DOCS_STAMP)

docs-html: $(DOCS_STAMP)
	$(PY) -m sphinx -b html -W --keep-going -d $(DOCS_OUT)/doctrees docs $(DOCS_OUT)/html
	@echo "the site: $(DOCS_OUT)/html/index.html"

## ruff (the project's own configuration) and the import-linter contracts (layers, no cycles)
lint: $(STAMP)
	$(VENV)/bin/ruff check tecmodel tests benchmarks
	$(VENV)/bin/ruff format --check tecmodel tests benchmarks
	$(VENV)/bin/lint-imports --no-cache

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
