#!/usr/bin/env bats
# Lifecycle subcommands: create, start, run, state, kill, delete, list, and
# their flags; global --root/--log/--log-format.

load helpers

setup() {
  setup_bundle
}

teardown() {
  teardown_bundle
}

@test "create: state is created, the pid file holds the waiting init's host pid" {
  run_detached create --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid" "$CID"
  assert_status 0
  [ "$(state_field "$CID" status)" = created ]
  pid=$(cat "$TEST_DIR/pid")
  [ "$pid" -gt 1 ]
  [ "$(state_field "$CID" pid)" = "$pid" ]
  [ -d "/proc/$pid" ]
  # The init is in its own pid namespace already, and has not exec'd yet:
  # nothing was written to its stdout.
  [ "$(stat -L -c %i "/proc/$pid/ns/pid")" != "$(host_ns pid)" ]
  [ ! -s "$TEST_DIR/$CID.out" ]
}

@test "state: runtime-spec fields and runc's extra ones" {
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_status 0
  run --separate-stderr reg_runc state "$CID"
  assert_status 0
  [ "$(jq -r .id <<<"$output")" = "$CID" ]
  [ "$(jq -r .status <<<"$output")" = created ]
  [ "$(jq -r .bundle <<<"$output")" = "$BUNDLE" ]
  [ "$(jq -r .rootfs <<<"$output")" = "$ROOTFS" ]
  [ -n "$(jq -r .ociVersion <<<"$output")" ]
  [ "$(jq -r '.pid | type' <<<"$output")" = number ]
  created=$(jq -r .created <<<"$output")
  # RFC 3339, within the last minute.
  t=$(date -d "$created" +%s)
  now=$(date +%s)
  [ $((now - t)) -ge 0 ]
  [ $((now - t)) -lt 60 ]
  [ "$(jq -r '.owner | type' <<<"$output")" = string ]
}

@test "start: the process execs and the state turns running" {
  set_args /bin/sh -c 'echo started; exec /bin/probe sleep 100'
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_status 0
  run reg_runc start "$CID"
  assert_status 0
  [ "$(state_field "$CID" status)" = running ]
  wait_file "$TEST_DIR/$CID.out"
  [ "$(ctr_out)" = started ]
}

@test "create + start: the process runs as pid 1 and its stdout is the caller's" {
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_status 0
  run reg_runc start "$CID"
  assert_status 0
  wait_status "$CID" stopped
  [ "$(ctr_out)" = 1 ]
}

@test "kill: running -> stopped, then delete removes everything" {
  set_args /bin/probe sleep 100
  run_detached create --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid" "$CID"
  assert_status 0
  run reg_runc start "$CID"
  assert_status 0
  run reg_runc kill "$CID" KILL
  assert_status 0
  wait_status "$CID" stopped
  run reg_runc delete "$CID"
  assert_status 0
  run reg_runc state "$CID"
  [ "$status" -ne 0 ]
  assert_nothing_left "$CID"
}

@test "kill: default signal is TERM" {
  set_args /bin/probe wait-signal
  run_detached run --detach --bundle "$BUNDLE" "$CID"
  assert_status 0
  wait_file "$TEST_DIR/$CID.out"
  run reg_runc kill "$CID"
  assert_status 0
  wait_status "$CID" stopped
  [ "$(tail -n1 "$TEST_DIR/$CID.out")" = "signal=15" ]
}

@test "kill: signal by name without SIG" {
  set_args /bin/probe wait-signal
  run_detached run --detach --bundle "$BUNDLE" "$CID"
  assert_status 0
  wait_file "$TEST_DIR/$CID.out"
  run reg_runc kill "$CID" USR1
  assert_status 0
  wait_status "$CID" stopped
  [ "$(tail -n1 "$TEST_DIR/$CID.out")" = "signal=10" ]
}

@test "kill: signal by SIG name" {
  set_args /bin/probe wait-signal
  run_detached run --detach --bundle "$BUNDLE" "$CID"
  assert_status 0
  wait_file "$TEST_DIR/$CID.out"
  run reg_runc kill "$CID" SIGHUP
  assert_status 0
  wait_status "$CID" stopped
  [ "$(tail -n1 "$TEST_DIR/$CID.out")" = "signal=1" ]
}

@test "kill: signal by number" {
  set_args /bin/probe wait-signal
  run_detached run --detach --bundle "$BUNDLE" "$CID"
  assert_status 0
  wait_file "$TEST_DIR/$CID.out"
  run reg_runc kill "$CID" 12
  assert_status 0
  wait_status "$CID" stopped
  [ "$(tail -n1 "$TEST_DIR/$CID.out")" = "signal=12" ]
}

