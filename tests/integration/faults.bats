#!/usr/bin/env bats
# Faults and concurrency: reg-runc killed with SIGKILL at
# increasing delays into create and delete (plain and with REG share), and
# one container id driven by several runtime processes at once.  After each
# fault `delete --force` succeeds (or the container does not exist) and
# nothing is left: no state dir, no mount under the test dir, no cgroup, no
# process of the container; then a normal lifecycle of the same id works.

load helpers

# Delays (ms) after which the runtime is killed: from "before it did
# anything" to "it is done" (a create takes some tens of ms).
DELAYS_MS=(0 1 2 3 4 5 6 8 10 12 15 20 30 50)

setup() {
  setup_bundle
}

teardown() {
  kill_container_procs
  if [ -n "${STORE:-}" ]; then
    grep -F " $TEST_DIR/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do
      umount -l "$m" 2>/dev/null || true
    done
  fi
  teardown_bundle
}

rt() {
  if [ -n "${STORE:-}" ]; then
    "$REG_RUNC" --root "$TEST_ROOT_STATE" --reg-root "$STORE" "$@"
  else
    "$REG_RUNC" --root "$TEST_ROOT_STATE" "$@"
  fi
}

# rtx ARGS: rt, replacing the shell: run in the background (`rtx ... &`), $!
# is the runtime itself, so a kill -9 of $! kills reg-runc and not a
# subshell that would leave the runtime running on.
rtx() {
  if [ -n "${STORE:-}" ]; then
    exec "$REG_RUNC" --root "$TEST_ROOT_STATE" --reg-root "$STORE" "$@"
  else
    exec "$REG_RUNC" --root "$TEST_ROOT_STATE" "$@"
  fi
}

# sleep_ms N
sleep_ms() {
  sleep "$(printf '0.%03d' "$1")"
}

# force_delete WHAT: `delete --force` succeeds or says the container does not exist.
force_delete() {
  local out st=0
  out=$(rt delete --force "$CID" </dev/null 2>&1) || st=$?
  if [ $st -ne 0 ] && [[ $out != *"does not exist"* ]]; then
    echo "$1: delete --force failed ($st): $out" >&2
    return 1
  fi
}

# lifecycle WHAT: create, start, state running, kill, delete of $CID works.
lifecycle() {
  local st=0 out
  rt create --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/lc.out" 2>"$TEST_DIR/lc.err" || st=$?
  if [ $st -ne 0 ]; then
    echo "$1: create failed ($st): $(cat "$TEST_DIR/lc.err")" >&2
    return 1
  fi
  out=$(rt start "$CID" 2>&1) || { echo "$1: start: $out" >&2; return 1; }
  [ "$(rt state "$CID" 2>/dev/null | jq -r .status)" = running ] ||
    { echo "$1: not running after start" >&2; return 1; }
  out=$(rt delete --force "$CID" 2>&1) || { echo "$1: delete: $out" >&2; return 1; }
  assert_clean "$1: after the lifecycle"
}

