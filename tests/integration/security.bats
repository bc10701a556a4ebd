#!/usr/bin/env bats
# Process security: capabilities, seccomp, no_new_privileges, rlimits, user
# namespaces, LSM checks; each asserted from inside the container with the
# probe, and each invalid value refused by create with nothing left behind.

load helpers

setup() {
  setup_bundle
}

teardown() {
  teardown_bundle
  # a delegated cgroup tree of a rootless test, leaves first
  if [ -n "${DELEG:-}" ]; then
    local m
    for m in $(cgroup_mounts); do
      [ -d "$m/$DELEG" ] && find "$m/$DELEG" -depth -type d -exec rmdir {} + 2>/dev/null
    done
  fi
  return 0
}

# cgroup_mounts: every cgroup hierarchy mounted under /sys/fs/cgroup.
cgroup_mounts() {
  findmnt -rn -o TARGET,FSTYPE -R /sys/fs/cgroup | awk '$2 == "cgroup" || $2 == "cgroup2" { print $1 }'
}

# CAP_CHOWN = 0 (0x1), CAP_KILL = 5 (0x20), CAP_NET_BIND_SERVICE = 10 (0x400).

# create_refused MESSAGE: create fails with MESSAGE and leaves nothing.
create_refused() {
  run_detached create --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "$1"
  run reg_runc state "$CID"
  [ "$status" -ne 0 ]
  assert_nothing_left "$CID"
  [ -z "$(ls "$TEST_ROOT_STATE")" ]
}

# seccomp JSON: linux.seccomp.
seccomp() {
  update_config '.linux.seccomp = $s' --argjson s "$1"
}

# A profile allowing everything but RULES (a JSON array of syscall rules).
seccomp_rules() {
  seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": $1}"
}

# --- capabilities ------------------------------------------------------

@test "capabilities: root gets each configured set" {
  update_config '.process.capabilities = {
      "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_KILL"], "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "inheritable": ["CAP_NET_BIND_SERVICE"], "ambient": ["CAP_NET_BIND_SERVICE"]}
    | .process.noNewPrivileges = true'
  run_probe caps
  assert_status 0
  # capabilities(7): for uid 0 execve makes permitted (and effective)
  # inheritable | bounding, but no_new_privs keeps it within the permitted
  # set configured; inheritable, bounding and ambient are kept as set.
  [ "$(value CapBnd)" = 0000000000000421 ]
  [ "$(value CapInh)" = 0000000000000400 ]
  [ "$(value CapPrm)" = 0000000000000420 ]
  [ "$(value CapEff)" = 0000000000000420 ]
  [ "$(value CapAmb)" = 0000000000000400 ]
  # Without no_new_privs root gets the whole bounding set (CAP_CHOWN too).
  update_config '.process.noNewPrivileges = false'
  run_probe caps
  assert_status 0
  [ "$(value CapPrm)" = 0000000000000421 ]
  [ "$(value CapEff)" = 0000000000000421 ]
}

@test "capabilities: a non-root user keeps ambient capabilities" {
  update_config '.process.user = {"uid": 1000, "gid": 1000}
    | .process.capabilities = {"bounding": ["CAP_NET_BIND_SERVICE"], "effective": ["CAP_NET_BIND_SERVICE"],
        "permitted": ["CAP_NET_BIND_SERVICE"], "inheritable": ["CAP_NET_BIND_SERVICE"],
        "ambient": ["CAP_NET_BIND_SERVICE"]}'
  run_probe caps
  assert_status 0
  [ "$(value CapBnd)" = 0000000000000400 ]
  [ "$(value CapInh)" = 0000000000000400 ]
  [ "$(value CapPrm)" = 0000000000000400 ]
  [ "$(value CapEff)" = 0000000000000400 ]
  [ "$(value CapAmb)" = 0000000000000400 ]
  run_probe id
  [ "$(value euid)" = 1000 ]
}

