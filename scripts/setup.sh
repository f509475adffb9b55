# Source with an extras name ("app", "test" or "build"): makes .venv and installs
# the project into it, plus the few Debian libraries Qt needs on a bare machine.
#
# pip runs only when needed: a stamp per extras name in .venv/ records what the
# last successful install was made from (pyproject.toml, this script, the
# Python version).  When it matches, nothing is installed, so a second start
# needs no network and costs a few milliseconds.  Every extras set includes the
# app's own dependencies, so any current stamp will do for "app".  A failed
# install leaves no stamp (the next start tries again) and returns non-zero.
extras="${1:-app}"
need_apt=()
libs="$(ldconfig -p 2>/dev/null || true)"
for lib in libEGL.so.1 libxkbcommon.so.0 libfontconfig.so.1 libGL.so.1 libdbus-1.so.3 libglib-2.0.so.0; do
  grep -q "$lib" <<<"$libs" || need_apt+=("$lib")
done
if [ ${#need_apt[@]} -gt 0 ] && [ "$(id -u)" = 0 ]; then
  echo "== installing Qt's system libraries (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libegl1 libxkbcommon0 libfontconfig1 \
    libgl1 libdbus-1-3 libglib2.0-0 libxkbcommon-x11-0 >/dev/null
fi
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  python3 -m venv .venv
fi

# What an install of these extras is made from: a new pyproject.toml, setup.sh
# or Python means installing again.
install_stamp() {
  cat pyproject.toml scripts/setup.sh .venv/pyvenv.cfg | sha256sum | cut -c1-64
}
stamp_file=".venv/.bulkprofiles-installed-$extras"
stamp="$(install_stamp)"
up_to_date=""
if [ -x .venv/bin/bulkprofiles ]; then
  for candidate in ".venv/.bulkprofiles-installed-$extras" .venv/.bulkprofiles-installed-*; do
    if [ -f "$candidate" ] && [ "$(cat "$candidate")" = "$stamp" ]; then
      if [ "$extras" = app ] || [ "$candidate" = "$stamp_file" ]; then
        up_to_date="$candidate"
        break
      fi
    fi
  done
fi
if [ -z "$up_to_date" ]; then
  echo "== installing bulkprofiles[$extras] into .venv"
  case "$extras" in
    test) spec=".[test,postgres]" ;;
    build) spec=".[build,postgres]" ;;
    *) spec=".[postgres]" ;;
  esac
  rm -f "$stamp_file"
  # pip's notes about unused local index folders are noise here; real errors still show.
  if .venv/bin/python -m pip install -q --disable-pip-version-check -e "$spec" \
    2> >(grep -v "^WARNING: Location 'file:" >&2); then
    printf '%s\n' "$stamp" >"$stamp_file"
  else
    echo "scripts/setup.sh: installing bulkprofiles[$extras] failed (nothing recorded;" \
      "the next start tries again)" >&2
    return 1 2>/dev/null || exit 1
  fi
fi