# killed_create DELAY_MS: start create, SIGKILL it after DELAY_MS.
killed_create() {
  local pid
  rtx create --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/kc.out" 2>"$TEST_DIR/kc.err" &
  pid=$!
  sleep_ms "$1"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

@test "faults: create killed with SIGKILL at increasing delays, delete --force cleans up, the id is reusable" {
  set_args /bin/probe sleep 100
  local d
  for d in "${DELAYS_MS[@]}"; do
    killed_create "$d"
    force_delete "create killed after ${d} ms"
    assert_clean "create killed after ${d} ms"
    lifecycle "after create killed at ${d} ms"
  done
}

@test "faults: no mount namespace: create killed at increasing delays, delete --force leaves no mount on the host" {
  update_config '.linux.namespaces |= map(select(.type != "mount"))'
  set_args /bin/probe sleep 100
  local d
  for d in "${DELAYS_MS[@]}"; do
    killed_create "$d"
    force_delete "create killed after ${d} ms"
    assert_clean "create killed after ${d} ms"
  done
  lifecycle "no mount namespace"
}

# The window the delays above rarely hit, held open: the runtime stops just
# after it attached the root on the host (REG_TEST_PAUSE_DIR, the first
# mount it attaches) and is killed there, before it recorded the mount's id.
@test "faults: no mount namespace: create killed right after it attached the root, delete --force takes the root away" {
  update_config '.linux.namespaces |= map(select(.type != "mount"))'
  set_args /bin/probe sleep 100
  local dir=$TEST_DIR/pause pid
  mkdir -p "$dir"
  (
    export REG_TEST_PAUSE_DIR=$dir
    rtx create --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/kc.out" 2>"$TEST_DIR/kc.err"
  ) &
  pid=$!
  wait_file "$dir/0" 10
  grep -qF " $ROOTFS " /proc/self/mountinfo ||
    { echo "the root is not mounted at the pause: $(cat "$dir/0")" >&2; return 1; }
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  force_delete "create killed after it attached the root"
  assert_clean "create killed after it attached the root"
  lifecycle "after create killed after it attached the root"
}

@test "faults: a killed create never leaves a container that start runs half set up" {
  set_args /bin/sh -c 'echo ran; exec /bin/probe sleep 100'
  local d s st
  for d in "${DELAYS_MS[@]}"; do
    killed_create "$d"
    s=$(rt state "$CID" 2>/dev/null | jq -r .status 2>/dev/null || true)
    st=0
    rt start "$CID" >/dev/null 2>&1 || st=$?
    if [ $st -eq 0 ]; then
      # start accepted it: the container must really run its process
      wait_file "$TEST_DIR/kc.out" 5 || { echo "start after create killed at $d ms (state '$s') ran nothing" >&2; return 1; }
      [ "$(cat "$TEST_DIR/kc.out")" = ran ]
    fi
    force_delete "create killed after ${d} ms, then start"
    assert_clean "create killed after ${d} ms, then start"
  done
}

@test "faults: delete killed with SIGKILL at increasing delays, delete --force cleans up" {
  set_args /bin/probe sleep 100
  local d pid i=0 out
  for d in "${DELAYS_MS[@]}"; do
    rt create --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/c.out" 2>"$TEST_DIR/c.err" ||
      { echo "create (round $d): $(cat "$TEST_DIR/c.err")" >&2; return 1; }
    out=$(rt start "$CID" 2>&1) || { echo "start: $out" >&2; return 1; }
    if [ $((i % 2)) -eq 0 ]; then
      # delete --force of a running container, killed mid-way
      rtx delete --force "$CID" </dev/null >/dev/null 2>&1 &
    else
      # plain delete of a stopped container, killed mid-way
      rt kill "$CID" KILL
      wait_status "$CID" stopped
      rtx delete "$CID" </dev/null >/dev/null 2>&1 &
    fi
    pid=$!
    sleep_ms "$d"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    force_delete "delete killed after ${d} ms"
    assert_clean "delete killed after ${d} ms"
    i=$((i + 1))
  done
  lifecycle "after the killed deletes"
}

# A rootfs with the host's /usr/bin/sleep and the libraries ldd names (REG
# share needs a dynamically linked program), and a private store.
setup_reg_share() {
  STORE=$TEST_DIR/store
  rm -rf "$ROOTFS"
  mkdir -p "$ROOTFS/proc" "$ROOTFS/dev" "$ROOTFS/sys" "$ROOTFS/tmp"
  copy_with_libs /usr/bin/sleep
  update_config '.process.args = ["/usr/bin/sleep", "100"]
    | .root.readonly = false
    | .annotations["run.reg.mode"] = "share"'
}

# store_ok WHAT: `reg check` finds the store clean.
store_ok() {
  local out st=0
  out=$(rt reg check 2>&1) || st=$?
  if [ $st -ne 0 ]; then
    echo "$1: reg check ($st): $out" >&2
    return 1
  fi
}

@test "faults: create with REG share killed at increasing delays, the store stays clean, the next create works" {
  setup_reg_share
  # Learn how long a share create takes on a cold store, so the delays cover it.
  local d st=0
  rt create --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/c.out" 2>"$TEST_DIR/c.err" || st=$?
  [ $st -eq 0 ] || { echo "share create: $(cat "$TEST_DIR/c.err")" >&2; return 1; }
  rt delete --force "$CID"
  assert_clean "first share create"
  store_ok "first share create"
  for d in "${DELAYS_MS[@]}"; do
    # a cold store each second round: the kill then lands in the store writes
    if [ $((d % 2)) -eq 0 ]; then
      rm -rf "$STORE"
    fi
    killed_create "$d"
    force_delete "share create killed after ${d} ms"
    assert_clean "share create killed after ${d} ms"
    store_ok "share create killed after ${d} ms"
    lifecycle "share, after create killed at ${d} ms"
    store_ok "share lifecycle after the kill at ${d} ms"
  done
}

@test "concurrency: the same id created twice at once, exactly one wins" {
  set_args /bin/probe sleep 100
  local round s1 s2 e1 e2 out
  for round in 1 2 3 4 5 6 7 8; do
    rt create --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/a.out" 2>"$TEST_DIR/a.err" &
    p1=$!
    rt create --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/b.out" 2>"$TEST_DIR/b.err" &
    p2=$!
    s1=0 s2=0
    wait "$p1" || s1=$?
    wait "$p2" || s2=$?
    e1=$(cat "$TEST_DIR/a.err")
    e2=$(cat "$TEST_DIR/b.err")
    if [ $s1 -eq 0 ] && [ $s2 -ne 0 ]; then
      assert_contains "$e2" "already exists"
    elif [ $s2 -eq 0 ] && [ $s1 -ne 0 ]; then
      assert_contains "$e1" "already exists"
    else
      echo "round $round: statuses $s1 and $s2: '$e1' / '$e2'" >&2
      return 1
    fi
    # the winner is a whole container
    [ "$(state_field "$CID" status)" = created ]
    out=$(rt start "$CID" 2>&1) || { echo "start: $out" >&2; return 1; }
    [ "$(state_field "$CID" status)" = running ]
    rt delete --force "$CID"
    assert_clean "round $round"
  done
}

@test "concurrency: create/delete/state/kill/start of one id at once never leave a half container" {
  set_args /bin/probe sleep 100
  local round pids p s pid out
  for round in $(seq 10); do
    pids=()
    rt create --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/c1.out" 2>&1 &
    pids+=($!)
    # a second create a moment later: at most one of the two may win
    (sleep_ms $((round % 4)) && rt create --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/c2.out" 2>&1) &
    pids+=($!)
    (sleep_ms $((round * 3)) && rt delete --force "$CID") </dev/null >/dev/null 2>&1 &
    pids+=($!)
    (sleep_ms $((round * 2)) && rt start "$CID") </dev/null >/dev/null 2>&1 &
    pids+=($!)
    (sleep_ms $((round)) && rt kill "$CID" KILL) </dev/null >/dev/null 2>&1 &
    pids+=($!)
    for p in 1 2 3; do
      (sleep_ms $((p * round)) && rt state "$CID") </dev/null >/dev/null 2>&1 &
      pids+=($!)
    done
    for p in "${pids[@]}"; do
      wait "$p" || true
    done
    # Now either fully there or fully gone.
    if s=$(rt state "$CID" 2>/dev/null); then
      pid=$(jq -r .pid <<<"$s")
      case "$(jq -r .status <<<"$s")" in
      created | running)
        [ "$pid" -gt 0 ] && [ -d "/proc/$pid" ] ||
          { echo "round $round: state $s but no process" >&2; return 1; }
        [ -n "$(leaked_cgroups)" ] ||
          { echo "round $round: state $s but no cgroup" >&2; return 1; }
        ;;
      stopped) ;;
      *)
        echo "round $round: bad state: $s" >&2
        return 1
        ;;
      esac
    else
      # gone: nothing of it may be left (runtimes all exited)
      assert_clean "round $round, container gone"
    fi
    out=$(rt delete --force "$CID" 2>&1) || [[ $out == *"does not exist"* ]] ||
      { echo "round $round: delete --force: $out" >&2; return 1; }
    assert_clean "round $round"
    lifecycle "round $round, afterwards"
  done
}