@test "kill: an unknown signal fails and the container keeps running" {
  set_args /bin/probe sleep 100
  run_detached run --detach --bundle "$BUNDLE" "$CID"
  assert_status 0
  run reg_runc kill "$CID" SIGNOPE
  [ "$status" -ne 0 ]
  [ "$(state_field "$CID" status)" = running ]
}

@test "kill --all: every process of the container's cgroup gets the signal" {
  set_args /bin/sh -c '/bin/probe sleep 100 & /bin/probe sleep 100 & echo up; wait'
  run_detached run --detach --bundle "$BUNDLE" "$CID"
  assert_status 0
  wait_file "$TEST_DIR/$CID.out"
  procs=$(cat /sys/fs/cgroup/memory/"$CG_NAME"/cgroup.procs 2>/dev/null || cat /sys/fs/cgroup/pids/"$CG_NAME"/cgroup.procs)
  [ "$(wc -w <<<"$procs")" -eq 3 ]
  run reg_runc kill --all "$CID" KILL
  assert_status 0
  wait_status "$CID" stopped
  for p in $procs; do
    # Dead: gone, or a zombie waiting for a parent that does not reap.
    if [ -e "/proc/$p/stat" ]; then
      [ "$(awk '{print $3}' "/proc/$p/stat")" = Z ]
    fi
  done
}

@test "kill: a stopped container says container not running" {
  set_args /bin/probe exit 0
  run_detached run --detach --bundle "$BUNDLE" "$CID"
  assert_status 0
  wait_status "$CID" stopped
  run reg_runc kill "$CID" KILL
  [ "$status" -ne 0 ]
  assert_contains "$output" "container not running"
}

@test "kill --all: a stopped container whose cgroup is empty exits 0 (as runc; containerd sends it at every stop)" {
  set_args /bin/probe exit 0
  run_detached run --detach --bundle "$BUNDLE" "$CID"
  assert_status 0
  wait_status "$CID" stopped
  [ -z "$(cat /sys/fs/cgroup/pids/"$CG_NAME"/cgroup.procs 2>/dev/null)" ]
  run reg_runc kill --all "$CID" KILL
  assert_status 0
  [ -z "$output" ]
  run reg_runc kill --all "$CID"
  assert_status 0
  [ "$(state_field "$CID" status)" = stopped ]
  # Its cgroup removed behind the runtime's back: still nothing to signal.
  for d in $(leaked_cgroups); do rmdir "$d"; done
  run reg_runc kill --all "$CID" KILL
  assert_status 0
  run reg_runc delete "$CID"
  assert_status 0
  assert_nothing_left "$CID"
}

@test "run: exits with the container's exit status and removes it" {
  run_probe exit 7
  assert_status 7
  run reg_runc state "$CID"
  [ "$status" -ne 0 ]
  assert_nothing_left "$CID"
}

@test "run: exit status 0 and the process's stdout" {
  run_probe pid
  assert_status 0
  [ "$output" = 1 ]
}

@test "run: a killed container exits 128+signal" {
  set_args /bin/probe sleep 100
  reg_runc run --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/out" 2>&1 &
  rpid=$!
  BG_PIDS+=("$rpid")
  wait_status "$CID" running
  run reg_runc kill "$CID" KILL
  assert_status 0
  rc=0
  wait "$rpid" || rc=$?
  [ "$rc" -eq 137 ]
  run reg_runc state "$CID"
  [ "$status" -ne 0 ]
}

@test "run --detach: returns at once, the container runs" {
  set_args /bin/probe sleep 100
  run_detached run --detach --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid" "$CID"
  assert_status 0
  [ "$(state_field "$CID" status)" = running ]
  [ "$(cat "$TEST_DIR/pid")" = "$(state_field "$CID" pid)" ]
  run reg_runc delete --force "$CID"
  assert_status 0
  assert_nothing_left "$CID"
}

@test "run --keep: the stopped container stays until delete" {
  set_args /bin/probe exit 3
  run reg_runc run --keep --bundle "$BUNDLE" "$CID"
  assert_status 3
  [ "$(state_field "$CID" status)" = stopped ]
  run reg_runc delete "$CID"
  assert_status 0
  assert_nothing_left "$CID"
}

