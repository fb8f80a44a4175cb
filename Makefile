# emm1-catalog: set-up, demo and checks. Everything runs from the project's own .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := .demo

.PHONY: setup demo test lint check clean clients readme bench bench-setup bench-smoke ffmpeg browser java

setup: $(BIN)/emm1

$(BIN)/emm1: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(BIN)/emm1

# The main job on the embedded default: a generated sample, built into a catalog, then queried.
demo: setup
	rm -rf $(DEMO)
	$(BIN)/emm1 sample $(DEMO)/data --captions 500 --media
	$(BIN)/emm1 build $(DEMO)/data --db $(DEMO)/emm1.duckdb
	$(BIN)/emm1 info --db $(DEMO)/emm1.duckdb
	$(BIN)/emm1 sql --db $(DEMO)/emm1.duckdb \
	  "SELECT encord_text_id AS text_id, nn_index AS k, left(caption, 36) AS caption, image_file_path FROM nn_groups_resolved WHERE nn_index <= 2 ORDER BY 1, 2 LIMIT 6"
	$(BIN)/emm1 sql --db $(DEMO)/emm1.duckdb \
	  "SELECT paired_modality AS paired, annotated_modality AS rated, annotation_label AS label, left(caption, 30) AS caption, annotated_modality_file_path FROM triplets_labeled LIMIT 6"
	$(BIN)/emm1 query counts_by_label --db $(DEMO)/emm1.duckdb --limit 8
	$(BIN)/emm1 files scan --db $(DEMO)/emm1.duckdb
	@echo
	@echo "Explore the demo in a browser (previews of its media files):"
	@echo "  $(BIN)/emm1 serve --db $(DEMO)/emm1.duckdb --root $(DEMO)/data"

test: setup clients ffmpeg browser
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check catalog tests
	$(BIN)/ruff format --check catalog tests

check: lint test

# Benchmarks (not tests): make bench SCALE=0.1. Data is generated under bench/data/.
SCALE ?= 0.1
REPEAT ?= 3
bench-setup: setup
	$(BIN)/pip install --quiet -e '.[test,bench]'

bench: bench-setup
	$(BIN)/python bench/run.py --scale $(SCALE) --repeat $(REPEAT)
	$(BIN)/python bench/report.py

# The harness still works: every case once at scale 0.001, into a scratch folder.
bench-smoke: bench-setup
	rm -rf .bench-smoke
	$(BIN)/python bench/run.py --scale 0.001 --repeat 1 --lookups 5 --work .bench-smoke/data --results .bench-smoke/results
	$(BIN)/python bench/report.py --results .bench-smoke/results --out .bench-smoke/RESULTS.md
	rm -rf .bench-smoke

clean:
	rm -rf $(DEMO) build *.egg-info .pytest_cache

# Other DuckDB clients the tests open the catalog with (tests/test_clients.py): DuckDB 1.1, as
# older BI drivers embed it, and the Node client. Without npm the Node test skips and says why.
# The readers of export folders (tests/test_readers.py): pyarrow, DuckDB, polars, Daft, Ray Data
# and Spark, pinned to the versions whose behaviour the README documents; Spark needs java.
CLIENTS := .clients
DUCKDB11 := $(CLIENTS)/duckdb11-venv
NODE_API := @duckdb/node-api@1.5.6-r.1
READERS := $(CLIENTS)/readers-venv
READER_PACKAGES := 'pyarrow==25.*' 'duckdb==2.0.*' 'polars==2.1.*' 'daft==0.7.*' \
  'ray[data]==2.60.*' 'pyspark==4.3.*'

clients: $(DUCKDB11)/installed $(CLIENTS)/node-installed $(READERS)/installed java

$(DUCKDB11)/installed:
	rm -rf $(DUCKDB11)
	$(PYTHON) -m venv $(DUCKDB11)
	$(DUCKDB11)/bin/pip install --quiet duckdb==1.1.3
	@touch $@

$(READERS)/installed:
	rm -rf $(READERS)
	$(PYTHON) -m venv $(READERS)
	$(READERS)/bin/pip install --quiet --upgrade pip
	$(READERS)/bin/pip install --quiet $(READER_PACKAGES)
	@touch $@

# Spark runs on Java 17: installed from Debian's packages when missing and we are root, else the
# Spark reader tests are skipped and say why.
java:
	@if command -v java >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "apt-get install openjdk-17-jre-headless"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null) \
	    || echo "could not install java: the Spark reader tests are skipped"; \
	else \
	  echo "java not found (not root, or no apt-get): the Spark reader tests are skipped"; \
	fi

$(CLIENTS)/node-installed:
	@if command -v npm >/dev/null 2>&1; then \
	  echo "npm install $(NODE_API) into $(CLIENTS)"; \
	  npm install --silent --no-audit --no-fund --prefix $(CLIENTS) $(NODE_API) && touch $@; \
	else \
	  echo "npm not found: the Node client test will be skipped"; \
	fi

# Regenerate the template list in README.md from sql/*.sql.j2 (a test checks it is current).
readme: setup
	$(BIN)/python -c "from catalog.template_docs import update_readme; update_readme('README.md')"

# ffmpeg writes the MP4 video and audio of `emm1 sample --media`; without it they are skipped and
# the tests that need them say so. Installed from Debian's packages when missing and we are root.
ffmpeg:
	@if command -v ffmpeg >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "apt-get install ffmpeg"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null) \
	    || echo "could not install ffmpeg: MP4 sample media and their tests are skipped"; \
	else \
	  echo "ffmpeg not found (not root, or no apt-get): MP4 sample media and their tests are skipped"; \
	fi

# The browser tests of `emm1 serve` (tests/test_web_browser.py) drive Debian's chromium through
# Playwright; installed from Debian's packages when missing and we are root, else those tests skip.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "apt-get install chromium chromium-driver"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	    || echo "could not install chromium: the browser tests are skipped"; \
	else \
	  echo "chromium not found (not root, or no apt-get): the browser tests are skipped"; \
	fi
