#!/bin/bash
# Run one bats file as a meson TAP test:
#   bats-tap.sh FILE.bats [PROGRAM...]
# Whether bats and the PROGRAMs the file needs are installed is decided here,
# when the test runs, not when meson configured the build dir: the README's
# quick start sets the build dir up before contrib/install-client-deps.sh
# installs Podman and containerd.  A missing one skips the whole file with
# the reason ("1..0 # SKIP not installed: ..."); tests/run-all.sh decides
# whether that skip is allowed (REG_SKIP_CLIENTS).
set -u
file=$1
shift
missing=()
for p in bats "$@"; do
  command -v "$p" > /dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "1..0 # SKIP not installed: ${missing[*]} (contrib/install-deps.sh, contrib/install-client-deps.sh)"
  exit 0
fi
# The TAP goes to stdout for meson; a failing test's line and its
# diagnostics are copied to stderr too, so `meson test --print-errorlogs`
# (and so CI's log) shows why it failed, not only that it did.
set -o pipefail
bats --tap "$file" | awk '
  { print; fflush() }
  /^not ok / { p = 1; print > "/dev/stderr"; fflush("/dev/stderr"); next }
  /^ok / { p = 0 }
  p && /^#/ { print > "/dev/stderr"; fflush("/dev/stderr") }'

