#!/usr/bin/env bats
# End-to-end smoke tests of the container lifecycle: run, exit status,
# create/start/state/kill/delete, errors.  Needs root and busybox-static.

setup_file() {
  [ "$(id -u)" = 0 ] || skip "needs root"
  BB=$(command -v busybox) || skip "needs busybox (busybox-static)"
  export SMOKE_DIR=$(mktemp -d /tmp/reg-smoke.XXXXXX)
  chmod 755 "$SMOKE_DIR"
  mkdir -p "$SMOKE_DIR/rootfs/bin" "$SMOKE_DIR/rootfs/proc" "$SMOKE_DIR/rootfs/dev" "$SMOKE_DIR/rootfs/sys"
  cp "$BB" "$SMOKE_DIR/rootfs/bin/busybox"
  for a in $("$SMOKE_DIR/rootfs/bin/busybox" --list); do
    [ "$a" = busybox ] || ln -s busybox "$SMOKE_DIR/rootfs/bin/$a"
  done
  (cd "$SMOKE_DIR" && "$REG_RUNC" spec)
  jq --arg r "$SMOKE_DIR/rootfs" '.root.path = $r | .process.terminal = false' "$SMOKE_DIR/config.json" \
    > "$SMOKE_DIR/base.json"
}

teardown_file() {
  [ -n "${SMOKE_DIR:-}" ] || return 0
  for id in $(ls "$SMOKE_DIR/state" 2>/dev/null); do
    "$REG_RUNC" --root "$SMOKE_DIR/state" delete --force "$id" || true
  done
  rm -rf "$SMOKE_DIR"
}

setup() {
  [ "$(id -u)" = 0 ] || skip "needs root"
  ID="smoke-$BATS_TEST_NUMBER-$$"
  STATE="$SMOKE_DIR/state"
  BUNDLE="$SMOKE_DIR/bundle-$BATS_TEST_NUMBER"
  mkdir -p "$BUNDLE"
}

teardown() {
  "$REG_RUNC" --root "$STATE" delete --force "$ID" 2>/dev/null || true
  rm -rf "$BUNDLE"
}

# config.json for the test: the base with a jq filter (and jq options
# before it) applied.
config() {
  jq "$@" "$SMOKE_DIR/base.json" > "$BUNDLE/config.json"
}

rr() {
  "$REG_RUNC" --root "$STATE" "$@"
}

