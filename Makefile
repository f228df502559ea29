# MotCua developer entry points.
#   make test                    venv + services + pytest   (make test ARGS="-k calendar")
#   make run                     the demo on one machine (embedded PostgreSQL, filesystem broker)
#   make bench                   benchmarks (SIZE=smoke|quick|full); JSON lines to stdout and bench/results.jsonl
#   make venv / make services    the first two steps alone
#   make assets                  front-end files from npm into webui/static/webui/vendor/ (scripts/build_assets.sh)
SHELL := /bin/bash
.DEFAULT_GOAL := test

PYTHON ?= python3
VENV   := .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.requirements.stamp
REQS   := $(wildcard requirements*.txt)
ARGS   ?=
SIZE   ?= quick
BENCH_RESULTS ?= bench/results.jsonl

# Used by `make test` unless already set (in the environment or on the make command line).
TEST_DATABASE_URL      := $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/motcua)
TEST_CELERY_BROKER_URL := $(or $(CELERY_BROKER_URL),redis://127.0.0.1:6379/0)

.PHONY: test run venv services assets chromium bench

$(VPY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file is newer than the stamp.
$(STAMP): $(REQS) | $(VPY)
	@bash scripts/ensure_system_libs.sh
	$(VPY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	@touch $@

venv: $(STAMP)

services:
	@bash scripts/ensure_services.sh

assets:
	@bash scripts/build_assets.sh

chromium:
	@bash scripts/ensure_chromium.sh

test: venv services assets chromium
	@rc=0; \
	DATABASE_URL='$(TEST_DATABASE_URL)' CELERY_BROKER_URL='$(TEST_CELERY_BROKER_URL)' \
		$(VPY) -m pytest -q $(ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest ran no test (exit 5): failing" >&2; fi; \
	exit $$rc

run: venv assets
	exec $(VPY) scripts/run_demo.py

# Each benchmark uses its own database (bench/engine.py: motcua_bench_engine, bench/timers.py: motcua_bench,
# bench/http_load.py: motcua_bench_http, bench/scale.py: motcua_bench_scale; dropped and migrated on every run).
bench: venv services
	@set -o pipefail; $(VPY) bench/engine.py --size '$(SIZE)' | tee -a '$(BENCH_RESULTS)'
	@set -o pipefail; $(VPY) bench/timers.py --size '$(SIZE)' | tee -a '$(BENCH_RESULTS)'
	@set -o pipefail; $(VPY) bench/http_load.py --size '$(SIZE)' | tee -a '$(BENCH_RESULTS)'
	@set -o pipefail; $(VPY) bench/scale.py --size '$(SIZE)' | tee -a '$(BENCH_RESULTS)'