@test "run --pid-file: the file holds the init's host pid" {
  set_args /bin/probe sleep 100
  reg_runc run --pid-file "$TEST_DIR/pid" --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/out" 2>&1 &
  BG_PIDS+=("$!")
  wait_status "$CID" running
  [ "$(cat "$TEST_DIR/pid")" = "$(state_field "$CID" pid)" ]
  [ -d "/proc/$(cat "$TEST_DIR/pid")" ]
}

@test "run --no-pivot: the container runs (chroot instead of pivot_root)" {
  set_args /bin/probe cwd
  run --separate-stderr reg_runc run --no-pivot --bundle "$BUNDLE" "$CID"
  assert_status 0
  [ "$output" = / ]
}

@test "run --preserve-fds: extra fds reach the process" {
  echo hello >"$TEST_DIR/extra"
  set_args /bin/probe fds
  run --separate-stderr reg_runc run --preserve-fds 1 --bundle "$BUNDLE" "$CID" 3<"$TEST_DIR/extra"
  assert_status 0
  # The fd is inherited (not reopened): its target is the host path.
  assert_has_line "3=$TEST_DIR/extra"
}

@test "run: no fd of the runtime leaks into the container" {
  set_args /bin/probe fds
  run --separate-stderr reg_runc run --bundle "$BUNDLE" "$CID" </dev/null
  assert_status 0
  [ "${#lines[@]}" -eq 3 ]
  [[ "${lines[0]}" == 0=* ]]
  [[ "${lines[1]}" == 1=* ]]
  [[ "${lines[2]}" == 2=* ]]
}

@test "run: a new session keyring; --no-new-keyring keeps the caller's" {
  host_id=$("$ROOTFS/bin/probe" keyring | sed -n 's/^id=//p')
  run_probe keyring
  assert_status 0
  id=$(value id)
  [ -n "$id" ]
  [ "$id" != "$host_id" ]
  run --separate-stderr reg_runc run --no-new-keyring --bundle "$BUNDLE" "$CID"
  assert_status 0
  [ "$(value id)" = "$host_id" ]
}

@test "start: a running container cannot be started again" {
  set_args /bin/probe sleep 100
  run_detached create --bundle "$BUNDLE" "$CID"
  run reg_runc start "$CID"
  assert_status 0
  run reg_runc start "$CID"
  [ "$status" -ne 0 ]
  [ "$(state_field "$CID" status)" = running ]
}

@test "start: a stopped container cannot be started" {
  set_args /bin/probe exit 0
  run_detached run --detach --bundle "$BUNDLE" "$CID"
  assert_status 0
  wait_status "$CID" stopped
  run reg_runc start "$CID"
  [ "$status" -ne 0 ]
  [ "$(state_field "$CID" status)" = stopped ]
}

@test "create: an existing id fails and the first container is untouched" {
  set_args /bin/probe sleep 100
  run_detached create --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid" "$CID"
  assert_status 0
  pid=$(cat "$TEST_DIR/pid")
  run_detached create --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid2" "$CID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "exists"
  [ "$(state_field "$CID" status)" = created ]
  [ "$(state_field "$CID" pid)" = "$pid" ]
  run reg_runc start "$CID"
  assert_status 0
  [ "$(state_field "$CID" status)" = running ]
}

@test "delete: a running container without --force fails and keeps running" {
  set_args /bin/probe sleep 100
  run_detached run --detach --bundle "$BUNDLE" "$CID"
  assert_status 0
  run reg_runc delete "$CID"
  [ "$status" -ne 0 ]
  [ "$(state_field "$CID" status)" = running ]
}

