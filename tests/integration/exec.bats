#!/usr/bin/env bats
# exec: a second process in a running container: namespaces, root, cgroup,
# its own user/caps/env/cwd, the container's seccomp filter, exit status and
# signals, --detach with --pid-file, a tty through --console-socket,
# --process, the error cases, many execs at once.

load helpers

setup() {
  setup_bundle
  SOCK=$TEST_DIR/console.sock
  CONSOLE_OUT=$TEST_DIR/console.out
}

teardown() {
  local d
  # Sub-cgroups a test made for --cgroup: after the container is gone.
  if [ -n "${SUB_CGROUPS:-}" ]; then
    reg_runc delete --force "$CID" >/dev/null 2>&1 || true
    for d in $(leaked_cgroups); do
      [ -d "$d/sub" ] && rmdir "$d/sub"
    done
  fi
  teardown_bundle
}

# start_ctr: the container, running `probe sleep 1000` as its init; INIT_PID.
start_ctr() {
  set_args /bin/probe sleep 1000
  run_detached run -d --bundle "$BUNDLE" --pid-file "$TEST_DIR/init.pid" "$CID"
  assert_status 0
  INIT_PID=$(cat "$TEST_DIR/init.pid")
  [ "$(state_field "$CID" status)" = running ]
}

# ex ARGS...: exec in the foreground; $output the process's stdout, $stderr
# the runtime's and the process's stderr.
ex() {
  run --separate-stderr reg_runc exec "$@"
}

# init_ns NAME: the inode of the init's namespace NAME, seen from the host.
init_ns() {
  stat -L -c %i "/proc/$INIT_PID/ns/$1"
}

# procs: the pids in the container's cgroup (its first hierarchy).
procs() {
  local d
  d=$(leaked_cgroups | head -1)
  cat "$d/cgroup.procs"
}

@test "exec: the process is in every namespace of the init" {
  start_ctr
  ex "$CID" /bin/probe ns
  assert_status 0
  for n in mnt pid net ipc uts cgroup user time; do
    [ -e "/proc/$INIT_PID/ns/$n" ] || continue
    [ "$(value $n)" = "$(init_ns $n)" ]
  done
  [ "$(value pid)" != "$(host_ns pid)" ]
  [ "$(value mnt)" != "$(host_ns mnt)" ]
}

@test "exec: user and time namespaces are joined too" {
  [ -e /proc/self/ns/time ] || skip "the kernel has no time namespace"
  chmod 0755 "$TEST_DIR"
  update_config '.linux.namespaces += [{"type": "user"}, {"type": "time"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    | .mounts |= map(select(.destination != "/sys/fs/cgroup" and .destination != "/sys"))
    | .linux.maskedPaths |= map(select(startswith("/sys") | not))'
  start_ctr
  ex "$CID" /bin/probe ns
  assert_status 0
  [ "$(value user)" = "$(init_ns user)" ]
  [ "$(value user)" != "$(host_ns user)" ]
  [ "$(value time)" = "$(init_ns time)" ]
  [ "$(value time)" != "$(host_ns time)" ]
  ex "$CID" /bin/probe cat /proc/self/uid_map
  [ "$(echo $output)" = "0 100000 65536" ]
  ex "$CID" /bin/probe id
  [ "$(value uid)" = 0 ]
}

@test "exec: without pidfd setns (kernels before 5.8), through /proc/PID/ns" {
  [ -e /proc/self/ns/time ] || skip "the kernel has no time namespace"
  chmod 0755 "$TEST_DIR"
  update_config '.linux.namespaces += [{"type": "user"}, {"type": "time"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    | .mounts |= map(select(.destination != "/sys/fs/cgroup" and .destination != "/sys"))
    | .linux.maskedPaths |= map(select(startswith("/sys") | not))'
  start_ctr
  REG_RUNC_TEST_NO_PIDFD_SETNS=1 ex "$CID" /bin/probe ns
  assert_status 0
  for n in mnt pid net ipc uts cgroup user time; do
    [ -e "/proc/$INIT_PID/ns/$n" ] || continue
    [ "$(value $n)" = "$(init_ns $n)" ]
  done
  [ "$(value user)" != "$(host_ns user)" ]
}

