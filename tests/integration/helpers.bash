# shellcheck shell=bash
# Shared helpers of the integration tests (bats, as root).
#
# Each test gets a private temporary directory holding a bundle (busybox-static
# rootfs + the static probe + config.json), the runtime's state dir (--root),
# and files for the container's stdio; a unique container id and cgroupsPath.
# teardown_bundle deletes every container the runtime knows, then checks and
# cleans what is left (state dirs, mounts, cgroups, processes) and fails the
# test when anything was.
#
# Environment: REG_RUNC (the runtime under test; REG_TEST_RUNTIME overrides it,
# e.g. to validate the tests against runc), PROBE (the static probe binary,
# default $BUILDDIR/tests/probe), SRCDIR, BUILDDIR.

bats_require_minimum_version 1.5.0

if [ -n "${REG_TEST_RUNTIME:-}" ]; then
  REG_RUNC=$REG_TEST_RUNTIME
fi
: "${REG_RUNC:?REG_RUNC must name the runtime under test}"
PROBE=${PROBE:-${BUILDDIR:-build}/tests/probe}
BUSYBOX=${BUSYBOX:-/bin/busybox}
HELPERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# True when the runtime under test is runc (messages worded differently).
is_runc() {
  case "$(basename "$REG_RUNC")" in
  runc | runc.*) return 0 ;;
  esac
  return 1
}

# Skip a test whose expected message only reg-runc defines.
skip_if_runc() {
  if is_runc; then
    skip "${1:-runc words this differently}"
  fi
}

