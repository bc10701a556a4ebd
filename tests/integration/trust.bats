#!/usr/bin/env bats
# The trust boundary: no process of a container may reach the runtime's
# binary, a shared store object, or a mount with weaker flags than asked,
# even while the runtime works on its root.  Each case is an attack run from
# inside the container (or by a bundle owner racing create), asserted from
# what the container could do.

load helpers

setup() {
  setup_bundle
}

teardown() {
  teardown_bundle
}

# create_racing MOUNT ACTION: create the container with the runtime pausing
# after it attaches each mount (REG_TEST_PAUSE_DIR); when it has attached
# MOUNT, run ACTION (a rename race against the rootfs, made deterministic)
# before letting it go on.  Sets $status (create's) and $output (its stderr).
create_racing() {
  local match=$1 action=$2 dir=$TEST_DIR/pause n=0 hit=0 pid
  mkdir -p "$dir"
  REG_TEST_PAUSE_DIR=$dir "$REG_RUNC" --root "$TEST_ROOT_STATE" --reg-root "$TEST_DIR/store" \
    create --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/$CID.out" 2>"$TEST_DIR/$CID.err" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    if [ -f "$dir/$n" ]; then
      if [ $hit = 0 ] && [ "$(cat "$dir/$n")" = "$match" ]; then
        eval "$action"
        hit=1
      fi
      touch "$dir/$n.go"
      n=$((n + 1))
    else
      sleep 0.002
    fi
  done
  status=0
  wait "$pid" || status=$?
  output=$(cat "$TEST_DIR/$CID.err")
  if [ $hit = 0 ]; then
    echo "the runtime never attached $match (mounts: $(cat "$dir"/[0-9] "$dir"/[0-9][0-9] 2>/dev/null | tr '\n' ' '))" >&2
    return 1
  fi
}

# --- the runtime's binary (the CVE-2019-5736 class) ----------------------

@test "trust: a created container's init does not run from the runtime's binary, and nobody can write what it runs" {
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_status 0
  pid=$(state_field "$CID" pid)
  [ "$(stat -L -c %d:%i "/proc/$pid/exe")" != "$(stat -L -c %d:%i "$REG_RUNC")" ]
  # Not even the host's root can open it for writing: a file of a
  # read-only mount (the runtime's copy bound read-only, or an overlay
  # without an upper layer), or a sealed memfd.
  run sh -c "exec 3>>/proc/$pid/exe"
  [ "$status" -ne 0 ]
  run python3 -c "import os, sys; sys.exit(0 if os.statvfs('/proc/$pid/exe').f_flag & os.ST_RDONLY else 1)"
  assert_status 0
  reg_runc delete --force "$CID"
}

@test "trust: with /run on a tmpfs (systemd hosts), create re-executes once from one read-only copy" {
  # A tmpfs file answers F_GET_SEALS (F_SEAL_SEAL) without being sealed: the
  # copy must still be taken for protected (it is on a read-only bind), not
  # copied again under its own identity, and again, until /run is full.
  # The tmpfs is over the copies' directory in a mount namespace of the
  # test's own: the host's /run is not touched.
  mkdir -p /run/reg-runc-exe
  set_args /bin/probe pid
  run timeout -k 5 20 unshare -m --propagation private sh -c '
    mount -t tmpfs -o size=64m tmpfs /run/reg-runc-exe || exit 99
    "$@" </dev/null >"$0.out" 2>"$0.err"; rc=$?
    echo "copies=$(ls -A /run/reg-runc-exe | wc -l)"
    exit $rc' "$TEST_DIR/tmpfs-run" "$REG_RUNC" --root "$TEST_ROOT_STATE" run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ] || {
    echo "run: status $status (124: still re-executing after 20 s): $(cat "$TEST_DIR/tmpfs-run.err")" >&2
    false
  }
  [ "$output" = copies=1 ]
  [ "$(cat "$TEST_DIR/tmpfs-run.out")" = 1 ]
}

@test "trust: a container hunting the exec processes' executable never opens the runtime's binary for writing (50 execs)" {
  set_args /bin/probe exe-hunt 25
  run_detached run -d --bundle "$BUNDLE" "$CID"
  assert_status 0
  for i in $(seq 50); do
    reg_runc exec "$CID" /bin/probe pid >/dev/null
  done
  wait_status "$CID" stopped 40
  cat "$TEST_DIR/$(io_name "$CID").out" >&2
  assert_contains "$(ctr_out)" "opened-for-writing=0"
  reg_runc delete "$CID"
}

# --- mounts: final flags before they are attached ------------------------