@test "exec: the same root and cgroup as the init, a pid of the container's pid namespace" {
  start_ctr
  run_detached exec -d --pid-file "$TEST_DIR/exec.pid" "$CID" /bin/probe sleep 100
  assert_status 0
  pid=$(cat "$TEST_DIR/exec.pid")
  [ -d "/proc/$pid" ]
  [ "$(stat -L -c %d:%i "/proc/$pid/root/")" = "$(stat -L -c %d:%i "/proc/$INIT_PID/root/")" ]
  [ "$(stat -L -c %d:%i "/proc/$pid/root/")" != "$(stat -L -c %d:%i /)" ]
  [ "$(cat "/proc/$pid/cgroup")" = "$(cat "/proc/$INIT_PID/cgroup")" ]
  [ "$(stat -L -c %i "/proc/$pid/ns/pid")" = "$(init_ns pid)" ]
  # Two levels of pids: the host's (the pid file) and the container's.
  nspid=$(awk '/^NSpid:/ { print NF - 1 }' "/proc/$pid/status")
  [ "$nspid" -eq 2 ]
  [ "$(awk '/^NSpid:/ { print $2 }' "/proc/$pid/status")" = "$pid" ]
  # The process itself sees the container's cgroup: the root of its cgroup
  # namespace when it has one.
  ex "$CID" /bin/probe cgroup
  assert_status 0
  if jq -e '.linux.namespaces | any(.type == "cgroup")' "$BUNDLE/config.json" >/dev/null; then
    [ "$(stat -L -c %i "/proc/$pid/ns/cgroup")" = "$(init_ns cgroup)" ]
    diff <(echo "$output") <(sed 's|:/[^:]*$|:/|' "/proc/$INIT_PID/cgroup")
  else
    diff <(echo "$output") "/proc/$INIT_PID/cgroup"
  fi
  kill -9 "$pid"
}

@test "exec: the container's root also after create --no-pivot" {
  set_args /bin/probe sleep 1000
  run_detached run -d --no-pivot --bundle "$BUNDLE" --pid-file "$TEST_DIR/init.pid" "$CID"
  assert_status 0
  INIT_PID=$(cat "$TEST_DIR/init.pid")
  run_detached exec -d --pid-file "$TEST_DIR/exec.pid" "$CID" /bin/probe sleep 100
  assert_status 0
  pid=$(cat "$TEST_DIR/exec.pid")
  [ "$(stat -L -c %d:%i "/proc/$pid/root/")" = "$(stat -L -c %d:%i "/proc/$INIT_PID/root/")" ]
  ex "$CID" /bin/probe cat /etc/passwd
  assert_status 0
  assert_has_line "user:x:1000:1000:user:/home/user:/bin/sh"
  kill -9 "$pid"
}

@test "exec: into a REG minimal container: the minimized environment" {
  update_config '.annotations["run.reg.mode"] = "minimal" | .root.readonly = false'
  set_args /bin/probe sleep 1000
  run_detached --reg-root "$TEST_DIR/store" run -d --bundle "$BUNDLE" --pid-file "$TEST_DIR/init.pid" "$CID"
  assert_status 0
  INIT_PID=$(cat "$TEST_DIR/init.pid")
  ex "$CID" /bin/probe ns
  assert_status 0
  [ "$(value mnt)" = "$(init_ns mnt)" ]
  # Only what the entrypoint needs is there: no shell.
  ex "$CID" /bin/sh -c true
  [ "$status" -ne 0 ]
  assert_contains "$stderr" "no such file or directory"
  [ -x "$ROOTFS/bin/sh" ]
}

@test "exec: a container created with --cgroup-manager disabled" {
  set_args /bin/probe sleep 1000
  run_detached --cgroup-manager disabled run -d --bundle "$BUNDLE" --pid-file "$TEST_DIR/init.pid" "$CID"
  assert_status 0
  INIT_PID=$(cat "$TEST_DIR/init.pid")
  [ -z "$(leaked_cgroups)" ]
  run_detached exec -d --pid-file "$TEST_DIR/exec.pid" "$CID" /bin/probe sleep 100
  assert_status 0
  pid=$(cat "$TEST_DIR/exec.pid")
  [ "$(stat -L -c %i "/proc/$pid/ns/pid")" = "$(init_ns pid)" ]
  [ -z "$(leaked_cgroups)" ]
  kill -9 "$pid"
}

