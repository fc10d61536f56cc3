#!/usr/bin/env bash
# Runs the unit and API tests on SQLite and on PostgreSQL side by side (one per core),
# and the browser tests after the SQLite run, each in its own data folder under
# $QITONG_DATA_DIR. Each suite's output is printed whole when it ends; the exit status
# is 0 only when all three passed.
set -uo pipefail

pytest=${PYTEST:-.venv/bin/pytest}
data=${QITONG_DATA_DIR:?QITONG_DATA_DIR must name the tests data folder}
logs=$(mktemp -d /tmp/qitong-suites.XXXXXX)
trap 'rm -rf "$logs"' EXIT
mkdir -p "$data"

suite() {  # suite NAME COMMAND...: runs COMMAND with its own data folder, output to a log
  local name=$1
  shift
  local start=$SECONDS
  QITONG_DATA_DIR="$data/$name" "$@" >"$logs/$name.log" 2>&1
  local rc=$?
  echo "$rc" >"$logs/$name.rc"
  echo "=== $name: exit $rc after $((SECONDS - start)) s"
  cat "$logs/$name.log"
  return "$rc"
}

echo "=== running: sqlite then browser, and postgres beside them (output of each when it ends)"
(
  suite sqlite "$pytest" -m "not browser"
  suite browser "$pytest" -m browser -p no:cacheprovider
) &
first=$!
suite postgres scripts/with-postgres.sh "$pytest" -m "not browser" -p no:cacheprovider &
second=$!
wait "$first"
wait "$second"

status=0
for name in sqlite postgres browser; do
  rc=$(cat "$logs/$name.rc" 2>/dev/null || echo missing)
  echo "=== $name: $rc"
  [ "$rc" = 0 ] || status=1
done
exit "$status"
