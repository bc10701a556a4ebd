# Helpers shared by podman.bats and containerd.bats.
#
# REG_RUNC is the runtime under test (default: the source tree's
# build/cmd/reg-runc).  Setting REG_RUNC=/usr/sbin/runc runs the same tests
# through runc, which is how the harness itself is checked.

CLIENTS_DIR=$(cd "$BATS_TEST_DIRNAME" && pwd)
. "$CLIENTS_DIR/env.sh"
REG_RUNC=${REG_RUNC:-$SRCDIR/build/cmd/reg-runc}
RUNTIME_NAME=$(basename "$REG_RUNC")
export REG_RUNC RUNTIME_NAME

# Every client command is bounded in time: a hung runtime fails the test
# instead of the whole suite.
CMD_TIMEOUT=${CMD_TIMEOUT:-120}

is_reg_runc () { [ "$RUNTIME_NAME" = reg-runc ]; }

require_runtime () {
  [ -x "$REG_RUNC" ] || skip "runtime under test not built: $REG_RUNC"
}

# fail MESSAGE: print it and the last command's output, and fail.
fail () {
  echo "FAIL: $*" >&2
  echo "last output: ${output:-}" >&2
  return 1
}

# A value from a cgroup file as the container sees it: cgroup v1 (one
# directory per controller) or v2 (one unified directory).
#   cg_path CONTROLLER V1FILE V2FILE
cg_path_script () {
  echo "if [ -d /sys/fs/cgroup/$1 ]; then cat /sys/fs/cgroup/$1/$2; else cat /sys/fs/cgroup/$3; fi"
}

host_cgroup_v2 () { [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; }

# Cgroup directories that Podman/containerd leave behind and that did not
# exist before the suite (empty ones are removed by teardown_file).
cgroup_dirs_of () {
  local name=$1 d
  for d in /sys/fs/cgroup/*/"$name" /sys/fs/cgroup/"$name"; do
    [ -d "$d" ] && echo "$d"
  done
  return 0
}

remove_empty_cgroups () {
  local d
  for d in "$@"; do
    [ -d "$d" ] || continue
    # children first; rmdir fails (harmlessly) on a cgroup still in use
    find "$d" -depth -mindepth 1 -type d -exec rmdir {} \; 2>/dev/null || true
    rmdir "$d" 2>/dev/null || echo "# cgroup still in use: $d" >&3
  done
}

# Mounts under a directory (there must be none after the suite).
mounts_under () {
  awk -v p="$1" 'index($5, p) == 1 {print $5}' /proc/self/mountinfo
}

# The CNI firewall plugin's chains (left in iptables after the last container
# is gone).  cni_chains_present: 0 when they exist.
cni_chains_present () {
  command -v iptables > /dev/null && iptables -n -L CNI-FORWARD > /dev/null 2>&1
}

remove_cni_chains () {
  local t
  for t in iptables ip6tables; do
    command -v $t > /dev/null || continue
    $t -n -L CNI-FORWARD > /dev/null 2>&1 || continue
    # Only the plugin's own skeleton: a chain with container rules is in use.
    if [ "$($t -S CNI-FORWARD | grep -vc -e '^-N' -e 'CNI-ADMIN')" -ne 0 ]; then
      echo "# $t CNI-FORWARD still has rules; left alone" >&3
      continue
    fi
    $t -D FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD 2>/dev/null || true
    $t -F CNI-FORWARD && $t -X CNI-FORWARD
    $t -F CNI-ADMIN 2>/dev/null && $t -X CNI-ADMIN 2>/dev/null || true
  done
}
