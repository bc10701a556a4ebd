#!/bin/bash
# reg-runc benchmarks against crun and runc: one entry command.
#
#   tests/bench/run.sh [--quick] [--only LIST] [--out DIR] [--reg-runc PATH] [--seed N]
#                      [--reg-runc-base PATH] [--keep-cgroup-layout]
#
# Installs crun, runc, gnuplot and time from Debian when missing, then runs
# tests/bench/bench.py in a private mount namespace and writes DIR/report.md
# (default ./bench-results) with PNG charts.  Nothing here asserts a timing.
#
# Why a private mount namespace: crun 1.8 refuses a hybrid cgroup layout (a
# cgroup2 mount at /sys/fs/cgroup/unified whose cgroup.controllers is not
# empty) before it looks at --cgroup-manager, so neither
# `--cgroup-manager=disabled` nor a config without cgroupsPath helps.  Inside
# the namespace /sys/fs/cgroup is replaced by a tmpfs holding only the v1
# hierarchies (bind mounts of the host's), which every runtime then sees the
# same way.  The host's mounts are untouched and the view ends with the
# namespace.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$here/../.." && pwd)

if [ "$(id -u)" -ne 0 ]; then
  echo "run.sh: the benchmarks create containers: run as root" >&2
  exit 1
fi

if [ "${REG_BENCH_IN_NS:-}" != 1 ]; then
  need=""
  command -v crun >/dev/null || need="$need crun"
  command -v runc >/dev/null || need="$need runc"
  command -v gnuplot >/dev/null || need="$need gnuplot-nox"
  [ -x /usr/bin/time ] || need="$need time"
  command -v debootstrap >/dev/null || need="$need debootstrap"
  command -v busybox >/dev/null || need="$need busybox-static"
  command -v unshare >/dev/null || need="$need util-linux"
  if [ -n "$need" ]; then
    echo "run.sh: installing$need" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $need >/dev/null
  fi
  export REG_BENCH_IN_NS=1
  exec unshare --mount --propagation private -- "$0" "$@"
fi

keep_layout=0
for a in "$@"; do
  [ "$a" = --keep-cgroup-layout ] && keep_layout=1
done

cg_view="host layout"
if [ "$keep_layout" = 0 ] && [ "$(stat -f -c %T /sys/fs/cgroup)" = tmpfs ] \
  && [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
  stage=$(mktemp -d /tmp/reg-bench-cgview.XXXXXX)
  mount -t tmpfs -o mode=755,nosuid,nodev,noexec reg-bench-cgroup "$stage"
  while read -r target fstype; do
    [ "$fstype" = cgroup ] || continue
    name=${target#/sys/fs/cgroup/}
    mkdir "$stage/$name"
    mount --bind "$target" "$stage/$name"
  done < <(findmnt -rn -o TARGET,FSTYPE -R /sys/fs/cgroup)
  # keep the compatibility symlinks (cpu,cpuacct -> ...) some hosts have
  find /sys/fs/cgroup -maxdepth 1 -type l -exec cp -P {} "$stage/" \;
  mount --move "$stage" /sys/fs/cgroup
  rmdir "$stage"
  cg_view="hybrid host; the benchmark's mount namespace sees only the v1 hierarchies (cgroup2 at /sys/fs/cgroup/unified hidden)"
fi
export REG_BENCH_CGROUP_VIEW="$cg_view"

exec python3 "$here/bench.py" --srcdir "$srcdir" "$@"