@test "exec: user, groups, cwd, env come from the flags" {
  start_ctr
  ex --user 1000:1000 --additional-gids 2000 --cwd /tmp --env FOO=bar --env PATH=/usr/bin:/bin "$CID" \
    /bin/sh -c '/bin/probe id; echo cwd=$(/bin/probe cwd); echo foo=$(/bin/probe env FOO); echo path=$PATH; echo home=$HOME'
  assert_status 0
  assert_has_line uid=1000
  assert_has_line gid=1000
  assert_has_line groups=2000
  assert_has_line cwd=/tmp
  assert_has_line foo=bar
  assert_has_line path=/usr/bin:/bin
  assert_has_line home=/home/user
  # Without flags: config.json's process (user 0, cwd /, its env).
  ex "$CID" /bin/sh -c '/bin/probe id; /bin/probe cwd; echo term=$TERM'
  assert_status 0
  assert_has_line uid=0
  assert_has_line /
  assert_has_line term=xterm
}

@test "exec: --user NAME is looked up in the container's /etc/passwd" {
  start_ctr
  ex --user user "$CID" /bin/probe id
  assert_status 0
  assert_has_line uid=1000
  assert_has_line gid=1000
}

@test "exec: capabilities are config.json's, --cap adds one, --no-new-privs" {
  start_ctr
  ex "$CID" /bin/probe caps
  assert_status 0
  # CAP_KILL (5), CAP_NET_BIND_SERVICE (10), CAP_AUDIT_WRITE (29).
  [ "$(value CapEff)" = 0000000020000420 ]
  [ "$(value CapBnd)" = 0000000020000420 ]
  ex --cap CAP_SYS_ADMIN "$CID" /bin/probe caps
  assert_status 0
  [ "$(value CapEff)" = 0000000020200420 ]
  ex "$CID" /bin/probe nnp
  [ "$(value NoNewPrivs)" = 1 ]
  # The config is the one of create: editing the bundle changes nothing.
  update_config '.process.noNewPrivileges = false | .process.capabilities = null'
  ex "$CID" /bin/probe nnp
  [ "$(value NoNewPrivs)" = 1 ]
  ex "$CID" /bin/probe caps
  [ "$(value CapEff)" = 0000000020000420 ]
}

@test "exec: --no-new-privs when config.json has none" {
  update_config '.process.noNewPrivileges = false'
  start_ctr
  ex "$CID" /bin/probe nnp
  assert_status 0
  [ "$(value NoNewPrivs)" = 0 ]
  ex --no-new-privs "$CID" /bin/probe nnp
  assert_status 0
  [ "$(value NoNewPrivs)" = 1 ]
}

@test "exec: the container's seccomp filter applies" {
  update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
  start_ctr
  ex "$CID" /bin/probe seccomp
  assert_status 0
  [ "$(value Seccomp)" = 2 ]
  ex "$CID" /bin/probe syscall mkdir
  assert_status 0
  [ "$output" = EPERM ]
  ex "$CID" /bin/probe syscall getpid
  [ "$output" = ok ]
}

@test "exec: a SCMP_ACT_NOTIFY filter hands the exec'd process's fd to listenerPath" {
  local sock=$TEST_DIR/listener.sock out=$TEST_DIR/listener
  python3 "$HELPERS_DIR/seccomp-listener.py" "$sock" "$out" 18 &
  BG_PIDS+=("$!")
  wait_file "$out.ready" 5 || [ -e "$out.ready" ]
  update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $s,
    "listenerMetadata": "exec-agent", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}' \
    --arg s "$sock"
  start_ctr
  wait_file "$out.state" 5
  # A second agent for the exec (the first one serves the init).
  rm -f "$sock" "$out.ready"
  python3 "$HELPERS_DIR/seccomp-listener.py" "$sock" "$out.exec" 18 &
  BG_PIDS+=("$!")
  listener=$!
  wait_file "$out.exec.ready" 5 || [ -e "$out.exec.ready" ]
  run_detached exec -d --pid-file "$TEST_DIR/exec.pid" "$CID" /bin/sh -c '/bin/probe syscall mkdir > /dev/shm/mkdir.out; /bin/probe sleep 100'
  assert_status 0
  pid=$(cat "$TEST_DIR/exec.pid")
  wait_file "$out.exec.state" 5
  jq -e --arg id "$CID" --argjson pid "$pid" --argjson init "$INIT_PID" '.fds == ["seccompFd"] and .pid == $pid
      and .metadata == "exec-agent" and .state.id == $id and .state.pid == $init' "$out.exec.state"
  # The agent answered -EXDEV.
  for i in $(seq 50); do [ -s "/proc/$pid/root/dev/shm/mkdir.out" ] && break; sleep 0.1; done
  [ "$(cat "/proc/$pid/root/dev/shm/mkdir.out")" = EXDEV ]
}

