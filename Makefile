# Sweetshop: `make run` to try it, `make test` to check it. See README.md.

SHELL       := /bin/bash
PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
PIP_STAMP   := $(VENV)/.requirements.stamp
NPM_STAMP   := node_modules/.package-lock.stamp
BENCH_NPM_STAMP := bench/node_modules/.package-lock.stamp
HTMX        := static/vendor/htmx.min.js
# Two workers, each with its own database and Redis db (tests/conftest.py); TEST_WORKERS=0 for one process
TEST_WORKERS ?= 2
# gettext catalogues: the .po files are in git, their compiled .mo files are built here
PO_FILES    := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO_FILES    := $(PO_FILES:.po=.mo)
PYTEST_ARGS ?=
BENCH_ARGS  ?=

.PHONY: setup run test lint browser fonts ops-tools pdf-deps test-services bench bench-tools stop clean-instance messages

## setup: virtualenv + Python packages (re-run only when requirements.txt changes) + htmx
##        + what WeasyPrint needs to draw invoices (Pango, fonts with ₹ and Devanagari)
setup: $(PIP_STAMP) $(HTMX) pdf-deps $(MO_FILES)

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Sweetshop needs Python 3.11+; set PYTHON=python3.x" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# order-only on $(PY): creating the venv must not, by itself, look newer than the stamp
$(PIP_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	@touch $@

# npm sets file times inside packages to 1985, so a stamp tracks the install
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(HTMX): $(NPM_STAMP)
	@mkdir -p $(@D)
	cp node_modules/htmx.org/dist/htmx.min.js $@

# A catalogue that does not compile fails setup, so `make test` and `make run` check it.
translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | $(PIP_STAMP)
	$(VENV)/bin/pybabel compile -i $< -o $@ -l $* --statistics

## messages: extract the words of templates and code into messages.pot, update the catalogues
messages: $(PIP_STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--ignore-dirs='.* __pycache__ node_modules' --omit-header -o translations/messages.pot .
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations \
		--omit-header --ignore-obsolete --no-fuzzy-matching

## lint: ruff, with the rules in ruff.toml
lint: setup
	$(VENV)/bin/ruff check .

## browser: Debian's chromium for the Playwright tests (/usr/bin/chromium), and a Devanagari
##          font so Hindi pages render in it (the pages use the system's fonts, none of their own)
browser: fonts
	@scripts/ensure_debian_package.sh /usr/bin/chromium chromium

## ops-tools: pg_dump/pg_restore (Debian's postgresql-client, the server's major version),
## caddy and systemd-analyze: flask backup / restore and the deploy/ checks in the tests
ops-tools:
	@scripts/ensure_debian_package.sh pg_dump postgresql-client
	@scripts/ensure_debian_package.sh caddy caddy
	@scripts/ensure_debian_package.sh systemd-analyze systemd

## pdf-deps: Debian's Pango (WeasyPrint draws text with it) and the invoice fonts
pdf-deps: fonts
	@scripts/ensure_debian_package.sh /usr/share/doc/libpango-1.0-0 libpango-1.0-0
	@scripts/ensure_debian_package.sh /usr/share/doc/libpangoft2-1.0-0 libpangoft2-1.0-0
	@scripts/ensure_debian_package.sh /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf fonts-dejavu-core

## fonts: a Devanagari font (Hindi pages in the browser tests, Hindi names on invoices)
fonts:
	@scripts/ensure_debian_package.sh /usr/share/fonts/truetype/lohit-devanagari/Lohit-Devanagari.ttf fonts-lohit-deva

## run: embedded PostgreSQL + Redis (unless DATABASE_URL/REDIS_URL are set), migrate, seed, serve
run: setup
	$(PY) scripts/run_dev.py

## test: PostgreSQL and Redis on 127.0.0.1, then pytest (PYTEST_ARGS="-k cart -x")
test: setup browser ops-tools test-services
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test-services: setup
	@$(PY) scripts/ensure_test_services.py

## bench: load, page weight, Lighthouse and checkout stress against the budgets (BENCH_ARGS="--quick")
bench: setup bench-tools
	$(PY) bench/run.py $(BENCH_ARGS)

## bench-tools: wrk (apt), chromium (apt) and Lighthouse (npm, pinned in bench/package-lock.json)
bench-tools: browser $(BENCH_NPM_STAMP)
	@scripts/ensure_debian_package.sh wrk wrk

$(BENCH_NPM_STAMP): bench/package.json bench/package-lock.json
	cd bench && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## stop: stop embedded servers left running by `python -m sweetshop.devservices env`
stop:
	@if [ -x $(PY) ]; then $(PY) sweetshop/devservices.py stop; fi

## clean-instance: stop the embedded servers, then delete instance/ (database, redis, uploads)
clean-instance: stop
	rm -rf instance