@test "faults: start killed with SIGKILL at increasing delays, delete --force cleans up, the id is reusable" {
  set_args /bin/probe sleep 100
  local d pid s
  for d in "${DELAYS_MS[@]}"; do
    rt create --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/c.out" 2>"$TEST_DIR/c.err" ||
      { echo "create (round $d): $(cat "$TEST_DIR/c.err")" >&2; return 1; }
    rtx start "$CID" </dev/null >/dev/null 2>&1 &
    pid=$!
    sleep_ms "$d"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    # created (start never got through) or running: nothing in between
    s=$(rt state "$CID" 2>/dev/null | jq -r .status)
    case "$s" in
    created | running) ;;
    *) echo "start killed after $d ms: state '$s'" >&2; return 1 ;;
    esac
    force_delete "start killed after ${d} ms"
    assert_clean "start killed after ${d} ms"
    lifecycle "after start killed at ${d} ms"
  done
}

# killed_exec DELAY_MS EXEC-ARGS...: exec into the running $CID, SIGKILL the
# runtime after DELAY_MS; then the container still answers a plain exec,
# delete --force cleans everything and the id is reusable.
killed_exec() {
  local d=$1 pid out
  shift
  rt run -d --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/r.out" 2>"$TEST_DIR/r.err" ||
    { echo "run -d (round $d): $(cat "$TEST_DIR/r.err")" >&2; return 1; }
  rtx exec "$@" </dev/null >"$TEST_DIR/e.out" 2>"$TEST_DIR/e.err" &
  pid=$!
  sleep_ms "$d"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # the container is still whole: another exec works
  out=$(rt exec "$CID" /bin/probe pid 2>&1 </dev/null) ||
    { echo "exec $* killed after $d ms: the next exec failed: $out" >&2; return 1; }
  force_delete "exec $* killed after ${d} ms"
  assert_clean "exec $* killed after ${d} ms"
}