@test "capabilities: a non-root user without ambient has none after exec" {
  update_config '.process.user = {"uid": 1000, "gid": 1000}
    | .process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
  run_probe caps
  assert_status 0
  [ "$(value CapBnd)" = 0000000000000020 ]
  [ "$(value CapEff)" = 0000000000000000 ]
  [ "$(value CapPrm)" = 0000000000000000 ]
}

@test "capabilities: the bounding set is dropped for good" {
  update_config '.process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
  run_probe caps
  assert_status 0
  [ "$(value CapBnd)" = 0000000000000020 ]
  [ "$(value CapEff)" = 0000000000000020 ]
  # Without CAP_CHOWN even root cannot give a file away.
  set_args /bin/sh -c 'touch /tmp/f && chown 1000 /tmp/f'
  update_config '.root.readonly = false'
  run --separate-stderr reg_runc run --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
}

@test "capabilities: none configured leaves root's capabilities as they are" {
  update_config 'del(.process.capabilities)'
  run_probe caps
  assert_status 0
  [ "$(value CapBnd)" = "$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)" ]
  [ "$(value CapEff)" = "$(awk '/^CapEff:/ { print $2 }' /proc/self/status)" ]
  [ "$(value CapAmb)" = 0000000000000000 ]
}

@test "capabilities: none configured, a non-root user has none" {
  update_config 'del(.process.capabilities) | .process.user = {"uid": 1000, "gid": 1000}'
  run_probe caps
  assert_status 0
  [ "$(value CapEff)" = 0000000000000000 ]
  [ "$(value CapPrm)" = 0000000000000000 ]
  [ "$(value CapBnd)" = "$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)" ]
}

# --- no_new_privileges, rlimits ------------------------------------------

@test "noNewPrivileges: true and false" {
  update_config '.process.noNewPrivileges = true'
  run_probe nnp
  assert_status 0
  [ "$(value NoNewPrivs)" = 1 ]
  update_config '.process.noNewPrivileges = false'
  run_probe nnp
  assert_status 0
  [ "$(value NoNewPrivs)" = 0 ]
}

@test "rlimits: each configured limit" {
  update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654},
      {"type": "RLIMIT_CORE", "soft": 0, "hard": 4096}, {"type": "RLIMIT_NPROC", "soft": 500, "hard": 600}]'
  run_probe rlimit NOFILE
  [ "$output" = "321 654" ]
  run_probe rlimit CORE
  [ "$output" = "0 4096" ]
  run_probe rlimit NPROC
  [ "$output" = "500 600" ]
}

# --- seccomp -------------------------------------------------------------

@test "seccomp: SCMP_ACT_ERRNO gives EPERM, errnoRet another errno" {
  seccomp_rules '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]'
  run_probe seccomp
  assert_status 0
  [ "$(value Seccomp)" = 2 ]
  run_probe syscall mkdir
  assert_status 0
  [ "$output" = EPERM ]
  run_probe syscall getpid
  [ "$output" = ok ]
  seccomp_rules '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]'
  run_probe syscall mkdir
  assert_status 0
  [ "$output" = ENOSYS ]
}

@test "seccomp: no filter without linux.seccomp" {
  update_config 'del(.linux.seccomp)'
  run_probe seccomp
  assert_status 0
  [ "$(value Seccomp)" = 0 ]
}

@test "seccomp: SCMP_ACT_KILL kills the process with SIGSYS" {
  seccomp_rules '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL"}]'
  run_probe syscall mkdir
  assert_status 159
  [ -z "$output" ]
  seccomp_rules '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]'
  run_probe syscall mkdir
  assert_status 159
}

@test "seccomp: SCMP_ACT_TRAP sends SIGSYS" {
  seccomp_rules '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_TRAP"}]'
  run_probe syscall mkdir
  assert_status 159
  run_probe syscall getpid
  assert_status 0
  [ "$output" = ok ]
}

