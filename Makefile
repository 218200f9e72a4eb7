# Every target sets up what it needs on a fresh machine with only Python 3.11 and apt-get.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
# uv must use this machine's Python: it cannot download interpreters here.
export UV_PYTHON_DOWNLOADS := never
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")

.PHONY: help setup uv deps tesseract demo test lint format typecheck browser mailbox-server ghostscript serve stop docs-images train-reader

help:
	@echo "make demo   set up, then run the batch flow on generated sample invoices"
	@echo "make test   set up, then run lint, type checks and every test"
	@echo "make serve  start the local Prefect stack (server, work pool, deployments, worker);"
	@echo "            WORKERS=N for N process workers"
	@echo "make stop   stop what make serve started"
	@echo "make docs-images  refresh docs/img/*.png from the browser test of the review form"
	@echo "make train-reader  rebuild the learned field reader's model (extractors/reader/trained)"

setup: deps tesseract

uv:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 \
		|| { echo "Installing uv with pip"; $(PYTHON) -m pip install --quiet uv; }

# Bytecode compiled at install: where PYTHONDONTWRITEBYTECODE is set (this machine and CI), every
# `invoicebot` process would otherwise compile its 2,500 library modules again (about 5 s).
deps: uv
	$(UV) sync --frozen --compile-bytecode

tesseract:
	@bash scripts/ensure-tesseract.sh

# Debian's Chromium for the browser tests: Playwright drives it for the review form (it never
# downloads one), and the KPI report test screenshots the HTML report with it.
browser:
	@command -v chromium >/dev/null 2>&1 || { echo "Installing Debian's chromium"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Debian's Dovecot for the mailbox channel's tests: they start their own server, on a free
# port in a temporary folder, so the package's own service is never needed.
mailbox-server:
	@command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || { echo "Installing Debian's dovecot-imapd"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd; }

# Debian's Ghostscript for `invoicebot export facturx`: it rewrites each archived PDF as
# PDF/A-3b (fonts embedded, an sRGB OutputIntent) before the XML is embedded.
ghostscript:
	@command -v gs >/dev/null 2>&1 || { echo "Installing Debian's ghostscript"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ghostscript; }

# PREFECT_SERVER_API_PORT picks the port (default 4200); INVOICEBOT_DATA_DIR the data dir;
# WORKERS=N starts N process workers; INVOICEBOT_DATABASE_URL=postgresql://... puts the store,
# and the Prefect server's database beside it, on PostgreSQL.
serve: deps
	@WORKERS="$(WORKERS)" bash scripts/serve.sh

stop:
	@bash scripts/stop.sh

demo: setup
	$(UV) run invoicebot demo

# lint-imports checks the layers and the absence of import cycles declared in .importlinter.
lint:
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run lint-imports

typecheck:
	$(UV) run mypy

format:
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

test: setup browser mailbox-server ghostscript lint typecheck
	$(UV) run pytest

# Tests write their screenshots to a temporary folder; this is the one command that rewrites
# the tracked docs images, from the browser test of the review form.
docs-images: setup browser
	INVOICEBOT_SCREENSHOT_DIR=$(CURDIR)/docs/img $(UV) run pytest tests/e2e/test_ui.py -q

# The learned field reader's model, rebuilt from the generator's tuning families (and half of
# ../shared/datasets when present) with a fixed seed: the same inputs give the same model.
train-reader: setup
	$(UV) run python scripts/train_reader.py --seed 2026
