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
  local d pids
  for d in "$@"; do
    [ -d "$d" ] || continue
    # A process still in a cgroup the suite created is one of its
    # containers' processes that a client or runtime failed to stop: say so,
    # and end it by its pid.
    pids=$(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
    if [ -n "$pids" ]; then
      echo "# processes left in $d:" $pids >&3
      kill -KILL $pids 2>/dev/null || true
      sleep 0.2
    fi
    # children first; rmdir fails (harmlessly) on a cgroup still in use
    find "$d" -depth -mindepth 1 -type d -exec rmdir {} \; 2>/dev/null || true
    rmdir "$d" 2>/dev/null || echo "# cgroup still in use: $d" >&3
  done
}

# Mounts under a directory (there must be none after the suite).
mounts_under () {
  awk -v p="${1%/}" '$5 == p || index($5, p "/") == 1 {print $5}' /proc/self/mountinfo
}

# check_no_mounts DIR...: fail, naming them, if mounts are left under the
# directories, after unmounting them (lazily, deepest first) so that nothing
# stays behind even then.
check_no_mounts () {
  local m
  m=$(for d in "$@"; do mounts_under "$d"; done | sort -r)
  [ -z "$m" ] && return 0
  echo "# mounts left behind:" $m >&3
  echo "$m" | while read -r p; do umount -l "$p" 2>/dev/null || true; done
  return 1
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

# ---- a private containerd ----
# CTRD_DIR (a fresh temp dir) holds its config, state, socket and the runtime's
# --root; its content store and snapshots live under the cache so imported
# images survive between runs.  start_containerd / stop_containerd (by pid).
CTR_NS=reg-test

ctr_ () {
  timeout "$CMD_TIMEOUT" ctr --address "$CTRD_DIR/containerd.sock" -n "$CTR_NS" "$@"
}

write_containerd_conf () {
  local sandbox_image=$1
  # contrib's runtime handler "reg", pointed at the runtime under test.
  {
    cat <<EOC
version = 2
root = "$REG_RUNC_TEST_CACHE/containerd/root"
state = "$CTRD_DIR/state"
# Plugins the tests do not use; "opt" would create /opt/containerd.
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "$CTRD_DIR/containerd.sock"
[ttrpc]
  address = "$CTRD_DIR/containerd.sock.ttrpc"

[plugins."io.containerd.grpc.v1.cri"]
  # CALLS.md: no CAP_SYS_RESOURCE here, and no registry: a local sandbox image.
  restrict_oom_score_adj = true
  sandbox_image = "$sandbox_image"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$CTRD_DIR/cni"
  # As on a real host: runc stays the default handler (a runtimes table
  # replaces containerd's built-in one), and pods choose "reg" by name.
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
EOC
    grep -v '^version' "$SRCDIR/contrib/containerd/config.toml" |
      sed -e "s|^\( *BinaryName = \).*|\1\"$REG_RUNC\"|" \
          -e "s|^\( *Root = \).*|\1\"$CTRD_DIR/reg-root\"|"
  } > "$CTRD_DIR/config.toml"
}

start_containerd () {
  CTRD_DIR=$(mktemp -d /run/reg-runc-tests-containerd.XXXXXX)
  export CTRD_DIR
  mkdir -p "$CTRD_DIR/cni" "$REG_RUNC_TEST_CACHE/containerd"
  local pause
  pause=$(podman images --format '{{.Repository}}:{{.Tag}}' | grep '^localhost/podman-pause:' | head -n1)
  write_containerd_conf "$pause"
  # fd 3 closed: bats would wait for the daemon otherwise
  containerd --config "$CTRD_DIR/config.toml" < /dev/null > "$CTRD_DIR/containerd.log" 2>&1 3>&- &
  echo $! > "$CTRD_DIR/containerd.pid"
  local n=100
  while ! ctr --address "$CTRD_DIR/containerd.sock" version > /dev/null 2>&1; do
    n=$((n - 1))
    if [ $n -eq 0 ] || ! kill -0 "$(cat "$CTRD_DIR/containerd.pid")" 2>/dev/null; then
      tail -20 "$CTRD_DIR/containerd.log" >&2
      return 1
    fi
    sleep 0.1
  done
}

# Remove every task and container of NAMESPACE (tasks first, by force).
ctr_cleanup_namespace () {
  local ns=$1 t
  for t in $(ctr --address "$CTRD_DIR/containerd.sock" -n "$ns" tasks ls -q 2>/dev/null); do
    ctr --address "$CTRD_DIR/containerd.sock" -n "$ns" tasks kill -a -s SIGKILL "$t" > /dev/null 2>&1 || true
  done
  for t in $(ctr --address "$CTRD_DIR/containerd.sock" -n "$ns" tasks ls -q 2>/dev/null); do
    timeout 30 ctr --address "$CTRD_DIR/containerd.sock" -n "$ns" tasks delete -f "$t" > /dev/null 2>&1 || true
  done
  for t in $(ctr --address "$CTRD_DIR/containerd.sock" -n "$ns" containers ls -q 2>/dev/null); do
    ctr --address "$CTRD_DIR/containerd.sock" -n "$ns" containers delete "$t" > /dev/null 2>&1 || true
  done
}

stop_containerd () {
  [ -n "${CTRD_DIR:-}" ] && [ -f "$CTRD_DIR/containerd.pid" ] || return 0
  local pid n=100
  pid=$(cat "$CTRD_DIR/containerd.pid")
  ctr_cleanup_namespace "$CTR_NS"
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  check_no_mounts "$CTRD_DIR" "$REG_RUNC_TEST_CACHE/containerd" || return 1
  rm -rf "$CTRD_DIR"
}

# make-image.sh with its log shown (as TAP comments) only when it fails.
make_images () {
  local log=$BATS_FILE_TMPDIR/make-image.log
  if ! bash "$CLIENTS_DIR/make-image.sh" "$@" > "$log" 2>&1; then
    sed 's/^/# /' "$log" >&3
    return 1
  fi
}
