# The two commands: `make run` starts the product with demo data; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run logins test bench install lint format messages migrate clean screenshots

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

# The address and the demo logins are printed once the web server answers, after the
# processes' start-up lines. Ctrl-C reaches honcho, which stops every process; the recipe's
# shell ignores it and ends normally, so make stops without an error. Honcho prints its timestamps
# in local time, the app's time zone (TIME_ZONE, by default Asia/Shanghai), like the logs.
run: migrate messages
	$(BIN)/python manage.py seed_demo --if-empty --no-logins
	@trap '' INT; \
	$(BIN)/python manage.py demo_logins --wait & \
	TZ="$${TIME_ZONE:-Asia/Shanghai}" $(BIN)/honcho start -f Procfile.dev || [ $$? -eq 130 ]

# The address and the demo logins again.
logins: install
	@$(BIN)/python manage.py demo_logins

test: install
	$(BIN)/pytest

# `make bench` at district scale; `make bench SCALE=city` (ten districts) or
# `make bench ARGS="--scale city --reuse"`: ARGS go to bench/run.py as they are.
SCALE ?= district
ARGS ?=
bench: install
	$(BIN)/python bench/run.py --scale $(SCALE) $(ARGS)

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