@test "trust: a config.json bind stays read-only when its mount point is swapped for a symlink to / during create" {
  mkdir -p "$TEST_DIR/hostdir" "$ROOTFS/mnt/ro"
  echo original >"$TEST_DIR/hostdir/file"
  update_config '.mounts += [{"destination": "/mnt/ro", "type": "bind", "source": $s, "options": ["bind", "ro"]}]' \
    --arg s "$TEST_DIR/hostdir"
  set_args /bin/probe write /mnt.moved/ro/file pwned
  create_racing /mnt/ro 'mv "$ROOTFS/mnt" "$ROOTFS/mnt.moved"; mkdir "$ROOTFS/mnt"; ln -s / "$ROOTFS/mnt/ro"'
  assert_status 0
  reg_runc start "$CID"
  wait_status "$CID" stopped
  [ "$(cat "$TEST_DIR/hostdir/file")" = original ]
  [ "$(cat "$TEST_DIR/$CID.out")" = EROFS ]
  reg_runc delete "$CID"
}

@test "trust: a REG share object stays read-only when its directory is swapped for a symlink to / during create" {
  local lib=/lib/x86_64-linux-gnu
  [ -f "$lib/libc.so.6" ] || skip "no $lib/libc.so.6 on this host"
  copy_with_libs /bin/dash
  update_config '.annotations["run.reg.mode"] = "share"'
  set_args /bin/dash -c "if echo pwned >>$lib/libc.so.6; then echo WROTE; else echo REFUSED; fi"
  create_racing "$lib/libc.so.6" \
    'mv "$ROOTFS$lib" "$ROOTFS/lib/moved"; mkdir "$ROOTFS$lib"; ln -s / "$ROOTFS$lib/libc.so.6"'
  # Either create refuses the swapped tree, or every object it mounted is
  # read-only: never a writable store object.
  if [ "$status" -eq 0 ]; then
    rm -r "${ROOTFS:?}$lib"
    mv "$ROOTFS/lib/moved" "$ROOTFS$lib"
    reg_runc start "$CID"
    wait_status "$CID" stopped
    [ "$(cat "$TEST_DIR/$CID.out")" = REFUSED ]
    reg_runc --reg-root "$TEST_DIR/store" delete "$CID"
  fi
  run "$REG_RUNC" --reg-root "$TEST_DIR/store" reg check
  assert_status 0
}

@test "trust: minimal's overlay takes state and store paths with , and : (layers as fsconfig parameters)" {
  TEST_ROOT_STATE="$TEST_DIR/state,upperdir=x:y"
  mkdir -p "$TEST_ROOT_STATE"
  update_config '.annotations["run.reg.mode"] = "minimal" | .root.readonly = false'
  set_args /bin/probe write /tmp/f
  run --separate-stderr reg_runc --reg-root "$TEST_DIR/store,lowerdir=/:z" run --bundle "$BUNDLE" "$CID"
  assert_status 0
  [ "$output" = ok ]
  # the write went to the container's private layer, not the image
  [ ! -e "$ROOTFS/tmp/f" ]
}

# --- REG in a user namespace ----------------------------------------------

@test "trust: REG share in a user namespace: the objects are mounted, and the container's root cannot make one writable" {
  local lib=/lib/x86_64-linux-gnu
  [ -f "$lib/libc.so.6" ] || skip "no $lib/libc.so.6 on this host"
  copy_with_libs /bin/dash
  user_ns
  update_config '.annotations["run.reg.mode"] = "share"
    | .process.capabilities = {"bounding": ["CAP_SYS_ADMIN", "CAP_DAC_OVERRIDE", "CAP_FOWNER"],
        "effective": ["CAP_SYS_ADMIN", "CAP_DAC_OVERRIDE", "CAP_FOWNER"],
        "permitted": ["CAP_SYS_ADMIN", "CAP_DAC_OVERRIDE", "CAP_FOWNER"]}'
  set_args /bin/dash -c "grep -c ' $lib/libc.so.6 ro,' /proc/self/mountinfo
    mount -o remount,bind,rw $lib/libc.so.6 2>/dev/null && echo REMOUNTED
    umount $lib/libc.so.6 2>/dev/null && echo UNMOUNTED
    if echo pwned >>$lib/libc.so.6; then echo WROTE; else echo REFUSED; fi"
  run --separate-stderr reg_runc --reg-root "$TEST_DIR/store" run --bundle "$BUNDLE" "$CID"
  assert_status 0
  [ "$output" = "1
REFUSED" ] || { echo "$output"; false; }
  run "$REG_RUNC" --reg-root "$TEST_DIR/store" reg check
  assert_status 0
}

@test "trust: REG minimal in a user namespace: the container runs in its minimized root and writes its private layer" {
  copy_with_libs /bin/dash
  user_ns
  update_config '.annotations["run.reg.mode"] = "minimal" | .root.readonly = false'
  set_args /bin/dash -c 'echo hi >/written && read l </written && echo "$l" && test ! -e /usr/bin/busybox && echo minimal'
  run --separate-stderr reg_runc --reg-root "$TEST_DIR/store" run --bundle "$BUNDLE" "$CID"
  assert_status 0
  [ "$output" = "hi
minimal" ] || { echo "$output $stderr"; false; }
  [ ! -e "$ROOTFS/written" ]
}
