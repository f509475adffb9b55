#!/usr/bin/env bash
# Installs bulkprofiles into .venv (only when missing or out of date: see
# setup.sh) and starts the window on the embedded default store (demo data is
# made on the first start, labelled as demo).  Arguments go to bulkprofiles,
# e.g. "bash scripts/run.sh info".
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh app
exec .venv/bin/bulkprofiles "$@"
