# Source with an extras name ("test" or "app"): makes .venv and installs the
# project into it, plus the few Debian libraries Qt needs on a bare machine.
extras="${1:-app}"
need_apt=()
for lib in libEGL.so.1 libxkbcommon.so.0 libfontconfig.so.1 libGL.so.1 libdbus-1.so.3 libglib-2.0.so.0; do
  ldconfig -p | grep -q "$lib" || need_apt+=("$lib")
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
echo "== installing bulkprofiles[$extras] into .venv"
spec=".[postgres]"
[ "$extras" = test ] && spec=".[test,postgres]"
# pip's notes about unused local index folders are noise here; real errors still show.
.venv/bin/python -m pip install -q --disable-pip-version-check -e "$spec" \
  2> >(grep -v "^WARNING: Location 'file:" >&2)
