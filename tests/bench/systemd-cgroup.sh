#!/bin/bash
# The cost of the systemd cgroup driver: create and delete --force of a
# busybox container with limits, through cgroupfs and through systemd, for
# reg-runc and runc, interleaved round by round, inside a systemd container
# (tests/lib/systemd-container.sh: systemd as PID 1 in a privileged Podman
# container, on the host's cgroup layout).  Prints medians and p95 in us and
# each runtime's systemd - cgroupfs difference.  Nothing asserts a timing.
#
#   tests/bench/systemd-cgroup.sh [N]     (default N=50; as root, Podman needed)
#
# REG_RUNC (default build/cmd/reg-runc) and RUNC (default: runc on PATH;
# skipped when absent) are the runtimes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$here/../.." && pwd)
N=${1:-50}
REG_RUNC=${REG_RUNC:-$srcdir/build/cmd/reg-runc}
RUNC=${RUNC:-$(command -v runc || true)}
PROBE=${PROBE:-$(dirname "$(dirname "$REG_RUNC")")/tests/probe}

[ "$(id -u)" -eq 0 ] || { echo "systemd-cgroup.sh: run as root" >&2; exit 1; }
[ -x "$REG_RUNC" ] || { echo "systemd-cgroup.sh: no reg-runc at $REG_RUNC (ninja -C build)" >&2; exit 1; }
[ -x "$PROBE" ] || { echo "systemd-cgroup.sh: no probe at $PROBE" >&2; exit 1; }
command -v podman >/dev/null || { echo "systemd-cgroup.sh: podman is needed" >&2; exit 1; }

# shellcheck source=tests/lib/systemd-container.sh
. "$srcdir/tests/lib/systemd-container.sh"

dir=$(mktemp -d /tmp/reg-sdbench.XXXXXX)
name=reg-sdbench-$$
cleanup() {
  sdc_stop "$name"
  rm -rf "$dir"
}
trap cleanup EXIT

cp "$REG_RUNC" "$dir/reg-runc"
[ -n "$RUNC" ] && cp "$RUNC" "$dir/runc"
mkdir -p "$dir/rootfs/bin" "$dir/rootfs/proc" "$dir/rootfs/sys" "$dir/rootfs/dev" "$dir/rootfs/tmp" "$dir/cfs" "$dir/sd"
cp /bin/busybox "$dir/rootfs/bin/"
ln -s busybox "$dir/rootfs/bin/sh"
cp "$PROBE" "$dir/rootfs/bin/probe"
(cd "$dir/cfs" && "$REG_RUNC" spec)
jq '.process.terminal = false | .process.args = ["/bin/probe", "sleep", "1000"]
  | .root = {"path": "/t/rootfs", "readonly": true}
  | .linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 100}
  | del(.linux.cgroupsPath)' "$dir/cfs/config.json" >"$dir/cfs/c"
mv "$dir/cfs/c" "$dir/cfs/config.json"
jq '.linux.cgroupsPath = "machine.slice:sdbench:"' "$dir/cfs/config.json" >"$dir/sd/config.json"

cat >"$dir/bench.sh" <<'EOS'
#!/bin/bash
# In the systemd container: N interleaved rounds of each configuration.
set -u
N=$1
confs="reg-cgroupfs reg-systemd"
[ -x /t/runc ] && confs="$confs runc-cgroupfs runc-systemd"
now() { date +%s%N; }
for c in $confs; do : >/tmp/$c.create; : >/tmp/$c.delete; done
for i in $(seq 0 "$N"); do
  for c in $confs; do
    case $c in
    reg-*) rt="/t/reg-runc --root /run/sdbench-reg" ;;
    runc-*) rt="/t/runc --root /run/sdbench-runc" ;;
    esac
    case $c in
    *-systemd) b=/t/sd f=--systemd-cgroup id=s$i ;;
    *) b=/t/cfs f= id=c$i ;;
    esac
    s=$(now)
    $rt $f create --bundle $b $id </dev/null >/dev/null 2>/tmp/err || { echo "$c: create: $(cat /tmp/err)" >&2; exit 1; }
    m=$(now)
    $rt $f delete --force $id || exit 1
    e=$(now)
    # round 0 warms up (binaries, the slice)
    [ "$i" -gt 0 ] && { echo $(((m - s) / 1000)) >>/tmp/$c.create; echo $(((e - m) / 1000)) >>/tmp/$c.delete; }
  done
done
pct() { sort -n "$1" | awk -v p="$2" '{a[NR]=$1} END {i=int(NR*p+0.999); if (i<1) i=1; print a[i]}'; }
printf "%-14s %10s %10s %14s %14s\n" "" "create p50" "p95" "delete -f p50" "p95"
for c in $confs; do
  printf "%-14s %10s %10s %14s %14s\n" "$c" "$(pct /tmp/$c.create 0.5)" "$(pct /tmp/$c.create 0.95)" \
    "$(pct /tmp/$c.delete 0.5)" "$(pct /tmp/$c.delete 0.95)"
done
for r in reg runc; do
  [ -s /tmp/$r-systemd.create ] || continue
  echo "$r: systemd - cgroupfs, median create $(($(pct /tmp/$r-systemd.create 0.5) - $(pct /tmp/$r-cgroupfs.create 0.5))) us," \
    "delete --force $(($(pct /tmp/$r-systemd.delete 0.5) - $(pct /tmp/$r-cgroupfs.delete 0.5))) us"
done
EOS
chmod +x "$dir/bench.sh"

sdc_start "$name" "$dir" || { echo "systemd-cgroup.sh: $SDC_ERROR" >&2; exit 1; }
echo "systemd-cgroup: N=$N, $(sdc "$name" systemctl --version | head -1), cgroups: $(sdc "$name" stat -f -c %T /sys/fs/cgroup)," \
  "load average: $(cut -d' ' -f1-3 /proc/loadavg); times in us"
SDC_TIMEOUT=3600 sdc "$name" /t/bench.sh "$N"