@test "exec: the exit status and a killing signal propagate" {
  start_ctr
  ex "$CID" /bin/probe exit 3
  assert_status 3
  ex "$CID" /bin/sh -c 'kill -TERM $$'
  assert_status 143
  ex "$CID" /bin/true
  assert_status 0
}

@test "exec: signals to the runtime reach the process" {
  start_ctr
  "$REG_RUNC" --root "$TEST_ROOT_STATE" exec "$CID" /bin/probe wait-signal >"$TEST_DIR/ws.out" 2>&1 &
  BG_PIDS+=("$!")
  rt=$!
  wait_file "$TEST_DIR/ws.out" 10
  kill -USR1 "$rt"
  rc=0
  wait "$rt" || rc=$?
  [ "$rc" -eq 10 ]
  grep -qx 'signal=10' "$TEST_DIR/ws.out"
}

@test "exec: --detach returns at once; the pid file holds the live host pid" {
  start_ctr
  run_detached exec --detach --pid-file "$TEST_DIR/exec.pid" "$CID" /bin/sh -c 'echo detached; exec /bin/probe sleep 100'
  assert_status 0
  pid=$(cat "$TEST_DIR/exec.pid")
  [ -d "/proc/$pid" ]
  grep -q "^$pid\$" <(procs)
  [ "$(stat -L -c %i "/proc/$pid/ns/mnt")" = "$(init_ns mnt)" ]
  kill -9 "$pid"
}

@test "exec: a tty through --console-socket" {
  start_ctr
  python3 "$HELPERS_DIR/console-receiver.py" "$SOCK" "$CONSOLE_OUT" &
  BG_PIDS+=("$!")
  receiver=$!
  wait_file "$CONSOLE_OUT.ready" 5 || [ -e "$CONSOLE_OUT.ready" ]
  run_detached exec -d --tty --console-socket "$SOCK" --pid-file "$TEST_DIR/exec.pid" "$CID" \
    /bin/sh -c '/bin/probe isatty 0; /bin/probe isatty 1; echo tty=$(readlink /proc/self/fd/0); /bin/probe stat /dev/pts/0'
  assert_status 0
  timeout 10 tail --pid="$receiver" -f /dev/null
  output=$(tr -d '\r' <"$CONSOLE_OUT")
  mapfile -t lines <<<"$output"
  [ "${lines[0]}" = 1 ]
  [ "${lines[1]}" = 1 ]
  # The pty of the container's own devpts instance.
  assert_has_line tty=/dev/pts/0
  assert_has_line type=char
  rdev=$(value rdev)
  [ "${rdev%%:*}" -ge 136 ]
  [ "${rdev%%:*}" -le 143 ]
}

@test "exec: consoleSize from --process" {
  start_ctr
  jq -n '{terminal: true, consoleSize: {height: 33, width: 77}, user: {uid: 0, gid: 0},
          args: ["/bin/probe", "winsize"], env: ["PATH=/bin"], cwd: "/"}' >"$TEST_DIR/process.json"
  python3 "$HELPERS_DIR/console-receiver.py" "$SOCK" "$CONSOLE_OUT" &
  BG_PIDS+=("$!")
  receiver=$!
  wait_file "$CONSOLE_OUT.ready" 5 || [ -e "$CONSOLE_OUT.ready" ]
  run_detached exec --detach --process "$TEST_DIR/process.json" --console-socket "$SOCK" "$CID"
  assert_status 0
  timeout 10 tail --pid="$receiver" -f /dev/null
  output=$(tr -d '\r' <"$CONSOLE_OUT")
  mapfile -t lines <<<"$output"
  assert_has_line rows=33
  assert_has_line cols=77
}

@test "exec: --process with a process.json, flags override it" {
  start_ctr
  jq -n '{terminal: false, user: {uid: 1000, gid: 1000}, args: ["/bin/sh", "-c", "/bin/probe id; /bin/probe cwd; /bin/probe env X"],
          env: ["PATH=/bin", "X=from-file"], cwd: "/home/user"}' >"$TEST_DIR/process.json"
  ex --process "$TEST_DIR/process.json" "$CID"
  assert_status 0
  assert_has_line uid=1000
  assert_has_line /home/user
  assert_has_line from-file
  ex --process "$TEST_DIR/process.json" --env X=from-flag --cwd /tmp "$CID"
  assert_status 0
  assert_has_line from-flag
  assert_has_line /tmp
  # An invalid one names the field.
  echo '{"args": ["x"], "cwd": "relative"}' >"$TEST_DIR/bad.json"
  ex --process "$TEST_DIR/bad.json" "$CID"
  [ "$status" -ne 0 ]
  assert_contains "$stderr" cwd
}