@test "seccomp: SCMP_ACT_LOG allows the call" {
  seccomp_rules '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_LOG"}]'
  update_config '.root.readonly = false'
  run_probe syscall mkdir
  assert_status 0
  [ "$output" = ok ]
  run_probe seccomp
  [ "$(value Seccomp)" = 2 ]
}

@test "seccomp: argument filters, several arguments and SCMP_CMP_MASKED_EQ" {
  # personality(0xffffffff) only queries; the probe calls exactly that.
  seccomp_rules '[{"names": ["personality"], "action": "SCMP_ACT_ERRNO",
      "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}]}]'
  run_probe syscall personality
  [ "$output" = EPERM ]
  seccomp_rules '[{"names": ["personality"], "action": "SCMP_ACT_ERRNO",
      "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]'
  run_probe syscall personality
  [ "$output" = ok ]
  # socket(AF_UNIX = 1, SOCK_STREAM = 1, 0): both arguments must match.
  seccomp_rules '[{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 97,
      "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
               {"index": 1, "value": 15, "valueTwo": 1, "op": "SCMP_CMP_MASKED_EQ"}]}]'
  run_probe syscall socket
  [ "$output" = EAFNOSUPPORT ]
  seccomp_rules '[{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 97,
      "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
               {"index": 1, "value": 15, "valueTwo": 2, "op": "SCMP_CMP_MASKED_EQ"}]}]'
  run_probe syscall socket
  [ "$output" = ok ]
}

@test "seccomp: defaultAction SCMP_ACT_ERRNO with defaultErrnoRet" {
  # Everything the static probe needs to start, print and exit is allowed;
  # mkdir is not, and fails with the default errno (EXDEV = 18).
  seccomp '{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 18, "syscalls": [{"action": "SCMP_ACT_ALLOW",
      "names": ["execve", "brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq", "prlimit64",
                "readlink", "readlinkat", "getrandom", "mprotect", "mmap", "munmap", "write", "writev",
                "exit", "exit_group", "fstat", "newfstatat", "statx", "ioctl", "uname", "futex",
                "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "close", "openat", "read", "fcntl",
                "lseek", "getpid", "sigaltstack", "getuid", "geteuid", "getgid", "getegid"]}]}'
  run_probe syscall mkdir
  assert_status 0
  [ "$output" = EXDEV ]
  run_probe syscall getpid
  [ "$output" = ok ]
}

@test "seccomp: a non-root user without no_new_privileges (filter loaded before the uid change)" {
  # Loading a filter needs no_new_privs or CAP_SYS_ADMIN, which uid 1000
  # loses: the filter goes in while the init is still root.
  update_config '.process.user = {"uid": 1000, "gid": 1000} | .process.noNewPrivileges = false'
  seccomp_rules '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]'
  run_probe syscall mkdir
  assert_status 0
  [ "$output" = EPERM ]
  run_probe nnp
  [ "$(value NoNewPrivs)" = 0 ]
  run_probe id
  [ "$(value euid)" = 1000 ]
}

@test "seccomp: Podman's default profile loads and works" {
  local sample=$SRCDIR/tests/data/samples/podman/config-run-rm-true.json
  [ -r "$sample" ] || skip "no Podman sample config ($sample)"
  seccomp "$(jq -c .linux.seccomp "$sample")"
  update_config '.root.readonly = false'
  # add_key (248) is in no rule: the profile's default errno, ENOSYS.
  set_args /bin/sh -c 'mkdir /tmp/d && ls / >/dev/null && /bin/probe syscall nr:248 && /bin/probe seccomp'
  run --separate-stderr reg_runc run --bundle "$BUNDLE" "$CID"
  assert_status 0
  assert_has_line ENOSYS
  assert_has_line Seccomp=2
}

