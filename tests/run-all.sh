#!/bin/bash
# Build reg-runc and run every test (unit and integration) registered with
# meson; the last line is "N passed, N failed[, N skipped]".
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILDDIR:-$src/build}

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$src" || exit 1
fi
ninja -C "$build" || exit 1
meson test -C "$build" --print-errorlogs "$@"
rc=$?
python3 "$src/tests/count-tap.py" "$build/meson-logs/testlog.json" || rc=1
exit $rc