nothing_left() {
  [ ! -e "$STATE/$ID" ]
  for d in /sys/fs/cgroup/*/reg-runc/"$ID" /sys/fs/cgroup/reg-runc/"$ID"; do
    [ ! -e "$d" ]
  done
}

@test "run: the container's output and exit status 0" {
  config '.process.args = ["echo", "hello from inside"]'
  run rr run --bundle "$BUNDLE" "$ID" < /dev/null
  [ "$status" -eq 0 ]
  [ "$output" = "hello from inside" ]
  nothing_left
}

@test "run: the container's process is pid 1 with the config's hostname" {
  config '.process.args = ["sh", "-c", "echo $$ $(hostname)"] | .hostname = "smokehost"'
  run rr run -b "$BUNDLE" "$ID" < /dev/null
  [ "$status" -eq 0 ]
  [ "$output" = "1 smokehost" ]
}

@test "run: exit status of the container, 128+signal when killed" {
  config '.process.args = ["sh", "-c", "exit 7"]'
  run rr run --bundle "$BUNDLE" "$ID" < /dev/null
  [ "$status" -eq 7 ]
  # pid 1 of a pid namespace cannot SIGKILL itself: kill it from outside,
  # through `kill`, while `run` waits.
  config '.process.args = ["sleep", "60"]'
  rr run --bundle "$BUNDLE" "$ID" < /dev/null > /dev/null 2>&1 &
  runpid=$!
  for i in $(seq 50); do
    [ "$(rr state "$ID" 2>/dev/null | jq -r .status)" = running ] && break
    sleep 0.1
  done
  rr kill "$ID" 9
  status=0
  wait $runpid || status=$?
  [ "$status" -eq 137 ]
  nothing_left
}

@test "create/start/state/kill/delete: statuses and pid file" {
  config '.process.args = ["sleep", "60"]'
  rr create --bundle "$BUNDLE" --pid-file "$BUNDLE/pid" "$ID" < /dev/null > /dev/null 2>&1
  run rr state "$ID"
  [ "$status" -eq 0 ]
  [ "$(jq -r .status <<< "$output")" = created ]
  [ "$(jq -r .pid <<< "$output")" = "$(cat "$BUNDLE/pid")" ]
  [ "$(jq -r .id <<< "$output")" = "$ID" ]
  [ "$(jq -r .bundle <<< "$output")" = "$BUNDLE" ]
  # The init waits before exec: it is not sleep yet.
  [ "$(cat /proc/$(cat "$BUNDLE/pid")/comm)" != sleep ]
  run rr list -q
  [[ "$output" == *"$ID"* ]]

  rr start "$ID"
  [ "$(rr state "$ID" | jq -r .status)" = running ]
  [ "$(cat /proc/$(cat "$BUNDLE/pid")/comm)" = sleep ]
  run rr start "$ID"
  [ "$status" -ne 0 ]
  run rr delete "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"not stopped"* ]]

  rr kill "$ID" KILL
  for i in $(seq 50); do
    [ "$(rr state "$ID" | jq -r .status)" = stopped ] && break
    sleep 0.1
  done
  [ "$(rr state "$ID" | jq -r .status)" = stopped ]
  run rr kill "$ID" TERM
  [ "$status" -ne 0 ]
  [[ "$output" == *"container not running"* ]]
  rr delete "$ID"
  nothing_left
}

@test "delete: a created container is deleted, its init killed" {
  config '.process.args = ["true"]'
  rr create --bundle "$BUNDLE" --pid-file "$BUNDLE/pid" "$ID" < /dev/null > /dev/null 2>&1
  pid=$(cat "$BUNDLE/pid")
  [ -d /proc/$pid ]
  rr delete "$ID"
  nothing_left
  for i in $(seq 50); do
    { [ ! -d /proc/$pid ] || grep -q '^State:.*Z' /proc/$pid/status; } && break
    sleep 0.1
  done
  [ ! -d /proc/$pid ] || grep -q '^State:.*Z' /proc/$pid/status
}

@test "errors: invalid id, missing container, existing id" {
  config '.process.args = ["true"]'
  run rr create --bundle "$BUNDLE" "a/b"
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == 'invalid container id "a/b": '* ]]
  run rr state nosuch-container
  [ "$status" -eq 1 ]
  [ "$output" = 'container "nosuch-container" does not exist' ]
  run rr delete nosuch-container
  [ "$status" -ne 0 ]
  [[ "$output" == *"does not exist"* ]]
  run rr delete --force nosuch-container
  [ "$status" -eq 0 ]

  config '.process.args = ["sleep", "60"]'
  rr create --bundle "$BUNDLE" "$ID" < /dev/null > /dev/null 2>&1
  run rr create --bundle "$BUNDLE" "$ID"
  [ "$status" -ne 0 ]
  [ "$output" = "container \"$ID\" already exists" ]
  rr delete --force "$ID"
  nothing_left
}

@test "errors: a missing executable fails create and leaves nothing behind" {
  config '.process.args = ["nosuch"]'
  run rr create --bundle "$BUNDLE" "$ID" < /dev/null
  [ "$status" -ne 0 ]
  [ "$output" = 'exec: "nosuch": executable file not found in $PATH' ]
  nothing_left
}

@test "errors: a failing mount names the mount and leaves nothing behind" {
  config '.process.args = ["true"] | .mounts += [{"destination": "/mnt", "type": "bind", "source": "/nonexistent-smoke"}]'
  run rr run --bundle "$BUNDLE" "$ID" < /dev/null
  [ "$status" -ne 0 ]
  [[ "$output" == *'mount "/nonexistent-smoke" to "/mnt"'* ]]
  nothing_left
}

@test "errors: --log-format json writes the error as a JSON line" {
  config '.process.args = ["nosuch"]'
  run rr --log "$BUNDLE/log.json" --log-format json create --bundle "$BUNDLE" "$ID" < /dev/null
  [ "$status" -ne 0 ]
  [ "$(jq -r .level "$BUNDLE/log.json")" = error ]
  [[ "$(jq -r .msg "$BUNDLE/log.json")" == *"executable file not found"* ]]
}

@test "kill: signal names and numbers reach the container's init" {
  config '.process.args = ["sh", "-c", "trap \"echo got-usr1; exit 5\" USR1; while :; do sleep 0.1; done"]'
  rr run -d --bundle "$BUNDLE" --pid-file "$BUNDLE/pid" "$ID" < /dev/null > "$BUNDLE/out" 2>&1
  [ "$(rr state "$ID" | jq -r .status)" = running ]
  sleep 0.3
  rr kill "$ID" SIGUSR1
  for i in $(seq 50); do
    [ "$(rr state "$ID" | jq -r .status)" = stopped ] && break
    sleep 0.1
  done
  grep -q got-usr1 "$BUNDLE/out"
  run rr kill "$ID" foo
  [ "$status" -ne 0 ]
  [[ "$output" == *'unknown signal "foo"'* ]]
  rr delete "$ID"
  nothing_left
}

@test "hooks: run in order with the state on stdin; a failing createRuntime fails create" {
  hook="$BUNDLE/hook.sh"
  printf '#!/bin/sh\necho "$1 $(jq -r .status)" >> %s/hooks.log\n' "$BUNDLE" > "$hook"
  chmod +x "$hook"
  config --arg h "$hook" '.process.args = ["true"] | .hooks = {
    prestart: [{path: $h, args: ["h", "prestart"]}],
    createRuntime: [{path: $h, args: ["h", "createRuntime"]}],
    poststart: [{path: $h, args: ["h", "poststart"]}],
    poststop: [{path: $h, args: ["h", "poststop"]}]}'
  rr run --bundle "$BUNDLE" "$ID" < /dev/null
  run cat "$BUNDLE/hooks.log"
  [ "$output" = "prestart creating
createRuntime creating
poststart running
poststop stopped" ]

  config '.process.args = ["true"] | .hooks = {createRuntime: [{path: "/bin/false"}]}'
  run rr run --bundle "$BUNDLE" "$ID" < /dev/null
  [ "$status" -ne 0 ]
  [[ "$output" == *"createRuntime hook"* ]]
  nothing_left
}

@test "start: a config without process is created but cannot start" {
  config 'del(.process)'
  rr create --bundle "$BUNDLE" "$ID" < /dev/null
  [ "$(rr state "$ID" | jq -r .status)" = created ]
  run rr start "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"has no process"* ]]
  rr delete "$ID"
  nothing_left
}

@test "--version names the commit of the source tree it was built from" {
  local want=unknown
  if git -C "$SRCDIR" rev-parse HEAD >/dev/null 2>&1; then
    want=$(git -C "$SRCDIR" rev-parse HEAD)
  fi
  run "$REG_RUNC" --version
  [ "$status" -eq 0 ]
  echo "$output"
  [[ "$output" == *"commit: $want"* ]]
}
