#!/bin/bash
# Build the libFuzzer harnesses with clang (a separate build dir, -Dfuzz=true)
# and run the config parser's for SECONDS (default 30).  Exits non-zero on a
# crash, a sanitizer report or a leak; the input that did it is kept in
# $BUILD/fuzz-artifacts/.
set -eu
secs=${1:-30}
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILDDIR:-$src/build-fuzz}

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" "$src" -Dfuzz=true -Dtests=false
fi
ninja -C "$build" tests/fuzz/fuzz_config

# New inputs go to a scratch copy: the seed corpus in git stays as it is.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$src"/tests/fuzz/corpus/config/* "$work/"
mkdir -p "$build/fuzz-artifacts"
"$build/tests/fuzz/fuzz_config" -max_total_time="$secs" -detect_leaks=1 -max_len=65536 -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/" "$work"
