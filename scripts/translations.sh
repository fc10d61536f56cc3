#!/usr/bin/env bash
# Top up the English catalogue: extract every Chinese string of the project
# (templates and Python under src/qitong) into src/qitong/locale/en, keep the
# translations already made, compile the .mo that is committed beside it, and
# list what still needs English. Exits non-zero while anything is untranslated
# or fuzzy (a guess by msgmerge that a person must check), so it can gate a commit.
#
#   scripts/translations.sh          extract, compile, report
#   scripts/translations.sh --check  report only (no extraction)
#
# Needs GNU gettext (xgettext, msgmerge, msgfmt): scripts/system-deps.sh installs it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/.venv/bin"
PO="$ROOT/src/qitong/locale/en/LC_MESSAGES/django.po"

# Settings need a key and a data folder; extraction touches no database.
export QITONG_SECRET_KEY="${QITONG_SECRET_KEY:-translations-only-key-0123456789abcdefghij}"
export QITONG_DATA_DIR="${QITONG_DATA_DIR:-${TMPDIR:-/tmp}/qitong-translations}"
export QITONG_REDIS_URL="${QITONG_REDIS_URL:-}"

if [[ "${1:-}" != "--check" ]]; then
    cd "$ROOT/src/qitong"
    # Locations by file only: line numbers would churn the catalogue at every edit.
    "$BIN/qitong" makemessages -l en --no-obsolete --add-location=file
    "$BIN/qitong" compilemessages -l en -l zh_Hans
fi

"$BIN/python" - "$PO" <<'EOF'
import sys

import polib

po = polib.pofile(sys.argv[1])
todo = [e for e in po if not e.obsolete and (not e.translated() or e.fuzzy)]
for entry in todo:
    where = entry.occurrences[0][0] if entry.occurrences else "?"
    state = "fuzzy" if entry.fuzzy else "empty"
    print(f"{state:5}  {where}: {entry.msgid!r}")
print(f"{len(po) - len(todo)} translated, {len(todo)} to do: {sys.argv[1]}")
sys.exit(1 if todo else 0)
EOF
