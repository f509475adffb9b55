#!/usr/bin/env bash
# The whole test suite: installs the project (with its test extras) into
# .venv, starts a throwaway PostgreSQL, runs ruff, mypy and pytest (GUI tests
# offscreen).  Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh test
source scripts/pg.sh
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
export QT_QPA_PLATFORM=offscreen
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
