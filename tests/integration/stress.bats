#!/usr/bin/env bats
# Many containers: no failure and no leak (mounts, cgroups, state, fds,
# processes, zombies).  The runs go through reaper.py, a child subreaper, so
# that any process the runtime leaves behind is seen instead of vanishing
# into the machine's init.

load helpers

setup() {
  setup_bundle
  REAPER=$HELPERS_DIR/reaper.py
}

teardown() {
  teardown_bundle
}

# Mounts the runtime could leak in the host's namespace: under the test's
# directories (bundle, state) or a default state root.  Counting every line
# of mountinfo would count other jobs' mounts on a shared machine.
mount_count() {
  grep -cE " ($TEST_DIR|$TEST_ROOT_STATE|/run/reg-runc)[/ ]" /proc/self/mountinfo || true
}

@test "stress: 100 sequential runs of /bin/true, no failure, no leak" {
  set_args /bin/true
  before=$(mount_count)
  cat >"$TEST_DIR/loop.sh" <<'EOF2'
for i in $(seq 1 100); do
  "$REG_RUNC" --root "$TEST_ROOT_STATE" run --bundle "$BUNDLE" "$CID-$i" </dev/null || { echo "run $i failed: $?"; exit 1; }
done
EOF2
  export REG_RUNC TEST_ROOT_STATE BUNDLE CID
  run --separate-stderr python3 "$REAPER" bash "$TEST_DIR/loop.sh"
  assert_status 0
  # `run` waits for the container: nothing it started outlives it.
  [ -z "$output" ]
  [ "$(mount_count)" -eq "$before" ]
  [ -z "$(ls "$TEST_ROOT_STATE")" ]
  assert_nothing_left
  # After all that, the container still sees only its stdio.
  run_probe fds
  assert_status 0
  [ "${#lines[@]}" -eq 3 ]
}

@test "stress: 20 parallel create/start/delete cycles, no failure, no leak" {
  before=$(mount_count)
  for i in $(seq 1 20); do
    mkdir "$TEST_DIR/b$i"
    jq --arg r "$ROOTFS" --arg cg "$CGPATH-$i" \
      '.root.path = $r | .linux.cgroupsPath = $cg | .process.args = ["/bin/probe", "pid"]' \
      "$BUNDLE/config.json" >"$TEST_DIR/b$i/config.json"
  done
  cat >"$TEST_DIR/cycle.sh" <<'EOF2'
i=$1 id=$CID-$1 rt="$REG_RUNC --root $TEST_ROOT_STATE"
$rt create --bundle "$TEST_DIR/b$i" "$id" </dev/null >"$TEST_DIR/b$i/out" 2>"$TEST_DIR/b$i/err" || { echo "create $i failed"; exit 1; }
$rt start "$id" || { echo "start $i failed"; exit 1; }
for t in $(seq 1 100); do
  s=$($rt state "$id" | jq -r .status)
  [ "$s" = stopped ] && break
  sleep 0.1
done
[ "$s" = stopped ] || { echo "container $i: $s"; exit 1; }
$rt delete "$id" || { echo "delete $i failed"; exit 1; }
[ "$(cat "$TEST_DIR/b$i/out")" = 1 ] || { echo "container $i wrote '$(cat "$TEST_DIR/b$i/out")'"; exit 1; }
EOF2
  cat >"$TEST_DIR/all.sh" <<'EOF2'
pids=()
for i in $(seq 1 20); do
  bash "$TEST_DIR/cycle.sh" "$i" &
  pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit $rc
EOF2
  export REG_RUNC TEST_ROOT_STATE CID TEST_DIR
  run --separate-stderr python3 "$REAPER" bash "$TEST_DIR/all.sh"
  echo "$output"
  assert_status 0
  # The inits outlive create (adopted, then reaped when they exit); none is
  # still alive once its container is deleted.
  ! grep -q '^alive' <<<"$output"
  ! grep -q '^create\|^start\|^delete\|^container' <<<"$output"
  [ "$(mount_count)" -eq "$before" ]
  [ -z "$(ls "$TEST_ROOT_STATE")" ]
  assert_nothing_left
}

@test "stress: no zombie children of the runtime while run waits" {
  set_args /bin/sh -c '/bin/true; /bin/true; exec /bin/probe sleep 100'
  reg_runc run --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/out" 2>&1 &
  rpid=$!
  BG_PIDS+=("$rpid")
  wait_status "$CID" running
  sleep 0.5
  zombies=""
  for s in /proc/[0-9]*/stat; do
    read -r line <"$s" 2>/dev/null || continue
    rest=${line##*) }
    set -- $rest
    if [ "$1" = Z ] && { [ "$2" = "$rpid" ] || [ "$2" = "$(state_field "$CID" pid)" ]; }; then
      zombies+="$s "
    fi
  done
  [ -z "$zombies" ]
  run reg_runc kill "$CID" KILL
  assert_status 0
  rc=0
  wait "$rpid" || rc=$?
  [ "$rc" -eq 137 ]
}
