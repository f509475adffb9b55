#!/usr/bin/env bash
# Builds the desktop bundle dist/bulkprofiles/ (one folder: the executable
# "bulkprofiles" with Python, Qt and resources/; see build.spec), then runs
# the built executable's --self-check.  Installs PyInstaller into .venv (the
# "build" extra of pyproject.toml) when it is not there yet.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh build
# PyInstaller reads the libraries' dependencies with binutils and strips them.
if ! command -v objdump >/dev/null || ! command -v strip >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing binutils (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq binutils >/dev/null
  else
    echo "scripts/build.sh: PyInstaller needs binutils (objdump, strip)" >&2
    exit 1
  fi
fi
echo "== pyinstaller build.spec -> dist/bulkprofiles/"
started=$SECONDS
.venv/bin/pyinstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller build.spec
echo "built in $((SECONDS - started)) s; $(du -sh dist/bulkprofiles | cut -f1) in dist/bulkprofiles/"
echo "== dist/bulkprofiles/bulkprofiles --self-check"
QT_QPA_PLATFORM=offscreen dist/bulkprofiles/bulkprofiles --self-check
