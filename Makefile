# emm1-catalog: set-up, demo and checks. Everything runs from the project's own .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := .demo

.PHONY: setup demo test lint check clean readme

setup: $(BIN)/emm1

$(BIN)/emm1: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(BIN)/emm1

# The main job on the embedded default: a generated sample, built into a catalog, then queried.
demo: setup
	rm -rf $(DEMO)
	$(BIN)/emm1 sample $(DEMO)/data --captions 500
	$(BIN)/emm1 build $(DEMO)/data --db $(DEMO)/emm1.duckdb
	$(BIN)/emm1 info --db $(DEMO)/emm1.duckdb
	$(BIN)/emm1 sql --db $(DEMO)/emm1.duckdb \
	  "SELECT encord_text_id AS text_id, nn_index AS k, left(caption, 36) AS caption, image_file_path FROM nn_groups_resolved WHERE nn_index <= 2 ORDER BY 1, 2 LIMIT 6"
	$(BIN)/emm1 sql --db $(DEMO)/emm1.duckdb \
	  "SELECT paired_modality::VARCHAR AS paired, annotated_modality::VARCHAR AS rated, annotation_label AS label, left(caption, 30) AS caption, annotated_modality_file_path FROM triplets_labeled LIMIT 6"

test: setup
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check catalog tests
	$(BIN)/ruff format --check catalog tests

check: lint test

clean:
	rm -rf $(DEMO) build *.egg-info .pytest_cache

# Regenerate the template list in README.md from sql/*.sql.j2 (a test checks it is current).
readme: setup
	$(BIN)/python -c "from catalog.template_docs import update_readme; update_readme('README.md')"