@test "seccomp: SCMP_ACT_NOTIFY hands the fd to listenerPath with the state" {
  local sock=$TEST_DIR/listener.sock out=$TEST_DIR/listener
  python3 "$HELPERS_DIR/seccomp-listener.py" "$sock" "$out" 18 &
  BG_PIDS+=("$!")
  listener=$!
  wait_file "$out.ready" 5 || [ -e "$out.ready" ]
  seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$sock\",
      \"listenerMetadata\": \"hello-agent\",
      \"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
  set_args /bin/probe syscall mkdir
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_status 0
  pid=$(state_field "$CID" pid)
  # The agent got the fd while the container was being created.
  wait_file "$out.state" 5
  jq -e --arg id "$CID" --argjson pid "$pid" '._nfds == 1 and .fds == ["seccompFd"] and .pid == $pid
      and .metadata == "hello-agent" and .state.status == "creating" and .state.id == $id
      and .state.pid == $pid and (.ociVersion | length > 0)' "$out.state"
  run reg_runc start "$CID"
  assert_status 0
  wait_status "$CID" stopped
  # The agent answered -EXDEV: only it can have produced that errno.
  [ "$(ctr_out)" = EXDEV ]
  timeout 10 tail --pid="$listener" -f /dev/null
  grep -Eq '^nr=(83|258) pid=[0-9]+$' "$out.log"
}

# --- user namespace ------------------------------------------------------

@test "user namespace: several uid and gid ranges" {
  user_ns
  run_probe cat /proc/self/uid_map
  assert_status 0
  [ "$(echo "$output" | awk '{ print $1, $2, $3 }' | tr '\n' ';')" = "0 100000 1000;1000 201000 1000;" ]
  run_probe cat /proc/self/gid_map
  [ "$(echo "$output" | awk '{ print $1, $2, $3 }' | tr '\n' ';')" = "0 100000 1000;1000 201000 1000;" ]
  run_probe id
  [ "$(value uid)" = 0 ]
}

@test "user namespace: the root is owned by the mapped root, a user maps too" {
  user_ns
  run_probe stat /
  assert_status 0
  [ "$(value uid)" = 0 ]
  [ "$(value gid)" = 0 ]
  update_config '.process.user = {"uid": 1000, "gid": 1000}'
  run_probe stat /home/user
  [ "$(value uid)" = 1000 ]
  run_probe id
  [ "$(value uid)" = 1000 ]
}

@test "user namespace: proc and tmpfs mounted by the namespace's root" {
  user_ns
  update_config '.mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["mode=700"]}]
    | .root.readonly = false'
  mkdir -p "$ROOTFS/scratch" && chown 100000:100000 "$ROOTFS/scratch"
  # A new pid namespace's proc can only be mounted from its own user
  # namespace; the tmpfs belongs to that namespace's root.
  run_probe mounts /proc
  assert_status 0
  assert_contains "$output" proc
  run_probe stat /scratch
  [ "$(value uid)" = 0 ]
  [ "$(value mode)" = 0700 ]
  set_args /bin/sh -c 'echo hi >/scratch/f && cat /scratch/f'
  run --separate-stderr reg_runc run --bundle "$BUNDLE" "$CID"
  assert_status 0
  [ "$output" = hi ]
}

@test "user namespace: configured capabilities apply inside it" {
  user_ns
  update_config '.process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
  run_probe caps
  assert_status 0
  [ "$(value CapBnd)" = 0000000000000020 ]
  [ "$(value CapEff)" = 0000000000000020 ]
}

@test "user namespace: process.terminal works" {
  user_ns
  local sock=$TEST_DIR/console.sock out=$TEST_DIR/console.out
  python3 "$HELPERS_DIR/console-receiver.py" "$sock" "$out" &
  BG_PIDS+=("$!")
  receiver=$!
  wait_file "$out.ready" 5 || [ -e "$out.ready" ]
  set_args /bin/sh -c '/bin/probe isatty 0; /bin/probe id'
  update_config '.process.terminal = true'
  run_detached create --bundle "$BUNDLE" --console-socket "$sock" "$CID"
  assert_status 0
  run reg_runc start "$CID"
  assert_status 0
  wait_status "$CID" stopped
  timeout 10 tail --pid="$receiver" -f /dev/null
  output=$(tr -d '\r' <"$out")
  mapfile -t lines <<<"$output"
  assert_has_line 1
  assert_has_line uid=0
}

