#!/usr/bin/env bash
# Installs bulkprofiles into .venv and starts the window on the embedded
# default store (demo data is made on the first start, labelled as demo).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh app
exec .venv/bin/bulkprofiles "$@"
