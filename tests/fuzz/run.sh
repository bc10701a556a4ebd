#!/bin/bash
# Build the libFuzzer harnesses with clang (a separate build dir, -Dfuzz=true)
# and run each for SECONDS (default 30): tests/fuzz/run.sh [SECONDS [NAME...]]
# (NAME: config elf ldcache manifest host_config mode closure sync; default all).
# Every harness runs even when one fails; the exit status is non-zero when
# any found a crash, a sanitizer report, a leak or a timeout.  The input
# that did it is kept in $BUILD/fuzz-artifacts/<name>/.
set -u
secs=${1:-30}
shift || true
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILDDIR:-$src/build-fuzz}
all="config elf ldcache manifest host_config mode closure sync"
names=${*:-$all}

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" "$src" -Dfuzz=true -Dtests=false >/dev/null || exit 1
fi
targets=
for n in $names; do targets="$targets tests/fuzz/fuzz_$n"; done
# shellcheck disable=SC2086
ninja -C "$build" $targets >/dev/null || { ninja -C "$build" $targets; exit 1; }

# New inputs go to a scratch copy: the seed corpus in git stays as it is.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=
for n in $names; do
  mkdir -p "$work/$n" "$build/fuzz-artifacts/$n"
  cp "$src/tests/fuzz/corpus/$n"/* "$work/$n/"
  log="$build/fuzz-artifacts/$n.log"
  start=$(date +%s)
  # -timeout: one input taking longer is a hang (reported as a crash);
  # -rss_limit_mb: an input making us allocate without bound is one too.
  "$build/tests/fuzz/fuzz_$n" -max_total_time="$secs" -detect_leaks=1 -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$n/" "$work/$n" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  if [ $rc -eq 0 ]; then
    echo "fuzz_$n: ok, $(( $(date +%s) - start )) s, ${runs:-?} runs, ${cov:-cov: ?}"
  else
    echo "fuzz_$n: FAILED (exit $rc), log: $log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' "$log" | head -5 | sed 's/^/  /'
    failed="$failed $n"
  fi
done
if [ -n "$failed" ]; then
  echo "failed:$failed"
  exit 1
fi