# --- invalid values --------------------------------------------------------

@test "invalid: an unknown capability name" {
  update_config '.process.capabilities.effective += ["CAP_NOPE"]'
  create_refused 'config.json: process.capabilities.effective: unknown capability "CAP_NOPE"'
}

@test "invalid: an unknown seccomp action" {
  seccomp_rules '[{"names": ["mkdir"], "action": "SCMP_ACT_NOPE"}]'
  create_refused 'config.json: linux.seccomp.syscalls[0].action: unknown seccomp action "SCMP_ACT_NOPE"'
}

@test "invalid: an unknown seccomp architecture" {
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_NOPE"]}'
  create_refused 'config.json: linux.seccomp.architectures[1]: unknown seccomp architecture "SCMP_ARCH_NOPE"'
}

@test "invalid: SCMP_ACT_NOTIFY without listenerPath" {
  seccomp_rules '[{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]'
  create_refused 'config.json: linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used'
}

@test "invalid: a listenerPath nobody listens on" {
  seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$TEST_DIR/nosuch.sock\",
      \"syscalls\": [{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
  create_refused "nosuch.sock"
}

@test "invalid: a user namespace without mappings" {
  update_config '.linux.namespaces += [{"type": "user"}] | del(.linux.uidMappings, .linux.gidMappings)'
  create_refused 'config.json: linux.uidMappings: required with a new user namespace'
  update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000}]'
  create_refused 'config.json: linux.gidMappings: required with a new user namespace'
}

@test "invalid: mappings without a user namespace" {
  update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000}]'
  create_refused 'config.json: linux.uidMappings: set, but there is no user namespace'
}

@test "invalid: a sysctl that is not namespaced" {
  update_config '.linux.sysctl = {"vm.swappiness": "10"}'
  create_refused 'config.json: linux.sysctl: "vm.swappiness" is not in a separate kernel namespace'
}

@test "invalid: a net sysctl without a network namespace" {
  update_config '.linux.namespaces |= map(select(.type != "network")) | .linux.sysctl = {"net.ipv4.ip_forward": "1"}'
  create_refused "config.json: linux.sysctl: \"net.ipv4.ip_forward\" is not allowed in the host's network namespace"
  update_config '.linux.namespaces += [{"type": "network", "path": "/proc/self/ns/net"}]'
  create_refused "config.json: linux.sysctl: \"net.ipv4.ip_forward\" is not allowed in the host's network namespace"
}

@test "sysctl: namespaced sysctls with their namespaces are applied" {
  update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234", "kernel.domainname": "sec.example"}'
  run_probe sysctl net.ipv4.ip_forward
  assert_status 0
  [ "$output" = 1 ]
  run_probe sysctl kernel.shmmni
  [ "$output" = 1234 ]
}

@test "invalid: an ipc sysctl without an ipc namespace" {
  update_config '.linux.namespaces |= map(select(.type != "ipc")) | .linux.sysctl = {"kernel.shmmax": "1000000"}'
  create_refused "config.json: linux.sysctl: \"kernel.shmmax\" is not allowed in the host's ipc namespace"
}

@test "invalid: an AppArmor profile where AppArmor is not enabled" {
  if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; then
    skip "AppArmor is enabled on this host"
  fi
  update_config '.process.apparmorProfile = "docker-default"'
  create_refused 'config.json: process.apparmorProfile: AppArmor is not enabled on this host'
}

@test "invalid: an SELinux label or mountLabel where SELinux is not enabled" {
  if [ -e /sys/fs/selinux/enforce ]; then
    skip "SELinux is enabled on this host"
  fi
  update_config '.process.selinuxLabel = "system_u:system_r:container_t:s0"'
  create_refused 'config.json: process.selinuxLabel: SELinux is not enabled on this host'
  update_config 'del(.process.selinuxLabel) | .linux.mountLabel = "system_u:object_r:container_file_t:s0"'
  create_refused 'config.json: linux.mountLabel: SELinux is not enabled on this host'
}

