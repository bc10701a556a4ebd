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

# --- the runtime's binary (the CVE-2019-5736 class) ----------------------

@test "trust: a created container's init does not run from the runtime's binary, and nobody can write what it runs" {
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_status 0
  pid=$(state_field "$CID" pid)
  [ "$(stat -L -c %d:%i "/proc/$pid/exe")" != "$(stat -L -c %d:%i "$REG_RUNC")" ]
  # Not even the host's root can open it for writing: a read-only overlay
  # without an upper layer, or a sealed memfd.
  run sh -c "exec 3>>/proc/$pid/exe"
  [ "$status" -ne 0 ]
  assert_contains "$output" "Read-only file system"
  reg_runc delete --force "$CID"
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
