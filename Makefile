.PHONY: setup run test test-fast docs eval bench bench-quick browser

VENV := .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

setup:
	@bash scripts/setup.sh

run: setup
	$(PY) app.py

# Debian's Chromium for the browser test (Playwright never downloads a browser here), and a CJK font for it.
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi wenquanyi; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; fi

test: setup browser
	$(PY) -m pytest -q -ra

# The development tier: no local LLM, no browser, no PostgreSQL, nothing heavy (under 2 minutes); CI runs `make test`.
test-fast: setup
	$(PY) -m pytest -q -ra -m "not slow and not browser and not pg and not heavy"

# Regenerate the pages written from the code and the reports (tests fail when they are stale).
docs: setup
	$(PY) -m interfaces.cli config --reference > docs/configuration.md
	$(PY) -m eval.results_page > docs/results.md

eval: setup
	$(PY) -m eval.run_all

bench: setup
	$(PY) -m bench.run_all

bench-quick: setup
	$(PY) -m bench.run_all --quick