# --- rootless --------------------------------------------------------------

# rootless_bundle: the bundle owned by uid 1000 with the config that
# `reg-runc spec --rootless` writes for it, XDG_RUNTIME_DIR in the test dir
# (teardown cleans the state there).  uid 1000 runs a copy of the runtime in
# the test dir ($RL_RUNC): the build may live where it cannot go (a checkout
# in root's 0700 home); the probe and busybox are copies in the rootfs already.
rootless_bundle() {
  command -v setpriv >/dev/null || skip "setpriv is not installed"
  XDG=$TEST_DIR/xdg
  RL_RUNC=$TEST_DIR/bin/$(basename "$REG_RUNC")
  mkdir -p "$XDG" "$TEST_DIR/bin"
  cp "$REG_RUNC" "$RL_RUNC"
  chmod 755 "$TEST_DIR" "$TEST_DIR/bin" "$RL_RUNC"
  if ! as_user test -x "$RL_RUNC"; then
    echo "uid 1000 cannot reach $TEST_DIR: a directory above it is not searchable (TMPDIR=${TMPDIR:-})" >&2
    return 1
  fi
  chown -R 1000:1000 "$BUNDLE" "$XDG"
  rm "$BUNDLE/config.json"
  (cd "$BUNDLE" && as_user "$RL_RUNC" spec --rootless)
  update_config '.process.terminal = false'
  chown 1000:1000 "$BUNDLE/config.json"
  TEST_ROOT_STATE=$XDG/reg-runc
}

as_user() {
  setpriv --reuid=1000 --regid=1000 --clear-groups env XDG_RUNTIME_DIR="$XDG" "$@"
}

@test "rootless: a spec --rootless bundle runs as uid 1000, state under XDG_RUNTIME_DIR" {
  rootless_bundle
  set_args /bin/sh -c '/bin/probe id; /bin/probe cat /proc/self/uid_map'
  # stdio on files: the created container keeps them open.
  status=0
  as_user "$RL_RUNC" create --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/c.out" 2>"$TEST_DIR/c.err" || status=$?
  output=$(cat "$TEST_DIR/c.err")
  assert_status 0
  [ "$(stat -c %u "$XDG/reg-runc/$CID")" = 1000 ]
  [ "$(as_user "$RL_RUNC" state "$CID" | jq -r .status)" = created ]
  run as_user "$RL_RUNC" start "$CID"
  assert_status 0
  wait_status "$CID" stopped
  grep -qx uid=0 "$TEST_DIR/c.out"
  run as_user "$RL_RUNC" delete "$CID"
  assert_status 0
  set_args /bin/sh -c '/bin/probe id; /bin/probe cat /proc/self/uid_map'
  run --separate-stderr as_user "$RL_RUNC" run --bundle "$BUNDLE" "$CID"
  assert_status 0
  assert_has_line uid=0
  [ "$(echo "$output" | awk '$2 == 1000 { print $1, $2, $3 }')" = "0 1000 1" ]
  [ -z "$(ls "$XDG/reg-runc")" ]
}