@test "exec: the process.json files Podman and containerd write" {
  update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]'
  start_ctr
  # Podman: uid 1000, cwd /tmp, "HOME=" to be filled in, its own rlimits.
  jq '.args = ["/bin/sh", "-c", "/bin/probe id; /bin/probe cwd; echo home=$HOME; echo foo=$FOO; /bin/probe rlimit nofile"]
      | .rlimits[0].hard = 1000 | .rlimits[0].soft = 1000 | del(.rlimits[1])' \
    "$SRCDIR/tests/data/samples/podman/exec-process.json" >"$TEST_DIR/podman.json"
  ex --process "$TEST_DIR/podman.json" "$CID"
  assert_status 0
  assert_has_line uid=1000
  assert_has_line gid=0
  assert_has_line /tmp
  assert_has_line home=/home/user
  assert_has_line foo=bar
  assert_has_line "1000 1000"
  # containerd's CRI exec: root with additionalGids and oomScoreAdj 0.
  jq '.args = ["/bin/sh", "-c", "echo exec-sync-ok; /bin/probe oom; /bin/probe id"]' \
    "$SRCDIR/tests/data/samples/containerd/cri-exec-process.json" >"$TEST_DIR/cri.json"
  echo 300 >"/proc/$INIT_PID/oom_score_adj"
  ex --process "$TEST_DIR/cri.json" "$CID"
  assert_status 0
  [ "${lines[0]}" = exec-sync-ok ]
  [ "${lines[1]}" = 0 ]
  assert_has_line uid=0
}

@test "exec: a missing container" {
  ex nosuch /bin/true
  [ "$status" -ne 0 ]
  assert_contains "$stderr" 'container "nosuch" does not exist'
}

@test "exec: a stopped container" {
  set_args /bin/true
  run_detached run -d --bundle "$BUNDLE" "$CID"
  assert_status 0
  wait_status "$CID" stopped
  ex "$CID" /bin/true
  [ "$status" -ne 0 ]
  assert_contains "$stderr" "container \"$CID\" is not running"
}

@test "exec: a missing executable: Go's message, nothing left, the container still runs" {
  start_ctr
  ex "$CID" nosuch
  [ "$status" -ne 0 ]
  assert_contains "$stderr" 'exec: "nosuch": executable file not found in $PATH'
  ex "$CID" /nosuch/x
  [ "$status" -ne 0 ]
  assert_contains "$stderr" "no such file or directory"
  [ "$(state_field "$CID" status)" = running ]
  [ "$(procs)" = "$INIT_PID" ]
}

@test "exec: --process a FIFO nobody writes to fails at once, nothing left, the container still runs" {
  start_ctr
  mkfifo "$TEST_DIR/process.json"
  run timeout -s KILL 10 "$REG_RUNC" --root "$TEST_ROOT_STATE" exec --process "$TEST_DIR/process.json" "$CID"
  [ "$status" -ne 137 ] # not killed by timeout
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  assert_contains "$output" "process.json"
  assert_contains "$output" "nothing to read"
  [ "$(state_field "$CID" status)" = running ]
  [ "$(procs)" = "$INIT_PID" ]
}

@test "exec: an unknown user name; bad flags" {
  start_ctr
  ex --user nosuchuser "$CID" /bin/true
  [ "$status" -ne 0 ]
  assert_contains "$stderr" "unable to find user nosuchuser"
  ex --env NOEQUALS "$CID" /bin/true
  [ "$status" -ne 0 ]
  assert_contains "$stderr" "--env"
  ex --cap CAP_NOSUCH "$CID" /bin/true
  [ "$status" -ne 0 ]
  assert_contains "$stderr" CAP_NOSUCH
  ex "$CID"
  [ "$status" -ne 0 ]
  [ "$(state_field "$CID" status)" = running ]
  [ "$(procs)" = "$INIT_PID" ]
}

@test "exec: a paused container" {
  start_ctr
  run reg_runc pause "$CID"
  assert_status 0
  ex "$CID" /bin/true
  [ "$status" -ne 0 ]
  assert_contains "$stderr" "cannot exec in a paused container"
  [ "$(procs)" = "$INIT_PID" ]
  run reg_runc resume "$CID"
  assert_status 0
  ex "$CID" /bin/true
  assert_status 0
}