@test "faults: exec, exec --detach and exec --process killed with SIGKILL at increasing delays, delete --force cleans up" {
  set_args /bin/probe sleep 100
  jq -n '{args: ["/bin/probe", "sleep", "100"], cwd: "/", env: ["PATH=/bin"], user: {uid: 0, gid: 0}}' \
    >"$TEST_DIR/process.json"
  # The three forms take the delays in turn (each form meets early, middle
  # and late kills; all three at every delay tripled the file's run time).
  local i d
  for i in "${!DELAYS_MS[@]}"; do
    d=${DELAYS_MS[$i]}
    case $((i % 3)) in
    0) killed_exec "$d" "$CID" /bin/probe sleep 100 ;;
    1) killed_exec "$d" --detach "$CID" /bin/probe sleep 100 ;;
    2) killed_exec "$d" --process "$TEST_DIR/process.json" "$CID" ;;
    esac
  done
  lifecycle "after the killed execs"
}

# A store with several environments: share containers of three images
# (three entrypoints), made and deleted, so gc has work to do.
fill_store_for_gc() {
  local prog i=0
  for prog in /usr/bin/sleep /usr/bin/true /usr/bin/env; do
    i=$((i + 1))
    cp -L "$prog" "$ROOTFS/usr/bin/prog$i"
    update_config '.process.args = [$p, "100"]' --arg p "/usr/bin/prog$i"
    rt create --bundle "$BUNDLE" "$CID-gc$i" </dev/null >"$TEST_DIR/g.out" 2>"$TEST_DIR/g.err" ||
      { echo "create for gc: $(cat "$TEST_DIR/g.err")" >&2; return 1; }
    rt delete --force "$CID-gc$i"
  done
  update_config '.process.args = ["/usr/bin/sleep", "100"]'
}

