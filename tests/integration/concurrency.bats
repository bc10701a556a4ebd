#!/usr/bin/env bats
# Concurrency and fd hygiene: 200 parallel create/start/wait/
# delete lifecycles with REG share on one private store; `reg gc` in a loop
# while share containers are created; the fds a container's init and exec'd
# processes see.  Afterwards nothing is left (state dirs, mounts, cgroups,
# processes) and `reg check` finds the store clean.

load helpers

setup() {
  setup_bundle
  STORE=$TEST_DIR/store
}

teardown() {
  local m
  kill_container_procs
  grep -F " $TEST_DIR/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
  teardown_bundle
}

rt() {
  "$REG_RUNC" --root "$TEST_ROOT_STATE" --reg-root "$STORE" "$@"
}

# A rootfs with the host's sleep and sha256sum and the libraries ldd names:
# dynamically linked programs, so REG share has a closure to bind.
setup_share_rootfs() {
  rm -rf "$ROOTFS"
  mkdir -p "$ROOTFS/proc" "$ROOTFS/dev" "$ROOTFS/sys" "$ROOTFS/tmp" "$ROOTFS/usr/bin"
  copy_with_libs /usr/bin/sleep /usr/bin/sha256sum
  cp "$PROBE" "$ROOTFS/usr/bin/probe"
  update_config '.process.args = ["/usr/bin/sleep", "0"]
    | .root.readonly = false
    | .root.path = $r
    | .annotations["run.reg.mode"] = "share"' --arg r "$ROOTFS"
}

# bundle_for N: a bundle of its own (cgroup $CG_NAME-N) on the shared rootfs.
bundle_for() {
  local b=$TEST_DIR/b$1
  mkdir -p "$b"
  jq --arg cg "/$CG_NAME-$1" '.linux.cgroupsPath = $cg' "$BUNDLE/config.json" >"$b/config.json"
  echo "$b"
}

# one_lifecycle N: create, start, wait for the process to end, delete;
# exit status 0 when every step worked, else the failing step on stderr.
one_lifecycle() {
  local n=$1 id=$CID-$1 b=$TEST_DIR/b$1 tries=600 s
  rt create --bundle "$b" "$id" </dev/null >"$b/out" 2>"$b/err" || { echo "$n create: $(cat "$b/err")"; return 1; }
  rt start "$id" </dev/null >>"$b/out" 2>>"$b/err" || { echo "$n start: $(cat "$b/err")"; return 1; }
  while [ $tries -gt 0 ]; do
    s=$(rt state "$id" 2>>"$b/err" | jq -r .status)
    [ "$s" = stopped ] && break
    sleep 0.1
    tries=$((tries - 1))
  done
  [ "$s" = stopped ] || { echo "$n: status '$s' after 60 s"; return 1; }
  rt delete "$id" </dev/null >>"$b/out" 2>>"$b/err" || { echo "$n delete: $(cat "$b/err")"; return 1; }
}

# assert_all_clean WHAT: nothing of the test's containers left, store clean.
assert_all_clean() {
  local out
  assert_clean "$1" || return 1
  out=$(rt reg check 2>&1) || { echo "$1: reg check: $out" >&2; return 1; }
}

@test "concurrency: 200 parallel create/start/wait/delete lifecycles with REG share, no failure, nothing left" {
  setup_share_rootfs
  local n=${REG_PARALLEL:-200} i pids=() fails=0 t0 t1
  for i in $(seq "$n"); do
    bundle_for "$i" >/dev/null
  done
  t0=$(date +%s.%N)
  for i in $(seq "$n"); do
    one_lifecycle "$i" >"$TEST_DIR/lc$i.log" 2>&1 &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { fails=$((fails + 1)); cat "$TEST_DIR/lc$((i + 1)).log" >&2; }
  done
  t1=$(date +%s.%N)
  echo "# $n parallel REG share lifecycles: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s, $fails failed" >&3
  [ "$fails" -eq 0 ]
  assert_all_clean "after $n parallel lifecycles"
  # one environment for all of them, referenced by none now
  [ "$(rt reg ls --format json | jq 'length')" -eq 1 ]
}

