#!/usr/bin/env bats
# process.terminal: the pty master over --console-socket, consoleSize,
# /dev/console; and no tty without it.

load helpers

setup() {
  setup_bundle
  SOCK=$TEST_DIR/console.sock
  CONSOLE_OUT=$TEST_DIR/console.out
}

teardown() {
  teardown_bundle
}

start_receiver() {
  python3 "$HELPERS_DIR/console-receiver.py" "$SOCK" "$CONSOLE_OUT" &
  BG_PIDS+=("$!")
  RECEIVER=$!
  wait_file "$CONSOLE_OUT.ready" 5 || [ -e "$CONSOLE_OUT.ready" ]
}

# run_terminal ARGS...: create + start with a terminal, wait for the
# container to stop and the receiver to see EOF; $output is what the
# container wrote on its terminal (without the \r of the pty).
run_terminal() {
  set_args "$@"
  update_config '.process.terminal = true'
  start_receiver
  run_detached create --bundle "$BUNDLE" --console-socket "$SOCK" "$CID"
  assert_status 0
  run reg_runc start "$CID"
  assert_status 0
  wait_status "$CID" stopped
  rc=0
  timeout 10 tail --pid="$RECEIVER" -f /dev/null || rc=$?
  [ "$rc" -eq 0 ]
  output=$(tr -d '\r' <"$CONSOLE_OUT")
  mapfile -t lines <<<"$output"
}

@test "terminal: stdin, stdout, stderr are a tty" {
  run_terminal /bin/sh -c '/bin/probe isatty 0; /bin/probe isatty 1; /bin/probe isatty 2'
  [ "$output" = "$(printf '1\n1\n1')" ]
}

@test "terminal: consoleSize sets the window size" {
  update_config '.process.consoleSize = {"height": 41, "width": 101}'
  run_terminal /bin/probe winsize
  assert_has_line rows=41
  assert_has_line cols=101
}

@test "terminal: /dev/console is the container's pty" {
  run_terminal /bin/sh -c '/bin/probe stat /dev/console; /bin/probe fds'
  assert_has_line type=char
  rdev=$(value rdev)
  # A Unix98 pty slave: major 136-143.
  [ "${rdev%%:*}" -ge 136 ]
  [ "${rdev%%:*}" -le 143 ]
  assert_contains "$output" "0=/dev/pts/"
}

@test "terminal: false gives no tty" {
  run_probe isatty 0
  assert_status 0
  [ "$output" = 0 ]
}

@test "terminal: true without --console-socket fails for create and leaves nothing" {
  update_config '.process.terminal = true'
  run_detached create --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "console"
  assert_nothing_left "$CID"
}

@test "terminal: --console-socket to a missing socket fails and leaves nothing" {
  update_config '.process.terminal = true'
  run_detached create --bundle "$BUNDLE" --console-socket "$TEST_DIR/nosuch.sock" "$CID"
  [ "$status" -ne 0 ]
  assert_nothing_left "$CID"
}
