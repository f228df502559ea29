# MotCua developer entry points.
#   make test                    venv + services + pytest   (make test ARGS="-k calendar")
#   make run                     the demo on one machine (embedded PostgreSQL, filesystem broker)
#   make venv / make services    the first two steps alone
SHELL := /bin/bash
.DEFAULT_GOAL := test

PYTHON ?= python3
VENV   := .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.requirements.stamp
REQS   := $(wildcard requirements*.txt)
ARGS   ?=

# Used by `make test` unless already set (in the environment or on the make command line).
TEST_DATABASE_URL      := $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/motcua)
TEST_CELERY_BROKER_URL := $(or $(CELERY_BROKER_URL),redis://127.0.0.1:6379/0)

.PHONY: test run venv services

$(VPY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file is newer than the stamp.
$(STAMP): $(REQS) | $(VPY)
	$(VPY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	@touch $@

venv: $(STAMP)

services:
	@bash scripts/ensure_services.sh

test: venv services
	@rc=0; \
	DATABASE_URL='$(TEST_DATABASE_URL)' CELERY_BROKER_URL='$(TEST_CELERY_BROKER_URL)' \
		$(VPY) -m pytest -q $(ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest ran no test (exit 5): failing" >&2; fi; \
	exit $$rc

run: venv
	exec $(VPY) scripts/run_demo.py
