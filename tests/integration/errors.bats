#!/usr/bin/env bats
# Error paths: one clear message, a non-zero exit, nothing left behind.

load helpers

setup() {
  setup_bundle
}

teardown() {
  teardown_bundle
}

# create_fails ID: create must fail and leave nothing for ID.
create_fails() {
  run_detached create --bundle "$BUNDLE" "$1"
  [ "$status" -ne 0 ]
  [ -n "$output" ]
  run reg_runc state "$1"
  [ "$status" -ne 0 ]
  assert_nothing_left "$1"
  [ -z "$(ls "$TEST_ROOT_STATE")" ]
}

@test "bad id: a slash" {
  create_fails "bad/id"
  run_detached create --bundle "$BUNDLE" "bad/id"
  assert_contains "$output" "id"
}

@test "bad id: .." {
  create_fails ".."
}

@test "bad id: a space" {
  create_fails "a b"
}

@test "bad id: longer than 1024 bytes" {
  create_fails "$(printf 'a%.0s' $(seq 1 1025))"
}

# An id is the name of its state directory: at most NAME_MAX (255) bytes.
@test "bad id: 256 bytes, one line that names the limit" {
  skip_if_runc "runc takes up to 1024 bytes and fails at mkdir"
  local id
  id=$(printf 'a%.0s' $(seq 1 256))
  create_fails "$id"
  run_detached create --bundle "$BUNDLE" "$id"
  [ "$(wc -l <<<"$output")" -eq 1 ]
  assert_contains "$output" "invalid container id"
  assert_contains "$output" "255"
  # not the whole id again
  [ "${#output}" -lt 200 ]
}

@test "an id of 255 bytes is valid" {
  local id
  id=$(printf 'a%.0s' $(seq 1 255))
  run_detached create --bundle "$BUNDLE" "$id"
  assert_status 0
  run reg_runc delete --force "$id"
  assert_status 0
}

@test "bad id: a newline or another control character, one line without it" {
  skip_if_runc "runc prints the id as it is"
  local id
  for id in $'a\nb' $'a\e[31mb' $'a\tb'; do
    create_fails "$id"
    run_detached create --bundle "$BUNDLE" "$id"
    [ "$(wc -l <<<"$output")" -eq 1 ]
    assert_contains "$output" "invalid container id"
    [[ "$output" != *[[:cntrl:]]* ]]
    # the same for a command on an existing container's id
    run reg_runc state "$id"
    [ "$status" -ne 0 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" != *[[:cntrl:]]* ]]
  done
}

@test "missing bundle" {
  run_detached create --bundle "$TEST_DIR/nosuch" "$CID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "$TEST_DIR/nosuch"
  assert_nothing_left "$CID"
}

@test "missing config.json" {
  rm "$BUNDLE/config.json"
  create_fails "$CID"
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_contains "$output" "config.json"
}

# A config.json that is not a regular file is refused without opening it
# (a FIFO blocked create for ever; a device could have effects on open).
@test "config.json a FIFO, or a symlink to one: create fails at once, nothing left" {
  rm "$BUNDLE/config.json"
  mkfifo "$BUNDLE/config.json"
  run timeout -s KILL 10 "$REG_RUNC" --root "$TEST_ROOT_STATE" create --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 137 ] # not killed by timeout
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  assert_contains "$output" "config.json"
  assert_contains "$output" "not a regular file"
  assert_nothing_left "$CID"
  mkfifo "$TEST_DIR/fifo"
  ln -sf "$TEST_DIR/fifo" "$BUNDLE/config.json"
  run timeout -s KILL 10 "$REG_RUNC" --root "$TEST_ROOT_STATE" create --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 137 ]
  [ "$status" -ne 0 ]
  assert_contains "$output" "not a regular file"
  assert_nothing_left "$CID"
}

# As runc: a config.json symlink to a regular file is read.
@test "config.json a symlink to a regular file is read" {
  mv "$BUNDLE/config.json" "$TEST_DIR/real.json"
  ln -s "$TEST_DIR/real.json" "$BUNDLE/config.json"
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_status 0
  run reg_runc delete --force "$CID"
  assert_status 0
}

@test "invalid config: not JSON" {
  echo '{"ociVersion": ' >"$BUNDLE/config.json"
  create_fails "$CID"
}

