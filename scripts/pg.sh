# Source this file: starts a throwaway PostgreSQL 15 cluster on a free
# loopback port and exports BULKPROFILES_TEST_PG_URL; stops it on exit.
# Installs Debian's postgresql package first when its server binaries are
# missing.  initdb refuses to run as root, so the cluster runs as 'postgres'.
pg_bin=""
for candidate in /usr/lib/postgresql/*/bin; do
  [ -x "$candidate/initdb" ] && pg_bin="$candidate"
done
if [ -z "$pg_bin" ]; then
  echo "== installing PostgreSQL server (apt-get)"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/initdb" ] && pg_bin="$candidate"
  done
fi
if [ -z "$pg_bin" ]; then
  echo "scripts/pg.sh: no PostgreSQL server binaries; store tests run on SQLite only" >&2
  return 0 2>/dev/null || exit 0
fi
pg_dir=$(mktemp -d /tmp/bulkprofiles-pg.XXXXXX)
pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$(id -u)" = 0 ]; then chown postgres "$pg_dir"; fi
as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust --no-sync -E UTF8 >"$pg_dir/initdb.log" 2>&1 \
  || { cat "$pg_dir/initdb.log"; echo "scripts/pg.sh: initdb failed" >&2; return 1 2>/dev/null || exit 1; }
as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=256MB" start >/dev/null \
  || { cat "$pg_dir/server.log"; echo "scripts/pg.sh: PostgreSQL did not start" >&2; return 1 2>/dev/null || exit 1; }
export BULKPROFILES_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$pg_port/postgres"
stop_pg() {
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap stop_pg EXIT
echo "== PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port"
