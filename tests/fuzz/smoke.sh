#!/bin/bash
# CI smoke of the libFuzzer harnesses, as TAP (one line per harness): build
# them with clang in $FUZZ_BUILDDIR and run each for $REG_FUZZ_SMOKE_SECS
# seconds (default 10) through tests/fuzz/run.sh.  Without clang or its
# libFuzzer runtime (Debian: clang, libclang-rt-14-dev) every line is a
# skip with the reason.
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
secs=${REG_FUZZ_SMOKE_SECS:-10}
export FUZZ_BUILDDIR=${FUZZ_BUILDDIR:-$src/build-fuzz}
names="config elf ldcache manifest host_config mode closure sync"

set -- $names
echo "1..$#"

skip_all () {
  i=0
  for n in $names; do
    i=$((i + 1))
    echo "ok $i fuzz_$n # SKIP $1"
  done
  exit 0
}

command -v clang >/dev/null 2>&1 || skip_all "clang not installed (Debian: clang)"
rt=$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null)
[ -f "$rt" ] || skip_all "no libFuzzer runtime for clang (Debian: libclang-rt-14-dev)"
for n in $names; do
  [ -d "$src/tests/fuzz/corpus/$n" ] || { echo "Bail out! no seed corpus tests/fuzz/corpus/$n"; exit 1; }
done

# Build once (run.sh would build each on its first use): a build failure
# is one clear line, not seven.
if [ ! -f "$FUZZ_BUILDDIR/build.ninja" ]; then
  if ! out=$(CC=clang meson setup "$FUZZ_BUILDDIR" "$src" -Dfuzz=true -Dtests=false 2>&1); then
    echo "$out" | sed 's/^/# /'
    echo "Bail out! meson setup of the fuzz build failed"
    exit 1
  fi
fi
targets=
for n in $names; do targets="$targets tests/fuzz/fuzz_$n"; done
# shellcheck disable=SC2086
if ! out=$(ninja -C "$FUZZ_BUILDDIR" $targets 2>&1); then
  echo "$out" | tail -20 | sed 's/^/# /'
  echo "Bail out! building the fuzz harnesses failed"
  exit 1
fi

i=0
rc=0
for n in $names; do
  i=$((i + 1))
  if out=$("$src/tests/fuzz/run.sh" "$secs" "$n" 2>&1); then
    echo "ok $i fuzz_$n ${secs} s: $(echo "$out" | sed -n "s/^fuzz_$n: ok, //p")"
  else
    echo "not ok $i fuzz_$n"
    echo "$out" | sed 's/^/# /'
    rc=1
  fi
done
exit $rc
