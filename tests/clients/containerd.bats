#!/usr/bin/env bats
# End-to-end tests through a private containerd and its runc v2 shim with the
# runtime under test as the shim's binary (ctr --runc-binary "$REG_RUNC"), and
# the runtime handler "reg" of contrib/containerd/config.toml through the CRI
# plugin (cri.bats).

load helpers
bats_require_minimum_version 1.5.0

setup_file () {
  command -v containerd > /dev/null || skip "containerd not installed (contrib/install-client-deps.sh)"
  command -v podman > /dev/null || skip "podman not installed: the images are built with it (contrib/install-client-deps.sh)"
  [ -x "$REG_RUNC" ] || skip "runtime under test not built: $REG_RUNC"
  write_podman_conf
  make_images
  cgroup_dirs_of "$CTR_NS" > "$BATS_FILE_TMPDIR/had-cgroups"
  # The shims' sockets go to /run/containerd/s whatever the state dir is.
  [ -e /run/containerd ] && echo 1 > "$BATS_FILE_TMPDIR/had-run-containerd" || true
  start_containerd
  echo "$CTRD_DIR" > "$BATS_FILE_TMPDIR/ctrd-dir"
  make_images --containerd "$CTRD_DIR/containerd.sock" "$CTR_NS"
}

setup () {
  CTRD_DIR=$(cat "$BATS_FILE_TMPDIR/ctrd-dir")
  RUNC_ROOT=$CTRD_DIR/runc-root
  # The shim runs the runtime with --root ROOT/NAMESPACE.
  RT_ROOT=$RUNC_ROOT/$CTR_NS
}

teardown () {
  ctr_cleanup_namespace "$CTR_NS"
}

teardown_file () {
  if [ ! -s "$BATS_FILE_TMPDIR/ctrd-dir" ]; then return 0; fi
  CTRD_DIR=$(cat "$BATS_FILE_TMPDIR/ctrd-dir")
  stop_containerd
  local d left=()
  for d in $(cgroup_dirs_of "$CTR_NS"); do
    grep -qx "$d" "$BATS_FILE_TMPDIR/had-cgroups" || left+=("$d")
  done
  remove_empty_cgroups "${left[@]}"
  if [ ! -s "$BATS_FILE_TMPDIR/had-run-containerd" ] && [ -d /run/containerd ]; then
    # only empty directories: anything else belongs to someone
    find /run/containerd -depth -type d -empty -delete 2>/dev/null || true
  fi
}

# ctr run through the runc v2 shim with the runtime under test and a private
# runtime --root.
ctr_run () {
  ctr_ run --fifo-dir "$CTRD_DIR/fifo" --runtime io.containerd.runc.v2 --runc-binary "$REG_RUNC" --runc-root "$RUNC_ROOT" "$@"
}

# The status and pid of a task ("RUNNING", "PAUSED", "STOPPED").
task_status () { ctr_ tasks ls | awk -v id="$1" '$1 == id {print $3}'; }
task_is () { [ "$(task_status "$1")" = "$2" ]; }
task_pid () { ctr_ tasks ls | awk -v id="$1" '$1 == id {print $2}'; }

wait_until () {
  local n=$(($1 * 10)); shift
  while [ $n -gt 0 ]; do
    "$@" && return 0
    sleep 0.1
    n=$((n - 1))
  done
  return 1
}

@test "containerd: ctr run --rm runs the container through the runtime under test" {
  run ctr_run --rm "$BUSYBOX_IMAGE" regt-run sh -c 'echo hello; readlink /proc/self/ns/pid; echo $$'
  [ "$status" -eq 0 ] || fail "ctr run"
  [ "$(echo "$output" | sed -n 1p)" = hello ] || fail "output"
  [ "$(echo "$output" | sed -n 2p)" != "$(readlink /proc/self/ns/pid)" ] || fail "in the host's pid namespace"
  [ "$(echo "$output" | sed -n 3p)" = 1 ] || fail "the command is not PID 1"
  # --rm: gone from containerd and from the runtime's root
  [ -z "$(ctr_ containers ls -q)" ] || fail "container left behind"
  [ ! -e "$RT_ROOT/regt-run" ] || fail "runtime state left behind"
}

@test "containerd: the Debian image runs" {
  run ctr_run --rm "$DEBIAN_IMAGE" regt-deb cat /etc/os-release
  [ "$status" -eq 0 ] || fail "ctr run"
  [[ "$output" == *VERSION_CODENAME=bookworm* ]] || fail "not bookworm"
}

@test "containerd: a container whose init exits non-zero gives its status" {
  run -3 ctr_run --rm "$BUSYBOX_IMAGE" regt-exit sh -c 'exit 3'
}

@test "containerd: run -d, the task runs under the runtime's --root, kill and delete" {
  run ctr_run -d "$BUSYBOX_IMAGE" regt-d sh -c 'trap "exit 4" TERM; while :; do sleep 0.1; done'
  [ "$status" -eq 0 ] || fail "ctr run -d"
  [ "$(task_status regt-d)" = RUNNING ] || fail "not running"
  [ -d "$RT_ROOT/regt-d" ] || fail "no state in the runtime's root: not run by $REG_RUNC"
  local pid
  pid=$(task_pid regt-d)
  kill -0 "$pid"
  run ctr_ tasks kill -s SIGTERM regt-d
  [ "$status" -eq 0 ] || fail "kill"
  wait_until 20 task_is regt-d STOPPED || fail "not stopped"
  run ctr_ tasks delete regt-d
  [ "$status" -eq 0 ] || fail "task delete"
  [[ "$output" == *"exit code 4"* ]] || fail "exit status not 4"
  ! kill -0 "$pid" 2>/dev/null || fail "process still alive"
  [ ! -e "$RT_ROOT/regt-d" ] || fail "runtime state left after delete"
  run ctr_ containers delete regt-d
  [ "$status" -eq 0 ]
}