@test "concurrency: reg gc in a loop while share containers are created: no failure, no corrupted environment" {
  setup_share_rootfs
  local want got i j pids=() fails=0 gcs
  # what the container must see: the digests of its libraries as the image has them
  want=$(cd "$ROOTFS" && sha256sum lib/x86_64-linux-gnu/libc.so.6 lib64/ld-linux-x86-64.so.2 usr/bin/sha256sum)
  update_config '.process.args = ["/usr/bin/sha256sum", "lib/x86_64-linux-gnu/libc.so.6", "lib64/ld-linux-x86-64.so.2", "usr/bin/sha256sum"]'
  (
    while :; do
      if ! rt reg gc >/dev/null 2>>"$TEST_DIR/gc.err"; then
        echo fail >>"$TEST_DIR/gc.fail"
      fi
      echo gc >>"$TEST_DIR/gc.count"
    done
  ) </dev/null &
  BG_PIDS+=($!)
  # 4 streams of 10 lifecycles each: every delete drops the last reference,
  # so gc keeps removing the environment the next create reuses or rebuilds
  for j in 1 2 3 4; do
    (
      for i in $(seq 10); do
        n=$((j * 100 + i))
        bundle_for "$n" >/dev/null
        one_lifecycle "$n" || exit 1
        got=$(cat "$TEST_DIR/b$n/out")
        [ "$got" = "$want" ] || { echo "$n: the container saw: $got"; exit 1; }
      done
    ) >"$TEST_DIR/stream$j.log" 2>&1 &
    pids+=($!)
  done
  for j in "${!pids[@]}"; do
    wait "${pids[$j]}" || { fails=$((fails + 1)); cat "$TEST_DIR/stream$((j + 1)).log" >&2; }
  done
  kill -9 "${BG_PIDS[0]}" 2>/dev/null || true
  wait "${BG_PIDS[0]}" 2>/dev/null || true
  BG_PIDS=()
  gcs=$(grep -c . "$TEST_DIR/gc.count" || true)
  echo "# 40 share lifecycles in 4 streams, $gcs gc runs meanwhile" >&3
  [ "$fails" -eq 0 ]
  [ ! -e "$TEST_DIR/gc.fail" ] || { echo "reg gc failed:" >&2; cat "$TEST_DIR/gc.err" >&2; return 1; }
  [ "$gcs" -gt 5 ]
  assert_all_clean "after gc during creates"
}

# fds_seen FILE: the fd numbers the probe listed (lines "N=...").
fds_seen() {
  cut -d= -f1 "$1" | tr '\n' ' ' | sed 's/ $//'
}

@test "fds: the init (create + start) and exec'd processes see only 0, 1, 2 and the preserved fds; with REG share too" {
  local mode out
  for mode in off share; do
    if [ "$mode" = share ]; then
      setup_share_rootfs
    fi
    update_config '.process.args = ["/usr/bin/probe", "fds"]'
    # created, then started: the init's fds after start
    rt create --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/init.out" 2>"$TEST_DIR/init.err" ||
      { cat "$TEST_DIR/init.err" >&2; return 1; }
    rt start "$CID"
    wait_file "$TEST_DIR/init.out"
    wait_status "$CID" stopped
    [ "$(fds_seen "$TEST_DIR/init.out")" = "0 1 2" ] || { echo "$mode init: $(cat "$TEST_DIR/init.out")" >&2; return 1; }
    rt delete "$CID"
    # --preserve-fds 2: 3 and 4 too, not 5
    rt create --preserve-fds 2 --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/init.out" 2>"$TEST_DIR/init.err" \
      3</dev/null 4</dev/null 5</dev/null || { cat "$TEST_DIR/init.err" >&2; return 1; }
    rt start "$CID"
    wait_file "$TEST_DIR/init.out"
    wait_status "$CID" stopped
    [ "$(fds_seen "$TEST_DIR/init.out")" = "0 1 2 3 4" ] || { echo "$mode init --preserve-fds 2: $(cat "$TEST_DIR/init.out")" >&2; return 1; }
    rt delete "$CID"

    # exec'd processes, in a running container
    update_config '.process.args = ["/usr/bin/sleep", "100"]'
    rt run -d --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>"$TEST_DIR/run.err" || { cat "$TEST_DIR/run.err" >&2; return 1; }
    out=$(rt exec "$CID" /usr/bin/probe fds 3</dev/null 4</dev/null </dev/null)
    [ "$(cut -d= -f1 <<<"$out" | tr '\n' ' ')" = "0 1 2 " ] || { echo "$mode exec: $out" >&2; return 1; }
    out=$(rt exec --preserve-fds 1 "$CID" /usr/bin/probe fds 3</dev/null 4</dev/null </dev/null)
    [ "$(cut -d= -f1 <<<"$out" | tr '\n' ' ')" = "0 1 2 3 " ] || { echo "$mode exec --preserve-fds 1: $out" >&2; return 1; }
    rt exec --detach "$CID" /usr/bin/probe fds </dev/null >"$TEST_DIR/exec-d.out" 2>&1 3</dev/null
    wait_file "$TEST_DIR/exec-d.out"
    sleep 0.2
    [ "$(fds_seen "$TEST_DIR/exec-d.out")" = "0 1 2" ] || { echo "$mode exec --detach: $(cat "$TEST_DIR/exec-d.out")" >&2; return 1; }
    jq -n '{args: ["/usr/bin/probe", "fds"], cwd: "/", env: ["PATH=/usr/bin"], user: {uid: 0, gid: 0}}' \
      >"$TEST_DIR/process.json"
    out=$(rt exec --process "$TEST_DIR/process.json" "$CID" 3</dev/null </dev/null)
    [ "$(cut -d= -f1 <<<"$out" | tr '\n' ' ')" = "0 1 2 " ] || { echo "$mode exec --process: $out" >&2; return 1; }
    rt delete --force "$CID"
    assert_nothing_left "$CID"
  done
}
