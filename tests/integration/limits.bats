#!/usr/bin/env bats
# The runtime under tight limits: reg-runc itself in a tiny
# memory cgroup, with RLIMIT_NOFILE 64, and with its state dir (--root, like
# /run/reg-runc) on a full tmpfs.  Each either works or fails with one clear
# error line, and leaves nothing: no state dir, mount, cgroup or process.

load helpers

setup() {
  setup_bundle
  STORE=$TEST_DIR/store
  MEMCG=
  RUNFS=
}

teardown() {
  local p
  if [ -n "$MEMCG" ] && [ -d "$MEMCG" ]; then
    for p in $(cat "$MEMCG/cgroup.procs" 2>/dev/null); do
      kill -9 "$p" 2>/dev/null || true
    done
  fi
  teardown_bundle
  if [ -n "$MEMCG" ] && [ -d "$MEMCG" ]; then
    local tries=50
    while ! rmdir "$MEMCG" 2>/dev/null && [ $tries -gt 0 ]; do
      sleep 0.1
      tries=$((tries - 1))
    done
  fi
  if [ -n "$RUNFS" ]; then
    # the state dir lived there: delete what the runtime knows, then unmount
    umount -l "$RUNFS" 2>/dev/null || true
    rmdir "$RUNFS" 2>/dev/null || true
  fi
}

rt() {
  "$REG_RUNC" --root "$TEST_ROOT_STATE" --reg-root "$STORE" "$@"
}

# one_error_line WHAT FILE: FILE holds exactly one non-empty line.
one_error_line() {
  local n
  n=$(grep -c . "$2" || true)
  [ "$n" -eq 1 ] || { echo "$1: expected one error line, got $n:" >&2; cat "$2" >&2; return 1; }
}

# in_memcg CMD...: run CMD in a shell moved into $MEMCG first.
in_memcg() {
  bash -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$MEMCG" "$@"
}

@test "limits: reg-runc in a tiny memory cgroup (16, 8, 2, 1 MiB): run works or fails clearly (or is OOM-killed), delete --force leaves nothing" {
  [ -d /sys/fs/cgroup/memory ] && [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ] ||
    skip "no cgroup v1 memory controller at /sys/fs/cgroup/memory"
  copy_with_libs /usr/bin/sleep
  local mib mode st
  for mib in 16 8 2 1; do
    MEMCG=/sys/fs/cgroup/memory/reg-itest-mem-$CID-$mib
    mkdir "$MEMCG"
    echo $((mib * 1024 * 1024)) >"$MEMCG/memory.limit_in_bytes"
    for mode in off share; do
      update_config '.process.args = ["/usr/bin/sleep", "0"] | .annotations["run.reg.mode"] = $m
        | .root.readonly = false' --arg m "$mode"
      st=0
      in_memcg "$REG_RUNC" --root "$TEST_ROOT_STATE" --reg-root "$STORE" run --bundle "$BUNDLE" "$CID" \
        </dev/null >"$TEST_DIR/out" 2>"$TEST_DIR/err" || st=$?
      echo "# $mib MiB, $mode: exit $st $(head -c 200 "$TEST_DIR/err"), max usage $(($(cat "$MEMCG/memory.max_usage_in_bytes") / 1024)) KiB" >&3
      if [ $st -ne 0 ]; then
        # an OOM kill of the runtime gives no message: then the caller sees 137
        [ $st -eq 137 ] || one_error_line "$mib MiB, $mode" "$TEST_DIR/err"
        rt delete --force "$CID" >/dev/null 2>&1 || true
      fi
      assert_clean "$mib MiB, $mode"
      out=$(rt reg check 2>&1) || { echo "$mib MiB, $mode: reg check: $out" >&2; return 1; }
    done
    [ -z "$(cat "$MEMCG/cgroup.procs")" ]
    rmdir "$MEMCG"
  done
  MEMCG=
}

