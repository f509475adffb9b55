#!/usr/bin/env bash
# The whole test suite: installs the project (with its test extras) into
# .venv, starts a throwaway PostgreSQL, runs ruff, mypy, lint-imports (the
# layers contract of pyproject.toml) and pytest (GUI tests offscreen).  Extra
# arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh test
source scripts/pg.sh
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy
echo "== lint-imports"
.venv/bin/lint-imports --no-cache
echo "== pytest"
export QT_QPA_PLATFORM=offscreen
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