# A cgroup delegated to the user, as systemd delegates a user's service on
# a v2 host, made here by hand: a directory in every hierarchy, chowned to
# uid 1000 with its files, and the runtime started inside it (moving a
# process in cgroup v2 needs write access at the common ancestor of both
# cgroups).  The runtime must then use it: the limits hold inside.
@test "rootless: a cgroup delegated to the user is used: its limits hold inside the container, delete removes it" {
  rootless_bundle
  DELEG=reg-deleg-$$-$BATS_TEST_NUMBER
  local m
  [ -n "$(cgroup_mounts)" ] || { echo "no cgroup hierarchy found under /sys/fs/cgroup" >&2; return 1; }
  for m in $(cgroup_mounts); do
    mkdir "$m/$DELEG" "$m/$DELEG/caller"
    # cpuset: a child inherits nothing until its parent has cpus and mems
    if [ -f "$m/$DELEG/cpuset.cpus" ]; then
      cat "$m/cpuset.cpus" >"$m/$DELEG/cpuset.cpus"
      cat "$m/cpuset.mems" >"$m/$DELEG/cpuset.mems"
      cat "$m/cpuset.cpus" >"$m/$DELEG/caller/cpuset.cpus"
      cat "$m/cpuset.mems" >"$m/$DELEG/caller/cpuset.mems"
    fi
    chown -R 1000:1000 "$m/$DELEG"
  done
  # no cgroup namespace, /sys/fs/cgroup the host's (in /sys): the paths
  # inside are the host's
  update_config '.linux.cgroupsPath = $p
    | .linux.namespaces |= map(select(.type != "cgroup"))
    | .mounts |= map(select(.destination != "/sys/fs/cgroup"))
    | .linux.resources = {"memory": {"limit": 104857600}, "pids": {"limit": 100}}' --arg p "/$DELEG/ctr"
  set_args /bin/sh -c '/bin/probe cat /proc/self/cgroup; echo pids.max=$(/bin/probe cat /sys/fs/cgroup/pids'"/$DELEG/ctr"'/pids.max); echo memory.limit=$(/bin/probe cat /sys/fs/cgroup/memory'"/$DELEG/ctr"'/memory.limit_in_bytes)'
  # the caller (the runtime) enters the delegated tree first, as a user's
  # service starts in its own
  run --separate-stderr sh -c 'for m in '"$(cgroup_mounts | tr '\n' ' ')"'; do
      echo $$ >"$m/'"$DELEG"'/caller/cgroup.procs" || exit 1
    done
    exec setpriv --reuid=1000 --regid=1000 --clear-groups env XDG_RUNTIME_DIR="'"$XDG"'" "$@"' sh \
    "$RL_RUNC" run --bundle "$BUNDLE" "$CID"
  assert_status 0
  if [[ $stderr == *"no cgroup delegated"* ]]; then
    echo "the runtime did not use the delegated cgroup: $stderr" >&2
    return 1
  fi
  assert_has_line "pids.max=100"
  assert_has_line "memory.limit=104857600"
  # the init was in the container's cgroup in every hierarchy
  if [ "$(echo "$output" | awk -F: -v p="/$DELEG/ctr" '$3 == p' | wc -l)" -ne "$(cgroup_mounts | wc -l)" ]; then
    echo "the container's /proc/self/cgroup does not name /$DELEG/ctr in every hierarchy:" >&2
    echo "$output" >&2
    return 1
  fi
  for m in $(cgroup_mounts); do
    [ ! -e "$m/$DELEG/ctr" ] || { echo "delete left $m/$DELEG/ctr" >&2; return 1; }
  done
}

@test "rootless: resource limits without a delegated cgroup are a warning naming them; the container runs" {
  rootless_bundle
  update_config '.linux.resources = {"memory": {"limit": 104857600}, "pids": {"limit": 100}}'
  set_args /bin/probe cat /proc/self/cgroup
  run --separate-stderr as_user "$RL_RUNC" run --bundle "$BUNDLE" "$CID"
  if as_user test -w /sys/fs/cgroup/memory || as_user test -w /sys/fs/cgroup/unified; then
    echo "uid 1000 may write a cgroup here: the test needs a host without delegation" >&2
    return 1
  fi
  assert_status 0
  assert_contains "$stderr" "rootless: no cgroup delegated to uid 1000"
  assert_contains "$stderr" "linux.resources memory, pids not applied"
  # No cgroup of the runtime's own: the container stayed in the caller's.
  [ -z "$(echo "$output" | grep "$CID")" ]
  [ -z "$(ls "$XDG/reg-runc")" ]
}