@test "limits: RLIMIT_NOFILE 64: run, exec and REG share create work" {
  copy_with_libs /usr/bin/sleep
  # the container asks for no more than the caller has (raising a hard
  # limit needs CAP_SYS_RESOURCE, see the next test)
  update_config '.process.args = ["/usr/bin/sleep", "100"] | .annotations["run.reg.mode"] = "share"
    | .root.readonly = false | .process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 64, "hard": 64}]'
  local out
  # create with REG share, start, exec, delete: each under ulimit -n 64
  (ulimit -n 64 && rt create --bundle "$BUNDLE" "$CID") </dev/null >"$TEST_DIR/c.out" 2>"$TEST_DIR/c.err" ||
    { cat "$TEST_DIR/c.err" >&2; return 1; }
  (ulimit -n 64 && rt start "$CID")
  out=$(ulimit -n 64 && rt exec "$CID" /bin/probe rlimit NOFILE </dev/null)
  [ "$out" = "64 64" ] || { echo "exec: $out" >&2; return 1; }
  out=$(ulimit -n 64 && rt exec --process <(jq .process "$BUNDLE/config.json" | jq '.args = ["/bin/probe", "pid"]') "$CID" </dev/null)
  [ "$out" -gt 1 ] || { echo "exec --process: $out" >&2; return 1; }
  (ulimit -n 64 && rt exec --detach "$CID" /bin/probe sleep 1) </dev/null >/dev/null
  (ulimit -n 64 && rt delete --force "$CID")
  assert_clean "share lifecycle under ulimit -n 64"
  # run (create + start + wait) of the plain busybox container
  update_config '.process.args = ["/bin/probe", "pid"] | .annotations["run.reg.mode"] = "off"'
  out=$(ulimit -n 64 && rt run --bundle "$BUNDLE" "$CID" </dev/null)
  [ "$out" = 1 ] || { echo "run: $out" >&2; return 1; }
  assert_clean "run under ulimit -n 64"
  out=$(rt reg check 2>&1) || { echo "reg check: $out" >&2; return 1; }
}

@test "limits: RLIMIT_NOFILE 64 and a container asking for 1024: works with CAP_SYS_RESOURCE, else one clear error" {
  set_args /bin/probe rlimit NOFILE
  update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 1024}]'
  local st=0
  (ulimit -n 64 && rt run --bundle "$BUNDLE" "$CID") </dev/null >"$TEST_DIR/r.out" 2>"$TEST_DIR/r.err" || st=$?
  echo "# ulimit -n 64, rlimit 1024: exit $st $(cat "$TEST_DIR/r.err")" >&3
  if [ $st -eq 0 ]; then
    [ "$(cat "$TEST_DIR/r.out")" = "1024 1024" ]
  else
    one_error_line "rlimit above the caller's" "$TEST_DIR/r.err"
    grep -q "RLIMIT_NOFILE" "$TEST_DIR/r.err"
    # only without CAP_SYS_RESOURCE (bit 24)
    [ $(( 0x$(awk '/^CapEff/ {print $2}' /proc/self/status) >> 24 & 1 )) -eq 0 ]
  fi
  assert_clean "rlimit above the caller's"
}

@test "limits: the state dir (--root) on a full tmpfs: create fails with one clear error and leaves nothing, works once space is freed" {
  RUNFS=$(mktemp -d /tmp/reg-itest-runfs.XXXXXX)
  mount -t tmpfs -o size=512k,mode=0755 tmpfs "$RUNFS"
  TEST_ROOT_STATE=$RUNFS/reg-runc
  mkdir -p "$TEST_ROOT_STATE"
  set_args /bin/probe sleep 100
  # fill it to the last block
  dd if=/dev/zero of="$RUNFS/fill" bs=4k 2>/dev/null || true
  [ "$(df --output=avail "$RUNFS" | tail -1)" -eq 0 ]
  local st=0 mode
  for mode in off share; do
    if [ "$mode" = share ]; then
      copy_with_libs /usr/bin/sleep
      update_config '.process.args = ["/usr/bin/sleep", "100"] | .annotations["run.reg.mode"] = "share"
        | .root.readonly = false'
    fi
    st=0
    rt create --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/c.out" 2>"$TEST_DIR/c.err" || st=$?
    echo "# full /run, $mode: exit $st: $(cat "$TEST_DIR/c.err")" >&3
    [ $st -ne 0 ]
    one_error_line "full /run, $mode" "$TEST_DIR/c.err"
    grep -q "No space left on device" "$TEST_DIR/c.err"
    # naming the directory that is full
    grep -qF "$TEST_ROOT_STATE/$CID" "$TEST_DIR/c.err"
    assert_clean "create on a full /run, $mode"
    # nothing half made under --root either (not even an empty directory)
    [ -z "$(ls -A "$TEST_ROOT_STATE")" ] || { ls -la "$TEST_ROOT_STATE" >&2; return 1; }
  done
  # space again: the same create works
  rm "$RUNFS/fill"
  rt create --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/c.out" 2>"$TEST_DIR/c.err" ||
    { cat "$TEST_DIR/c.err" >&2; return 1; }
  rt start "$CID"
  [ "$(state_field "$CID" status)" = running ]
  rt delete --force "$CID"
  assert_clean "after space was freed"
}