@test "containerd: kill -a SIGKILL stops a task that ignores SIGTERM" {
  ctr_run -d "$BUSYBOX_IMAGE" regt-k sh -c 'trap "" TERM; while :; do sleep 0.1; done'
  ctr_ tasks kill -s SIGTERM regt-k
  sleep 0.5
  [ "$(task_status regt-k)" = RUNNING ] || fail "SIGTERM not ignored"
  ctr_ tasks kill -a -s SIGKILL regt-k
  wait_until 20 task_is regt-k STOPPED || fail "not stopped"
  run ctr_ tasks delete regt-k
  [[ "$output" == *"exit code 137"* ]] || fail "exit status"
}

@test "containerd: ctr task exec, with its exit status" {
  ctr_run -d "$BUSYBOX_IMAGE" regt-exec sh -c 'echo marker-1 > /tmp/m; exec sleep 1000'
  local pid
  pid=$(task_pid regt-exec)
  wait_until 20 test -s "/proc/$pid/root/tmp/m"
  run ctr_ tasks exec --exec-id e1 regt-exec cat /tmp/m
  [ "$status" -eq 0 ] || fail "exec"
  [ "$output" = marker-1 ] || fail "output"
  run ctr_ tasks exec --exec-id e2 regt-exec readlink /proc/self/ns/mnt
  [ "$output" = "$(readlink /proc/$pid/ns/mnt)" ] || fail "exec not in the container's mount ns"
  run -5 ctr_ tasks exec --exec-id e3 regt-exec sh -c 'exit 5'
}

@test "containerd: ctr task exec --tty" {
  ctr_run -d "$BUSYBOX_IMAGE" regt-exec-t sleep 1000
  run timeout "$CMD_TIMEOUT" script -qec "ctr --address '$CTRD_DIR/containerd.sock' -n $CTR_NS tasks exec -t --exec-id et regt-exec-t tty" /dev/null
  [ "$status" -eq 0 ] || fail "exec -t"
  [[ "$output" == */dev/pts/* ]] || fail "no terminal"
}

@test "containerd: ctr run --tty" {
  run timeout "$CMD_TIMEOUT" script -qec "ctr --address '$CTRD_DIR/containerd.sock' -n $CTR_NS run --rm -t --fifo-dir '$CTRD_DIR/fifo' --runtime io.containerd.runc.v2 --runc-binary '$REG_RUNC' --runc-root '$RUNC_ROOT' '$BUSYBOX_IMAGE' regt-tty sh -c 'test -t 0 && tty'" /dev/null
  [ "$status" -eq 0 ] || fail "run -t"
  [[ "$output" == */dev/pts/0* ]] || fail "no terminal"
}

@test "containerd: pause and resume" {
  # renamed into place: a read never meets /tmp/c truncated and not yet written
  ctr_run -d "$BUSYBOX_IMAGE" regt-p sh -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/c.new; mv /tmp/c.new /tmp/c; sleep 0.05; done'
  local pid a b
  pid=$(task_pid regt-p)
  wait_until 20 test -s "/proc/$pid/root/tmp/c"
  run ctr_ tasks pause regt-p
  [ "$status" -eq 0 ] || fail "pause"
  [ "$(task_status regt-p)" = PAUSED ] || fail "not paused"
  sleep 0.2
  a=$(cat "/proc/$pid/root/tmp/c")
  sleep 0.5
  b=$(cat "/proc/$pid/root/tmp/c")
  [ "$a" = "$b" ] || fail "counter moved while paused"
  run ctr_ tasks resume regt-p
  [ "$status" -eq 0 ] || fail "resume"
  [ "$(task_status regt-p)" = RUNNING ]
  sleep 0.5
  [ "$(cat "/proc/$pid/root/tmp/c")" -gt "$a" ] || fail "counter did not move after resume"
}

@test "containerd: ctr task ps lists the container's processes" {
  ctr_run -d "$BUSYBOX_IMAGE" regt-ps sh -c 'sleep 1000 & wait'
  local pid
  pid=$(task_pid regt-ps)
  wait_until 20 pgrep -P "$pid" > /dev/null
  run ctr_ tasks ps regt-ps
  [ "$status" -eq 0 ] || fail "ps"
  [[ "$output" == *"$pid"* ]] || fail "init not listed"
  [[ "$output" == *"$(pgrep -P "$pid")"* ]] || fail "child not listed"
}

@test "containerd: ctr task metrics reports memory" {
  ctr_run -d "$BUSYBOX_IMAGE" regt-m sleep 1000
  run ctr_ tasks metrics regt-m
  [ "$status" -eq 0 ] || fail "metrics"
  [[ "$output" =~ memory\.usage_in_bytes\ +[1-9][0-9]* || "$output" =~ memory\.usage\ +[1-9] ]] || fail "no memory usage"
}

@test "containerd: --memory-limit is the limit seen inside" {
  # ctr's default spec has no /sys/fs/cgroup: mount it, as Docker and CRI do.
  run ctr_run --rm --memory-limit 67108864 --mount type=cgroup,src=cgroup,dst=/sys/fs/cgroup,options=ro:nosuid:noexec:nodev "$BUSYBOX_IMAGE" regt-mem sh -c "$(cg_path_script memory memory.limit_in_bytes memory.max)"
  [ "$status" -eq 0 ] || fail "run"
  [ "$output" = 67108864 ] || fail "limit: $output"
}