@test "invalid config: a wrong type, the message names the JSON path" {
  skip_if_runc
  update_config '.process.args = "notanarray"'
  create_fails "$CID"
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_contains "$output" "process.args"
}

@test "invalid config: a negative uid, the message names the JSON path" {
  skip_if_runc
  update_config '.process.user.uid = -1'
  create_fails "$CID"
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_contains "$output" "process.user.uid"
}

@test "invalid config: an unknown capability is rejected (runtime-spec)" {
  update_config '.process.capabilities.bounding += ["CAP_NOPE"]'
  run_detached create --bundle "$BUNDLE" "$CID"
  if is_runc && [ "$status" -eq 0 ]; then
    skip "runc 1.1 accepts an unknown capability (with a warning)"
  fi
  create_fails "$CID"
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_contains "$output" "CAP_NOPE"
}

@test "invalid config: an unknown namespace type" {
  update_config '.linux.namespaces += [{"type": "nosuchns"}]'
  create_fails "$CID"
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_contains "$output" "nosuchns"
}

@test "missing executable in PATH: executable file not found" {
  set_args nosuch
  create_fails "$CID"
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_contains "$output" "executable file not found"
  assert_contains "$output" "nosuch"
  assert_nothing_left "$CID"
}

@test "missing executable by absolute path: no such file or directory" {
  set_args /nosuch
  create_fails "$CID"
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_contains "$output" "/nosuch"
  assert_contains "$output" "no such file or directory"
}

@test "non-executable file by absolute path: permission denied at create" {
  # Podman maps "permission denied" to exit status 126; runc refuses at
  # create too, before the container could report 127 from execve.
  set_args /etc/passwd
  create_fails "$CID"
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_contains "$output" "/etc/passwd"
  assert_contains "$output" "permission denied"
}

@test "tmpcopyup over a directory nested too deeply: a clear error, nothing left" {
  local p=$ROOTFS/data
  for _ in $(seq 200); do p=$p/d; done
  mkdir -p "$p"
  update_config '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup"]}]'
  create_fails "$CID"
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_contains "$output" "tmpcopyup"
  assert_contains "$output" "nested deeper"
}

@test "run with a missing executable fails and leaves nothing" {
  set_args nosuch
  run reg_runc run --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "executable file not found"
  assert_nothing_left "$CID"
}

@test "failing mount: a bind source that does not exist" {
  update_config '.mounts += [{"destination": "/data", "type": "bind", "source": $s, "options": ["bind"]}]' --arg s "$TEST_DIR/nosuchsrc"
  create_fails "$CID"
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_contains "$output" "$TEST_DIR/nosuchsrc"
  assert_nothing_left "$CID"
}

@test "failing mount: an unknown filesystem type" {
  update_config '.mounts += [{"destination": "/data", "type": "nosuchfs", "source": "none"}]'
  create_fails "$CID"
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_contains "$output" "/data"
}

@test "failing create: --log-format json logs the error as JSON" {
  set_args nosuch
  run reg_runc --log "$TEST_DIR/log.json" --log-format json create --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  err=$(jq -r 'select(.level == "error") | .msg' "$TEST_DIR/log.json")
  assert_contains "$err" "executable file not found"
  assert_nothing_left "$CID"
}

@test "unknown flag" {
  run reg_runc create --nosuchflag --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "nosuchflag"
  assert_nothing_left "$CID"
}

@test "unknown global flag" {
  run "$REG_RUNC" --nosuchglobal list
  [ "$status" -ne 0 ]
  assert_contains "$output" "nosuchglobal"
}

@test "unknown command" {
  run reg_runc frobnicate "$CID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "frobnicate"
}

@test "a missing container id argument" {
  run reg_runc state
  [ "$status" -ne 0 ]
  [ -n "$output" ]
}

@test "global --rootless: true, false and auto are read; anything else is one clear error" {
  run reg_runc --rootless maybe list
  [ "$status" -ne 0 ]
  [ "$output" = "reg-runc: --rootless: expected \`true\`, \`false\` or \`auto\`, got \`maybe\`" ]
  for v in true false auto; do
    run reg_runc --rootless "$v" list -q
    assert_status 0
  done
}
