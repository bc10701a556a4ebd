#!/bin/bash
# Build reg-runc and run every test registered with meson (unit, fuzz smoke,
# integration, clients), then the unit tests again in an ASan/UBSan build
# (REG_SANITIZE=0 skips that); the last line is
# "N passed, N failed[, N skipped]".  Arguments go to the first meson test.
#
# As root the end-to-end tests through Podman, containerd and the CRI plugin
# (suite "clients") must run: one skipped as a whole (a client not
# installed...) is a failure, unless REG_SKIP_CLIENTS=1 says this machine goes
# without them, which the line above the summary then says.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILDDIR:-$src/build}
asan=${ASAN_BUILDDIR:-$src/build-asan}
logs=()
rc=0

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$src" || exit 1
fi
ninja -C "$build" || exit 1
meson test -C "$build" --print-errorlogs "$@" || rc=1
logs+=("$build/meson-logs/testlog.json")

if [ "${REG_SANITIZE:-1}" != 0 ]; then
  if [ ! -f "$asan/build.ninja" ]; then
    meson setup "$asan" "$src" -Db_sanitize=address,undefined -Db_lundef=false || exit 1
  fi
  ninja -C "$asan" || exit 1
  # halt_on_error: a sanitizer report fails the test that caused it.  The
  # security test is left out: its children run under seccomp filters that
  # deny the syscalls the sanitizer runtime itself makes at exit.
  unit=$(meson test -C "$asan" --list --suite unit 2>/dev/null | grep -v '^ninja' | sed 's|^.* / ||' | grep -vx security)
  # shellcheck disable=SC2086
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C "$asan" --print-errorlogs $unit || rc=1
  logs+=("$asan/meson-logs/testlog.json")
fi

count=()
if [ "$(id -u)" = 0 ]; then
  if [ "${REG_SKIP_CLIENTS:-0}" = 1 ]; then
    count+=(--note "REG_SKIP_CLIENTS=1: the client tests (Podman, containerd, CRI) were allowed to skip")
  else
    count+=(--require clients --hint "the client tests run as root: install them with contrib/install-client-deps.sh, or set REG_SKIP_CLIENTS=1 on a machine without them")
    # all tests, not a subset named by arguments: the client suite was among them
    [ $# -eq 0 ] && count+=(--expect clients)
  fi
fi
python3 "$src/tests/count-tap.py" "${count[@]}" "${logs[@]}" || rc=1
exit $rc
