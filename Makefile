# Opora: the two commands of the README and the benchmarks.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Tests run with production settings (DEBUG off); the key is for tests only.
TEST_ENV := OPORA_SECRET_KEY=test-only-not-secret OPORA_DEBUG=0 OPORA_ALLOWED_HOSTS=127.0.0.1,localhost,testserver \
	OPORA_SECURE_COOKIES=0 OPORA_HASHED_STATIC=0
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/opora_bench

.PHONY: demo test install lint typecheck pytest browser-deps bench-search bench-alerts bench-admin-search bench-office fuzz-api bench-allocate bench-rush bench-coverage bench-dedup bench-ledger serve screenshots og-image

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Re-install only when the pinned requirements change.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

# Debian's Chromium for the browser tests; nothing downloads a browser of its own.
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
		else echo "Установите Chromium: sudo apt-get install -y chromium" >&2; exit 1; fi; \
	fi

demo: install
	OPORA_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	OPORA_DEBUG=1 $(BIN)/python manage.py load_demo --reset
	OPORA_DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	OPORA_DEBUG=1 $(BIN)/mypy .

pytest: install browser-deps
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(BIN)/python manage.py collectstatic --noinput -v0
	$(TEST_ENV) $(BIN)/pytest -n 2 --dist loadfile -q

test: lint typecheck pytest

# Production server (granian, WSGI) on PostgreSQL; see README.
serve: install
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/granian --interface wsgi --workers $${OPORA_WORKERS:-2} --blocking-threads $${OPORA_THREADS:-8} \
		--host $(HOST) --port $(PORT) opora.wsgi:application

# Production-like: PostgreSQL and the shared Redis cache (the catalog version is seen by all workers).
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/1
bench-search: install
	DATABASE_URL=$(BENCH_DATABASE_URL) OPORA_REDIS_URL=$(BENCH_REDIS_URL) $(BIN)/python bench/search.py

# Search alerts checked at regional size: 20 000 alerts after 100 programs published (the catalog of bench-search).
bench-alerts: install
	DATABASE_URL=$(BENCH_DATABASE_URL) OPORA_REDIS_URL=$(BENCH_REDIS_URL) $(BIN)/python bench/search_alerts.py

# The admin's lists searched at regional size (the catalog of bench-search).
bench-admin-search: install
	DATABASE_URL=$(BENCH_DATABASE_URL) OPORA_REDIS_URL=$(BENCH_REDIS_URL) $(BIN)/python bench/admin_search.py

# The staff's office pages and API lists at regional size (the catalog of bench-search).
bench-office: install
	DATABASE_URL=$(BENCH_DATABASE_URL) OPORA_REDIS_URL=$(BENCH_REDIS_URL) $(BIN)/python bench/office.py

# The API fuzzed from its OpenAPI schema (schemathesis, in .venv-fuzz) on a small demo: no answer may be a 500.
.venv-fuzz/.installed: requirements-fuzz.txt
	$(PYTHON) -m venv .venv-fuzz
	.venv-fuzz/bin/pip install --quiet -r requirements-fuzz.txt
	touch $@

fuzz-api: install .venv-fuzz/.installed
	$(BIN)/python bench/fuzz_api.py

# Enrollment day: 10 000 families, 200 concurrent clients, 3 000 seats opening at one instant.
BENCH_RUSH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/opora_rush
bench-rush: install
	DATABASE_URL=$(BENCH_RUSH_DATABASE_URL) OPORA_REDIS_URL=$(BENCH_REDIS_URL) $(BIN)/python bench/rush.py

# Deferred acceptance at regional size: 300 000 children × 5 choices × 15 000 groups.
bench-allocate: install
	$(BIN)/python bench/allocate.py

# Registry deduplication: 1 000 000 child records with 3 % erroneous copies and 1 % twins.
bench-dedup: install
	$(BIN)/python bench/dedup.py

# Coverage indicators at regional size: 1 000 000 children, 3 000 000 enrollments, 60 municipalities.
BENCH_COVERAGE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/opora_coverage
bench-coverage: install
	DATABASE_URL=$(BENCH_COVERAGE_DATABASE_URL) $(BIN)/python bench/coverage.py

# The monthly close of 200 000 active certificate contracts, closed twice, then reconciled.
BENCH_LEDGER_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/opora_ledger
bench-ledger: install
	DATABASE_URL=$(BENCH_LEDGER_DATABASE_URL) $(BIN)/python bench/ledger.py

# README screenshots from a running demo (make demo in another terminal).
# The picture beside a link to the Navigator in messengers (core/static/og-image.png), after docs/preview/og-image.html changed.
og-image: install browser-deps
	$(BIN)/python docs/preview/render.py

screenshots: install browser-deps
	$(BIN)/python bench/screenshots.py http://$(HOST):$(PORT)
