#!/usr/bin/env bash
# Run a command with QITONG_DATABASE_URL pointing at PostgreSQL.
# Uses QITONG_TEST_DATABASE_URL when a server answers there; otherwise starts a
# throwaway cluster on loopback under a temporary folder and removes it after.
set -euo pipefail

if [ -n "${QITONG_TEST_DATABASE_URL:-}" ] && pg_isready -q -d "$QITONG_TEST_DATABASE_URL"; then
  QITONG_DATABASE_URL="$QITONG_TEST_DATABASE_URL" exec "$@"
fi

bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
tmp=$(mktemp -d /tmp/qitong-pg.XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_owner=()
if [ "$(id -u)" = 0 ]; then
  # PostgreSQL refuses to run as root.
  chown postgres: "$tmp"
  as_owner=(runuser -u postgres --)
fi
cleanup() {
  "${as_owner[@]}" "$bindir/pg_ctl" -D "$tmp/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

"${as_owner[@]}" "$bindir/initdb" -D "$tmp/data" -U qitong -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_owner[@]}" "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -o \
  "-c listen_addresses=127.0.0.1 -p $port -k $tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (throwaway)"
QITONG_DATABASE_URL="postgres://qitong@127.0.0.1:$port/postgres" "$@"
