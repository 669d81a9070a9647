# The two commands: `make run` starts the product with demo data; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench install lint format messages migrate clean screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --no-input

# Translations: the compiled .mo files are committed, so a machine without gettext still
# has them; where msgfmt exists they are rebuilt from the .po files.
messages: install
	@if command -v msgfmt >/dev/null 2>&1; then $(BIN)/python manage.py compilemessages -v0; \
	else echo "msgfmt not found: using the committed translations"; fi

run: migrate messages
	$(BIN)/python manage.py seed_demo --if-empty
	@echo ""
	@echo "  Grid management is starting at http://127.0.0.1:8000/ (Ctrl-C stops everything)"
	@echo ""
	$(BIN)/honcho start -f Procfile.dev

test: install
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/run.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf var staticfiles

screenshots: install
	$(BIN)/pytest tests/browser/screenshots.py 
