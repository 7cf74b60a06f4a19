# The two commands a newcomer needs:
#   make run    set up, migrate the embedded SQLite database, load the seed data, serve on http://127.0.0.1:8000
#   make test   set up, run the whole test suite
# Set-up finds Python 3.12+ (scripts/find-python.sh), creates .venv and installs the pinned dependencies;
# it is redone only when pyproject.toml changes, so a second run starts fast.

VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test setup db schema check fuzz bench bench-exports bench-in-process bench-pieces bench-stale-facets clean

run: db
	$(PY) manage.py runserver $(HOST):$(PORT)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/find-python.sh
	@python=$$(scripts/find-python.sh) || exit 1; \
	if [ -x "$(PY)" ] && ! "$(PY)" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
		echo "Removing $(VENV): it was made with an older Python."; rm -rf "$(VENV)"; \
	fi; \
	if [ ! -x "$(PY)" ]; then echo "Creating $(VENV) with $$python"; "$$python" -m venv "$(VENV)" || exit 1; fi
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $(STAMP)

# Migrate the database (SQLite in var/ unless DATABASE_URL says otherwise) and load the seed data.
db: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed

# The read-path benchmark (issue 5) against the local PostgreSQL: throw-away databases of 10,000 and 100,000
# demo companies, gunicorn, a load generator; writes bench/results/. E.g. BENCH_ARGS="--sizes 10000 --readme".
BENCH_ARGS ?=
bench: setup
	$(PY) bench/run.py $(BENCH_ARGS)

# Peak memory and time of the CSV and XLSX exports of 100,000 demo companies against the local PostgreSQL
# (a throw-away database); writes bench/results/exports.md. E.g. BENCH_EXPORT_ARGS="--companies 10000 --products".
BENCH_EXPORT_ARGS ?=
# Where a request's time goes, in one process (database driver vs Python), against a database with demo data,
# e.g. the one `make bench BENCH_ARGS="--sizes 100000 --keep"` leaves:
# make bench-in-process DATABASE_URL=postgres://postgres@127.0.0.1:5432/miv_bench_100000
bench-in-process: setup
	$(PY) bench/in_process.py $(BENCH_IN_PROCESS_ARGS)

# The pieces of a light list request (selectors, filter sets, a page's serializing), each timed on its own,
# against the same kind of database; run it on the code before and after a change.
bench-pieces: setup
	$(PY) bench/pieces.py

# How long a request waits for facet counts it finds stale (the code before a change and after).
bench-stale-facets: setup
	$(PY) bench/stale_facets.py

bench-exports: setup
	$(PY) bench/export_memory.py $(BENCH_EXPORT_ARGS)

# Write the OpenAPI schema to var/openapi.yaml, failing on any warning.
schema: setup
	$(PY) manage.py spectacular --validate --fail-on-warn --file var/openapi.yaml

# What CI checks besides the tests.
check: setup
	$(VENV)/bin/ruff check .
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

# Fuzz the API from its own OpenAPI schema with Schemathesis, every check on (scripts/fuzz_api.py): a
# throw-away database (SQLite in a temporary folder, or a PostgreSQL DATABASE_URL), the seed data, gunicorn,
# then the reads anonymously and with an API key and the writes as an enterprise representative. A fixed seed
# and number of cases per operation (50), within a time budget (480 s); e.g.
# FUZZ_ARGS="--max-examples 100 --budget 900 --report-dir var/fuzz", or DATABASE_URL=postgres://... make fuzz.
FUZZ_ARGS ?=
fuzz: setup
	$(PY) scripts/fuzz_api.py $(FUZZ_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