@test "delete --force: kills a running container and removes everything" {
  set_args /bin/probe sleep 100
  run_detached run --detach --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid" "$CID"
  assert_status 0
  pid=$(cat "$TEST_DIR/pid")
  run reg_runc delete --force "$CID"
  assert_status 0
  if [ -e "/proc/$pid/stat" ]; then
    [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
  fi
  assert_nothing_left "$CID"
}

@test "delete: a created container is removed (runtime-spec)" {
  run_detached create --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid" "$CID"
  assert_status 0
  pid=$(cat "$TEST_DIR/pid")
  run reg_runc delete "$CID"
  assert_status 0
  if [ -e "/proc/$pid/stat" ]; then
    [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
  fi
  assert_nothing_left "$CID"
}

@test "state of a missing container: does not exist, exit 1" {
  run --separate-stderr reg_runc state nosuch
  assert_status 1
  assert_contains "$stderr" "does not exist"
  [ -z "$output" ]
}

@test "state of a missing container: the exact message Podman matches" {
  skip_if_runc "runc says 'container does not exist' without the id"
  run --separate-stderr reg_runc state nosuch
  assert_status 1
  [ "$stderr" = 'container "nosuch" does not exist' ] || assert_contains "$stderr" 'container "nosuch" does not exist'
}

@test "kill of a missing container: does not exist" {
  run reg_runc kill nosuch KILL
  [ "$status" -ne 0 ]
  assert_contains "$output" "does not exist"
}

@test "delete of a missing container: does not exist" {
  run reg_runc delete nosuch
  [ "$status" -ne 0 ]
  assert_contains "$output" "does not exist"
}

@test "start of a missing container: does not exist" {
  run reg_runc start nosuch
  [ "$status" -ne 0 ]
  assert_contains "$output" "does not exist"
}

@test "list -q: the ids, one per line" {
  set_args /bin/probe sleep 100
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_status 0
  run_detached run --detach --bundle "$BUNDLE" "$CID-b"
  assert_status 0
  run --separate-stderr reg_runc list -q
  assert_status 0
  [ "$(sort <<<"$output")" = "$(printf '%s\n%s\n' "$CID" "$CID-b" | sort)" ]
  reg_runc delete --force "$CID-b"
}

@test "list --format json: id, status, pid, bundle of each" {
  set_args /bin/probe sleep 100
  run_detached create --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid" "$CID"
  assert_status 0
  run --separate-stderr reg_runc list --format json
  assert_status 0
  [ "$(jq length <<<"$output")" -eq 1 ]
  [ "$(jq -r '.[0].id' <<<"$output")" = "$CID" ]
  [ "$(jq -r '.[0].status' <<<"$output")" = created ]
  [ "$(jq -r '.[0].pid' <<<"$output")" = "$(cat "$TEST_DIR/pid")" ]
  [ "$(jq -r '.[0].bundle' <<<"$output")" = "$BUNDLE" ]
}

@test "list: a table with a header and one row per container" {
  set_args /bin/probe sleep 100
  run_detached create --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid" "$CID"
  assert_status 0
  run --separate-stderr reg_runc list
  assert_status 0
  [ "${#lines[@]}" -eq 2 ]
  read -r -a head <<<"${lines[0]}"
  [ "${head[0]}" = ID ]
  [ "${head[1]}" = PID ]
  [ "${head[2]}" = STATUS ]
  [ "${head[3]}" = BUNDLE ]
  read -r -a row <<<"${lines[1]}"
  [ "${row[0]}" = "$CID" ]
  [ "${row[1]}" = "$(cat "$TEST_DIR/pid")" ]
  [ "${row[2]}" = created ]
  [ "${row[3]}" = "$BUNDLE" ]
}

@test "list: an empty state dir lists nothing" {
  run --separate-stderr reg_runc list -q
  assert_status 0
  [ -z "$output" ]
}

@test "--log --log-format json: an error is one JSON line with level, msg, time" {
  run reg_runc --log "$TEST_DIR/log.json" --log-format json state nosuch
  [ "$status" -ne 0 ]
  [ -s "$TEST_DIR/log.json" ]
  # Every line is a JSON object with the three keys.
  while read -r l; do
    [ "$(jq -r '[has("level"), has("msg"), has("time")] | all' <<<"$l")" = true ]
  done <"$TEST_DIR/log.json"
  err=$(jq -r 'select(.level == "error") | .msg' "$TEST_DIR/log.json")
  assert_contains "$err" "does not exist"
}

@test "--log text: the error is written to the log file" {
  run reg_runc --log "$TEST_DIR/log.txt" state nosuch
  [ "$status" -ne 0 ]
  assert_contains "$(cat "$TEST_DIR/log.txt")" "does not exist"
}

@test "default --root under XDG_RUNTIME_DIR" {
  skip_if_runc "runc as root ignores XDG_RUNTIME_DIR"
  mkdir -p "$TEST_DIR/xdg"
  XDG_RUNTIME_DIR=$TEST_DIR/xdg "$REG_RUNC" create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
  found=no
  [ -d "$TEST_DIR/xdg/reg-runc/$CID" ] && found=yes
  XDG_RUNTIME_DIR=$TEST_DIR/xdg "$REG_RUNC" delete --force "$CID"
  [ "$found" = yes ]
  [ ! -e "$TEST_DIR/xdg/reg-runc/$CID" ]
  assert_nothing_left "$CID"
}