@test "faults: reg gc killed with SIGKILL at increasing delays, the store stays clean, the next create works" {
  setup_reg_share
  local d pid st out
  for d in "${DELAYS_MS[@]}"; do
    fill_store_for_gc
    rtx reg gc </dev/null >/dev/null 2>&1 &
    pid=$!
    sleep_ms "$d"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    store_ok "gc killed after ${d} ms"
    # what the killed gc left is whole: a share container of an image whose
    # environment it was removing works
    lifecycle "share, after gc killed at ${d} ms"
    store_ok "share lifecycle after gc killed at ${d} ms"
    # a gc after the killed one finishes the job
    out=$(rt reg gc 2>&1) || { echo "gc after the kill at $d ms: $out" >&2; return 1; }
    store_ok "gc after gc killed at ${d} ms"
  done
}

# The window between the init reporting "set up" (it stops dying with its
# creator then) and create writing the status: strace holds create there
# (a delay after its one recvmsg, the init's RUNTIME_SYNC_CREATED), and it is
# killed in it.  delete --force must kill the init, remove the cgroups and
# drop the REG reference all the same.
@test "faults: create killed after its init is set up, before the status is written: delete --force undoes all" {
  command -v strace >/dev/null || skip "strace is not installed"
  local mode sp rp tries out
  for mode in off share no-mount-ns; do
    if [ "$mode" = share ]; then
      setup_reg_share
    elif [ "$mode" = no-mount-ns ]; then
      # share's root (with its binds) is then a mount in our namespace:
      # delete --force must find it from the create's record.
      update_config '.linux.namespaces |= map(select(.type != "mount"))'
    else
      set_args /bin/probe sleep 100
    fi
    strace -qq -o /dev/null -e trace=recvmsg -e inject=recvmsg:delay_exit=5000000 \
      "$REG_RUNC" --root "$TEST_ROOT_STATE" --reg-root "$TEST_DIR/store" create --bundle "$BUNDLE" "$CID" \
      </dev/null >"$TEST_DIR/s.out" 2>&1 &
    sp=$!
    BG_PIDS+=($sp)
    # the init in its cgroup, then a moment for it to report
    tries=100
    while [ -z "$(cat /sys/fs/cgroup/pids/"$CG_NAME"/cgroup.procs /sys/fs/cgroup/unified/"$CG_NAME"/cgroup.procs 2>/dev/null)" ] &&
      [ $tries -gt 0 ]; do
      sleep 0.05
      tries=$((tries - 1))
    done
    sleep 1
    rp=$(pgrep -P "$sp")
    [ -n "$rp" ] || { echo "$mode: create already gone: $(cat "$TEST_DIR/s.out")" >&2; return 1; }
    kill -9 "$rp"
    wait "$sp" 2>/dev/null || true
    [ -d "$TEST_ROOT_STATE/$CID" ] && [ ! -e "$TEST_ROOT_STATE/$CID/status.json" ] ||
      { echo "$mode: not killed in the window: $(ls "$TEST_ROOT_STATE/$CID" 2>&1)" >&2; return 1; }
    # the init is still there, waiting for a start nobody can give
    [ -n "$(container_procs)" ]
    out=$(rt delete --force "$CID" 2>&1) || { echo "$mode: delete --force: $out" >&2; return 1; }
    assert_clean "$mode: create killed before the status"
    if [ "$mode" != off ]; then
      # no reference left: gc removes the environment
      rt reg gc >/dev/null
      [ "$(rt reg ls --format json | jq length)" -eq 0 ] || { rt reg ls >&2; return 1; }
      store_ok "share: create killed before the status"
    fi
    lifecycle "$mode: after create killed before the status"
  done
}
