#!/usr/bin/env bash
# Fetch the front-end assets from the npm registry and vendor them into static
# files, so the platform runs on an intranet with no internet. Re-run after
# changing a version below; commit what it writes.
set -euo pipefail
HTMX=2.0.11
ECHARTS=5.6.0

top=$(cd "$(dirname "$0")/.." && pwd)
dest="$top/src/qitong/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "htmx.org@$HTMX" "echarts@$ECHARTS" >/dev/null
mkdir htmx echarts
tar xzf "htmx.org-$HTMX.tgz" -C htmx
tar xzf "echarts-$ECHARTS.tgz" -C echarts

mkdir -p "$dest/htmx" "$dest/echarts"
cp htmx/package/dist/htmx.min.js htmx/package/LICENSE "$dest/htmx/"
cp echarts/package/dist/echarts.common.min.js echarts/package/LICENSE "$dest/echarts/"
printf 'htmx.org %s\necharts %s\n' "$HTMX" "$ECHARTS" > "$dest/VERSIONS"
echo "vendored into $dest: htmx.org $HTMX, echarts $ECHARTS"