@test "exec: --cgroup runs in a sub-cgroup; a missing one is an error" {
  start_ctr
  ex --cgroup nosuch "$CID" /bin/true
  [ "$status" -ne 0 ]
  assert_contains "$stderr" "--cgroup"
  [ "$(procs)" = "$INIT_PID" ]
  SUB_CGROUPS=1
  for d in $(leaked_cgroups); do
    mkdir "$d/sub"
    # v1 cpuset: a cgroup without cpus and mems takes no process.
    for f in cpuset.cpus cpuset.mems; do
      [ -e "$d/$f" ] && cat "$d/$f" >"$d/sub/$f"
    done
  done
  run_detached exec -d --cgroup sub --pid-file "$TEST_DIR/exec.pid" "$CID" /bin/probe sleep 100
  assert_status 0
  pid=$(cat "$TEST_DIR/exec.pid")
  # In the sub-cgroup of every hierarchy.
  n=$(wc -l <"/proc/$pid/cgroup")
  [ "$(grep -c "/$CG_NAME/sub\$" "/proc/$pid/cgroup")" -eq "$n" ]
  kill -9 "$pid"
  while [ -d "/proc/$pid" ]; do sleep 0.1; done
  for d in $(leaked_cgroups); do
    rmdir "$d/sub"
  done
}

@test "exec: --tty without --console-socket uses the caller's stdio" {
  start_ctr
  ex --tty "$CID" /bin/sh -c '/bin/probe isatty 0; /bin/probe isatty 1; echo done'
  assert_status 0
  output=$(tr -d '\r' <<<"$output")
  mapfile -t lines <<<"$output"
  [ "${lines[0]}" = 1 ]
  [ "${lines[1]}" = 1 ]
  assert_has_line done
  # Without --tty: the caller's stdio itself, not a tty.
  ex "$CID" /bin/probe isatty 1
  [ "$output" = 0 ]
  # A detached tty needs somewhere to send the pty.
  ex -d --tty "$CID" /bin/true
  [ "$status" -ne 0 ]
  assert_contains "$stderr" "--console-socket"
}

@test "exec: --preserve-fds passes fds on, and only those" {
  start_ctr
  ex "$CID" /bin/probe fds
  assert_status 0
  [ "${#lines[@]}" -eq 3 ]
  # fds 3 and 4 open in the runtime, 5 too: only 3 and 4 reach the process.
  ex_fds() {
    "$REG_RUNC" --root "$TEST_ROOT_STATE" exec --preserve-fds 2 "$CID" /bin/sh -c '/bin/probe fds; echo via-fd4 >&4' \
      3>"$TEST_DIR/fd3" 4>"$TEST_DIR/fd4" 5>"$TEST_DIR/fd5"
  }
  run --separate-stderr ex_fds
  assert_status 0
  [ "${#lines[@]}" -eq 5 ]
  [ "$(cat "$TEST_DIR/fd4")" = via-fd4 ]
}

@test "exec: into a created container (its init waits for start)" {
  set_args /bin/probe sleep 1000
  run_detached create --bundle "$BUNDLE" --pid-file "$TEST_DIR/init.pid" "$CID"
  assert_status 0
  INIT_PID=$(cat "$TEST_DIR/init.pid")
  ex "$CID" /bin/probe ns
  assert_status 0
  [ "$(value mnt)" = "$(init_ns mnt)" ]
  [ "$(value pid)" = "$(init_ns pid)" ]
  [ "$(state_field "$CID" status)" = created ]
}

@test "exec: 50 concurrent execs into one container all succeed" {
  start_ctr
  for i in $(seq 1 50); do
    reg_runc exec "$CID" /bin/sh -c "echo $i" >"$TEST_DIR/c$i.out" 2>"$TEST_DIR/c$i.err" &
    pids[$i]=$!
  done
  fails=0
  for i in $(seq 1 50); do
    wait "${pids[$i]}" || { fails=$((fails + 1)); cat "$TEST_DIR/c$i.err" >&2; }
  done
  [ "$fails" -eq 0 ]
  for i in $(seq 1 50); do
    [ "$(cat "$TEST_DIR/c$i.out")" = "$i" ]
  done
  [ "$(procs)" = "$INIT_PID" ]
}