# The default config.json (what `runc spec` writes), used when the runtime
# under test has no working `spec` yet.
default_spec() {
  cat <<'EOF'
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": true,
    "user": { "uid": 0, "gid": 0 },
    "args": [ "sh" ],
    "env": [ "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm" ],
    "cwd": "/",
    "capabilities": {
      "bounding": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
      "effective": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
      "permitted": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
      "ambient": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ]
    },
    "rlimits": [ { "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 } ],
    "noNewPrivileges": true
  },
  "root": { "path": "rootfs", "readonly": true },
  "hostname": "runc",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
      "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
    { "destination": "/dev/pts", "type": "devpts", "source": "devpts",
      "options": [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" ] },
    { "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
      "options": [ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" ] },
    { "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
      "options": [ "nosuid", "noexec", "nodev" ] },
    { "destination": "/sys", "type": "sysfs", "source": "sysfs",
      "options": [ "nosuid", "noexec", "nodev", "ro" ] },
    { "destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
      "options": [ "nosuid", "noexec", "nodev", "relatime", "ro" ] }
  ],
  "linux": {
    "resources": { "devices": [ { "allow": false, "access": "rwm" } ] },
    "namespaces": [ { "type": "pid" }, { "type": "network" }, { "type": "ipc" },
                    { "type": "uts" }, { "type": "mount" } ],
    "maskedPaths": [ "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
      "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
      "/sys/firmware", "/proc/scsi" ],
    "readonlyPaths": [ "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" ]
  }
}
EOF
}

# A busybox rootfs with the probe, a merged /usr like Debian's.
make_rootfs() {
  local r=$1
  mkdir -p "$r/usr/bin" "$r/usr/sbin" "$r/etc" "$r/tmp" "$r/proc" "$r/sys" "$r/dev" \
    "$r/root" "$r/home/user" "$r/var"
  ln -s usr/bin "$r/bin"
  ln -s usr/sbin "$r/sbin"
  cp "$BUSYBOX" "$r/usr/bin/busybox"
  # --install -s links every applet to the busybox binary's own path
  # (/usr/bin/busybox on Debian), which is where the rootfs has it too.
  "$BUSYBOX" --install -s "$r/usr/bin"
  [ -e "$r/usr/bin/true" ] || ln -s busybox "$r/usr/bin/true"
  cp "$PROBE" "$r/usr/bin/probe"
  chmod 1777 "$r/tmp"
  chown 1000:1000 "$r/home/user"
  cat >"$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$r/etc/group" <<'EOF'
root:x:0:
tty:x:5:
user:x:1000:
extra:x:2000:user
nogroup:x:65534:
EOF
}

# setup_bundle: the per-test bundle, state dir and names.  A test adds the
# pids it starts in the background to BG_PIDS and the mounts it makes itself
# to OWN_MOUNTS; teardown_bundle kills and unmounts them first.
setup_bundle() {
  if [ "$(id -u)" != 0 ]; then
    skip "integration tests run as root"
  fi
  [ -x "$PROBE" ] || {
    echo "probe not built: $PROBE (set PROBE or BUILDDIR)" >&2
    return 1
  }
  [ -x "$BUSYBOX" ] || skip "busybox-static is not installed ($BUSYBOX)"
  TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/reg-itest.XXXXXX")
  BUNDLE=$TEST_DIR/bundle
  ROOTFS=$BUNDLE/rootfs
  TEST_ROOT_STATE=$TEST_DIR/state
  CID=t${BATS_TEST_NUMBER}-$$-$RANDOM
  CG_NAME=reg-itest-$CID
  CGPATH=/$CG_NAME
  BG_PIDS=()
  OWN_MOUNTS=()
  mkdir -p "$ROOTFS" "$TEST_ROOT_STATE"
  make_rootfs "$ROOTFS"
  if ! (cd "$BUNDLE" && "$REG_RUNC" spec >/dev/null 2>&1) || ! jq -e . "$BUNDLE/config.json" >/dev/null 2>&1; then
    default_spec >"$BUNDLE/config.json"
  fi
  update_config '.process.terminal = false
    | .process.args = ["/bin/probe", "pid"]
    | .root.path = "rootfs"
    | .linux.cgroupsPath = $cg' --arg cg "$CGPATH"
}

# update_config JQ-EXPR [JQ-ARGS...]: edit config.json.
update_config() {
  local expr=$1
  shift
  jq "$@" "$expr" "$BUNDLE/config.json" >"$BUNDLE/config.json.new" &&
    mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# set_args ARG...: process.args.
set_args() {
  update_config '.process.args = $a' --argjson a "$(json_array "$@")"
}

# json_array ARG...: the arguments as a JSON array of strings.
json_array() {
  jq -nc '$ARGS.positional' --args -- "$@"
}

# reg_runc ARGS: the runtime with the test's private state dir.
reg_runc() {
  "$REG_RUNC" --root "$TEST_ROOT_STATE" "$@"
}

# run_probe SUBCOMMAND [ARGS]: run the probe as the container's process in
# the foreground; $output is its stdout, $stderr the runtime's and its stderr.
run_probe() {
  set_args /bin/probe "$@"
  run --separate-stderr reg_runc run --bundle "$BUNDLE" "$CID"
}

# run_detached ARGS: run the runtime (create, run -d, ...) with stdio on files:
# a created container keeps them open, so bats' `run` would never see EOF.
# Sets $status and $output (the runtime's stderr); the container's stdout and
# stderr go to $TEST_DIR/ID.out and $TEST_DIR/ID.err (ID = the last argument).
run_detached() {
  local f
  f=$TEST_DIR/$(io_name "${!#}")
  status=0
  "$REG_RUNC" --root "$TEST_ROOT_STATE" "$@" </dev/null >"$f.out" 2>"$f.err" || status=$?
  output=$(cat "$f.err")
}

# io_name ID: a file name for the stdio files of ID (ids under test may be invalid).
io_name() {
  printf '%s' "$1" | tr -c 'A-Za-z0-9_-' '_' | cut -c1-100
}

# ctr_out ID: what the container wrote on stdout.
ctr_out() {
  cat "$TEST_DIR/$(io_name "${1:-$CID}").out"
}

# state_field ID FIELD: one field of `state` (jq path without the dot).
state_field() {
  reg_runc state "$1" 2>/dev/null | jq -r ".$2"
}

# wait_status ID STATUS [SECONDS]: poll `state` until it says STATUS.
wait_status() {
  local id=$1 want=$2 tries=$((${3:-10} * 10)) s=
  while [ $tries -gt 0 ]; do
    s=$(state_field "$id" status)
    [ "$s" = "$want" ] && return 0
    sleep 0.1
    tries=$((tries - 1))
  done
  echo "container $id: status '$s', wanted '$want'" >&2
  return 1
}

# wait_file PATH [SECONDS]: until PATH exists and is not empty.
wait_file() {
  local tries=$((${2:-10} * 10))
  while [ $tries -gt 0 ]; do
    [ -s "$1" ] && return 0
    sleep 0.1
    tries=$((tries - 1))
  done
  echo "timed out waiting for $1" >&2
  return 1
}

# The cgroup directories of the test's containers, one per hierarchy.
leaked_cgroups() {
  local d
  for d in /sys/fs/cgroup/*/"$CG_NAME" /sys/fs/cgroup/*/"$CG_NAME"-* /sys/fs/cgroup/"$CG_NAME"; do
    [ -d "$d" ] && echo "$d"
  done
  return 0
}

# Mount points under the test's directory in the host's mount namespace.
leaked_mounts() {
  awk -v p="$TEST_DIR" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo
}

# What the runtime left behind for ID (or for every container when no ID):
# one line per leaked thing; empty when clean.
find_leaks() {
  local id=${1:-} d
  if [ -n "$id" ]; then
    case "$id" in
    . | .. | */*) ;; # invalid ids: the callers check the whole state dir
    *) [ -e "$TEST_ROOT_STATE/$id" ] && echo "state: $TEST_ROOT_STATE/$id" ;;
    esac
  elif [ -d "$TEST_ROOT_STATE" ]; then
    for d in "$TEST_ROOT_STATE"/*; do
      [ -d "$d" ] && echo "state: $d"
    done
  fi
  leaked_mounts | sed 's/^/mount: /'
  leaked_cgroups | sed 's/^/cgroup: /'
  return 0
}

# assert_nothing_left [ID]: no state dir, mount or cgroup left.
assert_nothing_left() {
  local leaks
  leaks=$(find_leaks "$@")
  if [ -n "$leaks" ]; then
    echo "left behind:" >&2
    echo "$leaks" >&2
    return 1
  fi
}

# container_procs: pids of processes of the test's containers, or of runtime
# processes working for them: in one of the test's cgroups, with the test's
# rootfs as root (same device and inode), or with the test's private state
# dir on their command line (a runtime's forked child before it execs).
# Never matched by program name.
container_procs() {
  local root_id
  root_id=$(stat -L -c %d:%i "$ROOTFS" 2>/dev/null || echo none)
  {
    grep -lFf <(printf '/%s\n' "$CG_NAME") /proc/[0-9]*/cgroup 2>/dev/null
    # the pattern from a file: grep's own command line must not match
    grep -lFf <(printf '%s\n' "$TEST_ROOT_STATE") /proc/[0-9]*/cmdline 2>/dev/null
    stat -L -c '%n %d:%i' /proc/[0-9]*/root 2>/dev/null | awk -v r="$root_id" '$2 == r { print $1 }'
  } | cut -d/ -f3 | grep -vx -e "$$" -e "$BASHPID" | sort -u
  return 0
}

# assert_clean WHAT: no state, mount, cgroup or process of the container left
# (processes get 3 s to finish exiting after the runtime that made them died).
assert_clean() {
  local tries=30 procs
  procs=$(container_procs)
  while [ -n "$procs" ] && [ $tries -gt 0 ]; do
    sleep 0.1
    tries=$((tries - 1))
    procs=$(container_procs)
  done
  if [ -n "$procs" ]; then
    echo "$1: processes left:" >&2
    for p in $procs; do
      echo "  $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" >&2
    done
    return 1
  fi
  if ! assert_nothing_left; then
    echo "($1)" >&2
    return 1
  fi
}

# kill_container_procs: SIGKILL what container_procs finds (teardown: the
# orphans of a killed runtime; found by pid, they are the test's own).
kill_container_procs() {
  local p
  for p in $(container_procs 2>/dev/null); do
    kill -9 "$p" 2>/dev/null || true
  done
}

# copy_with_libs PROG...: each host program and the libraries ldd names, at
# their own paths in $ROOTFS (dynamically linked programs: a closure for REG).
copy_with_libs() {
  local prog f
  for prog in "$@"; do
    for f in "$prog" $(ldd "$prog" | grep -o '/[^ ]*'); do
      mkdir -p "$ROOTFS$(dirname "$f")"
      # the busybox rootfs may have it as a symlink to busybox: replace it
      rm -f "$ROOTFS$f"
      cp -L "$f" "$ROOTFS$f"
    done
  done
}

# Remove what a failed runtime left: kill the processes of the test's cgroups
# (by pid, they are the test's own), unmount, rmdir.
clean_leaks() {
  local d p m tries
  for d in $(leaked_cgroups); do
    for p in $(cat "$d/cgroup.procs" 2>/dev/null); do
      kill -9 "$p" 2>/dev/null || true
    done
  done
  for m in $(leaked_mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  for d in $(leaked_cgroups | sort -r); do
    tries=50
    while ! rmdir "$d" 2>/dev/null && [ $tries -gt 0 ]; do
      sleep 0.1
      tries=$((tries - 1))
    done
  done
}

teardown_bundle() {
  local id leaks p
  [ -n "${TEST_DIR:-}" ] && [ -d "$TEST_DIR" ] || return 0
  for p in "${BG_PIDS[@]}"; do
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  for ((p = ${#OWN_MOUNTS[@]} - 1; p >= 0; p--)); do
    umount -l "${OWN_MOUNTS[p]}" 2>/dev/null || true
  done
  if [ -d "$TEST_ROOT_STATE" ]; then
    for id in $(ls "$TEST_ROOT_STATE"); do
      [ -d "$TEST_ROOT_STATE/$id" ] || continue
      "$REG_RUNC" --root "$TEST_ROOT_STATE" delete --force "$id" </dev/null >/dev/null 2>&1 || true
    done
  fi
  leaks=$(find_leaks)
  clean_leaks
  rm -rf "$TEST_DIR"
  if [ -n "$leaks" ]; then
    echo "teardown: the runtime left behind:" >&2
    echo "$leaks" >&2
    return 1
  fi
}

# assert_line_eq EXPECTED: some line of $output is exactly EXPECTED.
assert_has_line() {
  local l
  for l in "${lines[@]}"; do
    [ "$l" = "$1" ] && return 0
  done
  echo "no line '$1' in output:" >&2
  echo "$output" >&2
  return 1
}

# assert_contains HAYSTACK NEEDLE: a clear message when it fails.
assert_contains() {
  case "$1" in
  *"$2"*) return 0 ;;
  esac
  echo "expected '$2' in:" >&2
  echo "$1" >&2
  return 1
}

# assert_status N: $status is N (prints the output when not).
assert_status() {
  if [ "$status" -ne "$1" ]; then
    echo "status $status, expected $1; output:" >&2
    echo "$output" >&2
    [ -n "${stderr:-}" ] && echo "stderr: $stderr" >&2
    return 1
  fi
}

# value KEY: the value of a key=value line of $output.
value() {
  local l
  for l in "${lines[@]}"; do
    case "$l" in
    "$1="*)
      echo "${l#*=}"
      return 0
      ;;
    esac
  done
  echo "no key '$1' in output: $output" >&2
  return 1
}

# host_ns TYPE: the inode of the host's (the test's) namespace of TYPE.
host_ns() {
  stat -L -c %i "/proc/self/ns/$1"
}

# user_ns: a new user namespace with two uid and two gid ranges; the rootfs
# owned by the mapped root (and the test dir searchable by it).
user_ns() {
  update_config '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000},
                            {"containerID": 1000, "hostID": 201000, "size": 1000}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000},
                            {"containerID": 1000, "hostID": 201000, "size": 1000}]'
  chmod 755 "$TEST_DIR" "$BUNDLE"
  chown -R 100000:100000 "$ROOTFS"
  chown -R 201000:201000 "$ROOTFS/home/user"
}
