#!/usr/bin/env bats
# End-to-end tests through the real Podman (and conmon) with the runtime under
# test: podman --runtime "$REG_RUNC".  Podman's configuration and storage are
# private (env.sh); images come from make-image.sh (built offline, cached).

load helpers
bats_require_minimum_version 1.5.0

# podman with the runtime under test, bounded in time.
pm () {
  timeout "$CMD_TIMEOUT" podman --runtime "$REG_RUNC" "$@"
}

setup_file () {
  command -v podman > /dev/null || skip "podman not installed (contrib/install-client-deps.sh)"
  [ -x "$REG_RUNC" ] || skip "runtime under test not built: $REG_RUNC"
  # What exists before the suite, so teardown_file removes only its own (the
  # test network's bridge, never one of the host's networks such as
  # cni-podman0 of Podman's default network).  First, so that a setup_file
  # failing below still leaves teardown_file the record.
  ip link show "$REGTEST_BRIDGE" > /dev/null 2>&1 && echo 1 > "$BATS_FILE_TMPDIR/had-bridge" || true
  cgroup_dirs_of libpod_parent > "$BATS_FILE_TMPDIR/had-cgroups"
  cni_chains_present && echo 1 > "$BATS_FILE_TMPDIR/had-cni-chains" || true
  touch "$BATS_FILE_TMPDIR/recorded"
  write_podman_conf
  make_images
  # A seccomp profile that refuses mkdir/mkdirat with EPERM.
  cat > "$BATS_FILE_TMPDIR/seccomp.json" <<'EOJ'
{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}
  ]
}
EOJ
}

# conmon writes an "oom" file into its working directory when the OOM killer
# strikes: keep it out of the source tree.
setup () {
  cd "$BATS_FILE_TMPDIR"
}

teardown () {
  podman --runtime "$REG_RUNC" pod rm -af -t 0 > /dev/null 2>&1 || true
  podman --runtime "$REG_RUNC" rm -af -t 0 > /dev/null 2>&1 || true
}

# The ids of every container and pod the private Podman made: its events log
# (events_logger = "file", under REG_RUNC_TEST_RUN).
our_podman_ids () {
  local log=$REG_RUNC_TEST_RUN/podman/tmp/events/events.log
  [ -f "$log" ] || return 0
  jq -r 'select(.Type == "container" or .Type == "pod") | .ID // empty' "$log" 2> /dev/null | sort -u
}

teardown_file () {
  [ -e "$BATS_FILE_TMPDIR/recorded" ] || return 0
  podman --runtime "$REG_RUNC" pod rm -af -t 0 > /dev/null 2>&1 || true
  podman --runtime "$REG_RUNC" rm -af -t 0 > /dev/null 2>&1 || true
  if [ ! -s "$BATS_FILE_TMPDIR/had-bridge" ] && ip link show "$REGTEST_BRIDGE" > /dev/null 2>&1; then
    ip link del "$REGTEST_BRIDGE" || true
  fi
  [ -s "$BATS_FILE_TMPDIR/had-cni-chains" ] || remove_cni_chains
  # libpod_parent is shared with every other Podman on the host (cgroupfs):
  # only the cgroups of this Podman's containers and pods are cleaned (their
  # processes ended), then libpod_parent itself if it is new and empty.
  local d id ours=() new=()
  for d in $(cgroup_dirs_of libpod_parent); do
    grep -qx "$d" "$BATS_FILE_TMPDIR/had-cgroups" || new+=("$d")
    for id in $(our_podman_ids); do
      [ -d "$d/libpod-$id" ] && ours+=("$d/libpod-$id")
      [ -d "$d/$id" ] && ours+=("$d/$id")
    done
  done
  remove_empty_cgroups "${ours[@]}"
  for d in "${new[@]}"; do
    rmdir "$d/conmon" 2> /dev/null || true
    rmdir "$d" 2> /dev/null || echo "# cgroup still in use: $d" >&3
  done
  podman unmount -a > /dev/null 2>&1 || true
  # Only this Podman's own directories: another run may keep its own
  # under the same cache.
  check_no_mounts "$REG_RUNC_TEST_CACHE/podman" "$REG_RUNC_TEST_RUN/podman"
}

# The id of a container by name.
cid () { podman inspect --format '{{.Id}}' "$1"; }
# The host pid of a container's init.
cpid () { podman inspect --format '{{.State.Pid}}' "$1"; }
cstatus () { podman inspect --format '{{.State.Status}}' "$1"; }

# wait_until SECONDS COMMAND...: poll COMMAND every 0.1 s.
wait_until () {
  local n=$(($1 * 10)); shift
  while [ $n -gt 0 ]; do
    "$@" && return 0
    sleep 0.1
    n=$((n - 1))
  done
  return 1
}

@test "podman: run --rm true" {
  run pm run --rm "$BUSYBOX_IMAGE" true
  [ "$status" -eq 0 ] || fail "run true"
  # --rm: nothing left in Podman
  run podman ps -aq
  [ -z "$output" ] || fail "container left behind"
}

@test "podman: run on the Debian image sees its /etc/os-release" {
  run pm run --rm "$DEBIAN_IMAGE" cat /etc/os-release
  [ "$status" -eq 0 ] || fail "run"
  [[ "$output" == *'VERSION_CODENAME=bookworm'* ]] || fail "not the bookworm image"
}

@test "podman: exit codes (status, 127 for a missing program, 126 for a non-executable one)" {
  run pm run --rm "$BUSYBOX_IMAGE" sh -c 'exit 42'
  [ "$status" -eq 42 ] || fail "exit 42 gave $status"
  run -127 pm run --rm "$BUSYBOX_IMAGE" /no/such/program
  [ "$status" -eq 127 ] || fail "missing program gave $status"
  run -126 pm run --rm "$BUSYBOX_IMAGE" /etc/passwd
  [ "$status" -eq 126 ] || fail "non-executable gave $status"
}

@test "podman: run -d, wait and logs (stdout and stderr)" {
  run pm run -d --name regt-logs "$BUSYBOX_IMAGE" sh -c 'echo to-stdout; echo to-stderr >&2; exit 3'
  [ "$status" -eq 0 ] || fail "run -d"
  run pm wait regt-logs
  [ "$output" = 3 ] || fail "wait gave $output"
  run pm logs regt-logs
  [[ "$output" == *to-stdout* ]] || fail "stdout not in logs"
  [[ "$output" == *to-stderr* ]] || fail "stderr not in logs"
}

@test "podman: run -it under script gets a terminal" {
  # The sleep: Podman 4.3 sometimes loses the last output of a -it container
  # that exits at once (1-2 runs in 15, with runc as with reg-runc).
  run timeout "$CMD_TIMEOUT" script -qec "podman --runtime '$REG_RUNC' run --rm -it '$BUSYBOX_IMAGE' sh -c 'test -t 0 && test -t 1 && tty && sleep 0.5'" /dev/null
  [ "$status" -eq 0 ] || fail "run -it"
  [[ "$output" == */dev/pts/* ]] || fail "no terminal on stdin"
}

@test "podman: exec into a running container" {
  pm run -d --name regt-exec --hostname regt-exec-host "$BUSYBOX_IMAGE" sleep 1000
  run pm exec regt-exec cat /etc/hostname
  [ "$status" -eq 0 ] || fail "exec"
  [ "$output" = regt-exec-host ] || fail "exec did not run inside the container"
  # same namespaces as the init
  local pid
  pid=$(cpid regt-exec)
  run pm exec regt-exec sh -c 'readlink /proc/self/ns/pid; readlink /proc/self/ns/mnt'
  [ "$output" = "$(readlink /proc/$pid/ns/pid; readlink /proc/$pid/ns/mnt)" ] || fail "exec not in the init's namespaces"
  run pm exec regt-exec sh -c 'exit 7'
  [ "$status" -eq 7 ] || fail "exec exit code $status"
  run pm exec --user 65534 --workdir /tmp --env REGT=x regt-exec sh -c 'echo $(id -u) $PWD $REGT'
  [ "$output" = "65534 /tmp x" ] || fail "exec user/workdir/env"
}

@test "podman: exec -it under script gets a terminal" {
  pm run -d --name regt-exec-tty "$BUSYBOX_IMAGE" sleep 1000
  run timeout "$CMD_TIMEOUT" script -qec "podman --runtime '$REG_RUNC' exec -it regt-exec-tty tty" /dev/null
  [ "$status" -eq 0 ] || fail "exec -it"
  [[ "$output" == */dev/pts/* ]] || fail "exec has no terminal"
}

@test "podman: exec -d runs in the background" {
  pm run -d --name regt-exec-d "$BUSYBOX_IMAGE" sleep 1000
  run pm exec -d regt-exec-d sh -c 'sleep 0.5; echo done > /tmp/exec-d'
  [ "$status" -eq 0 ] || fail "exec -d"
  local pid
  pid=$(cpid regt-exec-d)
  wait_until 20 test -s "/proc/$pid/root/tmp/exec-d" || fail "detached exec did not run"
  [ "$(cat /proc/$pid/root/tmp/exec-d)" = done ]
}

@test "podman: stop delivers SIGTERM, then the container is exited" {
  pm run -d --name regt-stop "$BUSYBOX_IMAGE" sh -c 'trap "exit 3" TERM; while :; do sleep 0.1; done'
  local pid
  pid=$(cpid regt-stop)
  run pm stop -t 10 regt-stop
  [ "$status" -eq 0 ] || fail "stop"
  [ "$(cstatus regt-stop)" = exited ] || fail "not exited"
  [ "$(podman inspect --format '{{.State.ExitCode}}' regt-stop)" = 3 ] || fail "SIGTERM not handled: exit $(podman inspect --format '{{.State.ExitCode}}' regt-stop)"
  ! kill -0 "$pid" 2>/dev/null || fail "process $pid still alive"
}

@test "podman: stop of a container ignoring SIGTERM falls back to SIGKILL" {
  pm run -d --name regt-stop9 "$BUSYBOX_IMAGE" sh -c 'trap "" TERM; while :; do sleep 0.1; done'
  run pm stop -t 1 regt-stop9
  [ "$status" -eq 0 ] || fail "stop"
  [ "$(podman inspect --format '{{.State.ExitCode}}' regt-stop9)" = 137 ] || fail "not killed"
}

@test "podman: kill with a signal, then the default SIGKILL" {
  pm run -d --name regt-kill "$BUSYBOX_IMAGE" sh -c 'trap "echo usr1 > /tmp/got" USR1; while :; do sleep 0.1; done'
  local pid
  pid=$(cpid regt-kill)
  run pm kill -s USR1 regt-kill
  [ "$status" -eq 0 ] || fail "kill -s USR1"
  wait_until 20 test -s "/proc/$pid/root/tmp/got" || fail "USR1 not delivered"
  [ "$(cstatus regt-kill)" = running ]
  run pm kill regt-kill
  [ "$status" -eq 0 ] || fail "kill"
  pm wait regt-kill
  [ "$(podman inspect --format '{{.State.ExitCode}}' regt-kill)" = 137 ] || fail "exit code"
}

@test "podman: restart runs a new init" {
  pm run -d --name regt-restart "$BUSYBOX_IMAGE" sleep 1000
  local pid1 pid2
  pid1=$(cpid regt-restart)
  run pm restart -t 1 regt-restart
  [ "$status" -eq 0 ] || fail "restart"
  [ "$(cstatus regt-restart)" = running ] || fail "not running after restart"
  pid2=$(cpid regt-restart)
  [ "$pid1" != "$pid2" ] || fail "same pid after restart"
  ! kill -0 "$pid1" 2>/dev/null || fail "old init still alive"
  grep -q sleep "/proc/$pid2/cmdline"
}

@test "podman: rm -f removes a running container from Podman and the runtime" {
  pm run -d --name regt-rm "$BUSYBOX_IMAGE" sleep 1000
  local id pid
  id=$(cid regt-rm)
  pid=$(cpid regt-rm)
  run pm rm -f -t 0 regt-rm
  [ "$status" -eq 0 ] || fail "rm -f"
  ! podman container exists regt-rm || fail "still in Podman"
  ! kill -0 "$pid" 2>/dev/null || fail "process $pid still alive"
  # the runtime (default --root, as Podman calls it) has forgotten it
  run "$REG_RUNC" state "$id"
  [ "$status" -ne 0 ] || fail "runtime still has state for $id"
}

@test "podman: pause freezes the container, unpause thaws it" {
  # renamed into place: a read never meets /tmp/c truncated and not yet written
  pm run -d --name regt-pause "$BUSYBOX_IMAGE" sh -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/c.new; mv /tmp/c.new /tmp/c; sleep 0.05; done'
  local pid a b
  pid=$(cpid regt-pause)
  wait_until 20 test -s "/proc/$pid/root/tmp/c"
  run pm pause regt-pause
  [ "$status" -eq 0 ] || fail "pause"
  [ "$(cstatus regt-pause)" = paused ] || fail "status not paused"
  sleep 0.2
  a=$(cat "/proc/$pid/root/tmp/c")
  sleep 0.5
  b=$(cat "/proc/$pid/root/tmp/c")
  [ "$a" = "$b" ] || fail "counter moved while paused ($a -> $b)"
  run pm unpause regt-pause
  [ "$status" -eq 0 ] || fail "unpause"
  [ "$(cstatus regt-pause)" = running ]
  sleep 0.5
  b=$(cat "/proc/$pid/root/tmp/c")
  [ "$b" -gt "$a" ] || fail "counter did not move after unpause"
}

@test "podman: --memory is the container's memory limit" {
  run pm run --rm --memory 64m "$BUSYBOX_IMAGE" sh -c "$(cg_path_script memory memory.limit_in_bytes memory.max)"
  [ "$status" -eq 0 ] || fail "run --memory"
  [ "$output" = 67108864 ] || fail "limit seen inside: $output"
}

@test "podman: --memory is enforced (a process over the limit is OOM-killed)" {
  # tail keeps the whole last "line" (100 MiB of NULs) in memory
  run pm run --rm --memory 32m --memory-swap 32m "$BUSYBOX_IMAGE" sh -c 'echo started; head -c 100m /dev/zero | tail > /dev/null && echo survived'
  [[ "$output" == *started* ]] || fail "container did not run"
  [[ "$output" != *survived* ]] || fail "used 100 MiB under a 32 MiB limit"
}

@test "podman: --pids-limit is the container's pids limit" {
  run pm run --rm --pids-limit 42 "$BUSYBOX_IMAGE" sh -c "$(cg_path_script pids pids.max pids.max)"
  [ "$status" -eq 0 ] || fail "run --pids-limit"
  [ "$output" = 42 ] || fail "pids.max seen inside: $output"
}

@test "podman: --cpus is the container's CFS quota" {
  run pm run --rm --cpus 0.5 "$BUSYBOX_IMAGE" sh -c \
    'if [ -d /sys/fs/cgroup/cpu ]; then echo $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us); else cat /sys/fs/cgroup/cpu.max; fi'
  [ "$status" -eq 0 ] || fail "run --cpus"
  [ "$output" = "50000 100000" ] || fail "quota seen inside: $output"
}

@test "podman: --cap-drop all --cap-add NET_BIND_SERVICE leaves only that capability" {
  run pm run --rm --cap-drop all --cap-add NET_BIND_SERVICE "$BUSYBOX_IMAGE" grep -E '^Cap(Eff|Prm|Bnd):' /proc/self/status
  [ "$status" -eq 0 ] || fail "run"
  [[ "$output" == *"CapEff:	0000000000000400"* ]] || fail "CapEff"
  [[ "$output" == *"CapBnd:	0000000000000400"* ]] || fail "CapBnd"
}

@test "podman: --cap-drop CHOWN removes it from the default set" {
  run pm run --rm "$BUSYBOX_IMAGE" awk '/^CapEff/ {print $2}' /proc/self/status
  local def=$output
  [ $((0x$def & 1)) -eq 1 ] || fail "CHOWN not in the default set ($def)"
  run pm run --rm --cap-drop CHOWN "$BUSYBOX_IMAGE" awk '/^CapEff/ {print $2}' /proc/self/status
  [ $((0x$output & 1)) -eq 0 ] || fail "CHOWN still effective ($output)"
  [ $((0x$output | 1)) -eq $((0x$def)) ] || fail "other capabilities changed ($def -> $output)"
  run pm run --rm --cap-drop CHOWN "$BUSYBOX_IMAGE" chown 65534 /tmp
  [ "$status" -ne 0 ] || fail "chown worked without CAP_CHOWN"
}

@test "podman: --read-only root, writable /tmp" {
  run pm run --rm --read-only "$BUSYBOX_IMAGE" sh -c 'touch /x'
  [ "$status" -ne 0 ] || fail "wrote to a read-only root"
  [[ "$output" == *"Read-only file system"* ]] || fail "not EROFS"
  run pm run --rm --read-only "$BUSYBOX_IMAGE" sh -c 'touch /tmp/x && echo ok'
  [ "$output" = ok ] || fail "/tmp not writable"
}

@test "podman: --user, --workdir, --env" {
  run pm run --rm --user 1234:5678 --workdir /tmp --env REGT_A=hello "$BUSYBOX_IMAGE" sh -c 'echo $(id -u) $(id -g) $PWD $REGT_A'
  [ "$status" -eq 0 ] || fail "run"
  [ "$output" = "1234 5678 /tmp hello" ] || fail "got: $output"
  run pm run --rm --user nobody "$BUSYBOX_IMAGE" id -u
  [ "$output" = 65534 ] || fail "user by name: $output"
}

@test "podman: --uidmap/--gidmap runs in a user namespace" {
  run pm run --rm --uidmap 0:200000:65536 --gidmap 0:200000:65536 "$BUSYBOX_IMAGE" sh -c 'cat /proc/self/uid_map /proc/self/gid_map; id -u; stat -c %u /bin/busybox'
  [ "$status" -eq 0 ] || fail "run --uidmap"
  [ "$(echo "$output" | awk 'NR==1 {print $1, $2, $3}')" = "0 200000 65536" ] || fail "uid_map"
  [ "$(echo "$output" | awk 'NR==2 {print $1, $2, $3}')" = "0 200000 65536" ] || fail "gid_map"
  [ "$(echo "$output" | sed -n 3p)" = 0 ] || fail "not root inside"
  [ "$(echo "$output" | sed -n 4p)" = 0 ] || fail "image files not owned by root inside"
}

@test "podman: --security-opt seccomp=PROFILE is applied" {
  run pm run --rm --security-opt seccomp="$BATS_FILE_TMPDIR/seccomp.json" "$BUSYBOX_IMAGE" sh -c 'grep ^Seccomp: /proc/self/status; mkdir /tmp/d'
  [ "$status" -ne 0 ] || fail "mkdir worked under the profile"
  [[ "$output" == *"Seccomp:	2"* ]] || fail "no seccomp filter"
  [[ "$output" == *"Operation not permitted"* ]] || fail "mkdir not refused with EPERM"
  run pm run --rm --security-opt seccomp=unconfined "$BUSYBOX_IMAGE" grep ^Seccomp: /proc/self/status
  [[ "$output" == *"Seccomp:	0"* ]] || fail "unconfined has a filter"
}

@test "podman: --init runs catatonit as PID 1" {
  run pm run --rm --init "$BUSYBOX_IMAGE" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; echo $$'
  [ "$status" -eq 0 ] || fail "run --init"
  [[ "$(echo "$output" | head -n1)" == */run/podman-init* ]] || fail "PID 1 is not the init"
  [ "$(echo "$output" | sed -n 2p)" != 1 ] || fail "the command is PID 1"
}

# Podman writes linux.devices[].fileMode with the file-type bits
# (S_IFCHR|0666 = 8630): they must be accepted and the node made as asked.
@test "podman: --device /dev/null and --device /dev/null:/dev/regt-null" {
  run pm run --rm --network none --device /dev/null "$BUSYBOX_IMAGE" sh -c 'stat -c "%F %t:%T %a" /dev/null; echo x > /dev/null && echo written'
  [ "$status" -eq 0 ] || fail "run --device /dev/null"
  [ "$output" = "$(printf 'character special file 1:3 666\nwritten')" ] || fail "got: $output"
  run pm run --rm --network none --device /dev/null:/dev/regt-null "$BUSYBOX_IMAGE" sh -c 'stat -c "%F %t:%T %a" /dev/regt-null; echo x > /dev/regt-null && echo written'
  [ "$status" -eq 0 ] || fail "run --device /dev/null:/dev/regt-null"
  [ "$output" = "$(printf 'character special file 1:3 666\nwritten')" ] || fail "got: $output"
}

@test "podman: --device /dev/fuse:/dev/fuse:rwm can be opened inside" {
  [ -c /dev/fuse ] || skip "the host has no /dev/fuse"
  run pm run --rm --network none --device /dev/fuse:/dev/fuse:rwm "$BUSYBOX_IMAGE" sh -c 'stat -c "%F %t:%T" /dev/fuse; exec 3<>/dev/fuse && echo opened'
  [ "$status" -eq 0 ] || fail "run --device /dev/fuse"
  # 10:229 in hex
  [ "$output" = "$(printf 'character special file a:e5\nopened')" ] || fail "got: $output"
}

@test "podman: --privileged sees the host's devices and has every capability" {
  [ -c /dev/loop-control ] || skip "the host has no /dev/loop-control"
  run pm run --rm --network none --privileged "$BUSYBOX_IMAGE" sh -c 'stat -c "%F %t:%T" /dev/loop-control; exec 3<>/dev/loop-control && echo opened; grep ^CapEff: /proc/self/status'
  [ "$status" -eq 0 ] || fail "run --privileged"
  [ "$(echo "$output" | sed -n 1p)" = "character special file a:ed" ] || fail "/dev/loop-control: $output"
  [ "$(echo "$output" | sed -n 2p)" = opened ] || fail "not opened: $output"
  [ "$(echo "$output" | sed -n 3p)" = "CapEff:	$(awk '/^CapBnd:/ {print $2}' /proc/self/status)" ] || fail "capabilities: $output"
}

@test "podman: --network none has only loopback" {
  run pm run --rm --network none "$BUSYBOX_IMAGE" sh -c 'ls /sys/class/net'
  [ "$status" -eq 0 ] || fail "run"
  [ "$output" = lo ] || fail "interfaces: $output"
}

@test "podman: --network host shares the host's network namespace" {
  run pm run --rm --network host "$BUSYBOX_IMAGE" readlink /proc/self/ns/net
  [ "$status" -eq 0 ] || fail "run"
  [ "$output" = "$(readlink /proc/self/ns/net)" ] || fail "not the host's netns"
}

@test "podman: --network bridge gets an address on the test network" {
  local host_default
  host_default=$(ip -4 -o addr show dev cni-podman0 2> /dev/null || true)
  run pm run --rm --network bridge "$BUSYBOX_IMAGE" sh -c 'ip -4 -o addr show eth0; ip route'
  [ "$status" -eq 0 ] || fail "run"
  [[ "$output" == *"inet $REGTEST_NET."* ]] || fail "no address in $REGTEST_SUBNET"
  [[ "$output" == *"default via $REGTEST_GATEWAY"* ]] || fail "no default route"
  # on the test network's own bridge; the host's default network untouched
  run ip -4 -o addr show dev "$REGTEST_BRIDGE"
  [[ "$output" == *"inet $REGTEST_GATEWAY/24"* ]] || fail "$REGTEST_BRIDGE has no $REGTEST_GATEWAY"
  [ "$(ip -4 -o addr show dev cni-podman0 2> /dev/null || true)" = "$host_default" ] || fail "cni-podman0 changed"
  [ "$(readlink /proc/self/ns/net)" != "" ]
  # the container's netns is released with it
  run bash -c 'ls /run/netns 2>/dev/null | grep -c ^cni-'
  [ "$output" = 0 ] || fail "network namespace left behind"
}

@test "podman: --cgroups=disabled puts the container in no cgroup of its own" {
  is_reg_runc || skip "Podman allows --cgroups=disabled only for runtimes in runtime_supports_nocgroups (not $RUNTIME_NAME)"
  run pm run --rm --cgroups=disabled "$BUSYBOX_IMAGE" cat /proc/self/cgroup
  [ "$status" -eq 0 ] || fail "run --cgroups=disabled"
  [[ "$output" != *libpod* ]] || fail "in a libpod cgroup"
}

@test "podman: a pod runs its pause container and a member in its namespaces" {
  run pm pod create --name regt-pod
  [ "$status" -eq 0 ] || fail "pod create"
  run pm run -d --pod regt-pod --name regt-member "$BUSYBOX_IMAGE" sleep 1000
  [ "$status" -eq 0 ] || fail "member"
  local infra ipid mpid
  infra=$(podman pod inspect --format '{{.InfraContainerID}}' regt-pod)
  [ "$(cstatus "$infra")" = running ] || fail "pause container not running"
  ipid=$(cpid "$infra")
  mpid=$(cpid regt-member)
  grep -q catatonit "/proc/$ipid/cmdline" || fail "infra is not catatonit"
  [ "$(readlink /proc/$ipid/ns/net)" = "$(readlink /proc/$mpid/ns/net)" ] || fail "member not in the pod's netns"
  [ "$(readlink /proc/$ipid/ns/uts)" = "$(readlink /proc/$mpid/ns/uts)" ] || fail "member not in the pod's uts ns"
  [ "$(readlink /proc/$ipid/ns/mnt)" != "$(readlink /proc/$mpid/ns/mnt)" ] || fail "member shares the infra's mount ns"
  run pm pod stop -t 1 regt-pod
  [ "$status" -eq 0 ] || fail "pod stop"
  run pm pod rm regt-pod
  [ "$status" -eq 0 ] || fail "pod rm"
}

@test "podman: update --memory changes the limit seen inside" {
  pm run -d --name regt-update --memory 64m "$BUSYBOX_IMAGE" sleep 1000
  run pm update --memory 128m regt-update
  [ "$status" -eq 0 ] || fail "update"
  run pm exec regt-update sh -c "$(cg_path_script memory memory.limit_in_bytes memory.max)"
  [ "$output" = 134217728 ] || fail "limit after update: $output"
}

@test "podman: top lists the container's processes" {
  pm run -d --name regt-top "$BUSYBOX_IMAGE" sleep 1000
  run pm top regt-top pid args
  [ "$status" -eq 0 ] || fail "top"
  [[ "$output" == *"sleep 1000"* ]] || fail "sleep not listed"
}

@test "podman: stats --no-stream reports the container's memory" {
  pm run -d --name regt-stats "$BUSYBOX_IMAGE" sh -c 'head -c 8m /dev/zero > /tmp/fill; sleep 1000'
  sleep 1
  run pm stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.PIDs}}' regt-stats
  [ "$status" -eq 0 ] || fail "stats"
  [[ "$output" == "regt-stats "* ]] || fail "no line for the container"
  [[ "$output" =~ regt-stats\ [0-9.]+[kMG]B\ / ]] || fail "no memory usage"
  [[ "$output" =~ \ [1-9][0-9]*$ ]] || fail "no pids"
}

@test "podman: healthcheck run reports healthy, then unhealthy" {
  pm run -d --name regt-health --health-cmd 'test ! -e /tmp/sick' --health-interval 1h --health-retries 1 "$BUSYBOX_IMAGE" sleep 1000
  run pm healthcheck run regt-health
  [ "$status" -eq 0 ] || fail "healthcheck run"
  [ "$(podman inspect --format '{{.State.Health.Status}}' regt-health)" = healthy ] || fail "not healthy"
  touch "/proc/$(cpid regt-health)/root/tmp/sick"
  run pm healthcheck run regt-health
  [ "$status" -ne 0 ] || fail "healthcheck passed on a sick container"
  [ "$(podman inspect --format '{{.State.Health.Status}}' regt-health)" = unhealthy ] || fail "not unhealthy"
}

@test "podman: --annotation run.reg.mode=share reaches the runtime and the container works" {
  run pm run -d --name regt-share --annotation run.reg.mode=share "$DEBIAN_IMAGE" sleep 1000
  [ "$status" -eq 0 ] || fail "run --annotation"
  local pid
  pid=$(cpid regt-share)
  # config.json as the runtime got it
  local bundle
  bundle=$(podman inspect --format '{{.StaticDir}}' regt-share)
  [ "$(jq -r '.annotations["run.reg.mode"]' "$bundle/config.json")" = share ] || fail "annotation not in config.json"
  # the container's programs and libraries work
  run pm run --rm --annotation run.reg.mode=share "$DEBIAN_IMAGE" sh -c 'ls / > /dev/null && cat /etc/debian_version'
  [ "$status" -eq 0 ] || fail "run with share"
  [ "$output" = "$(tar -xOf "$BOOKWORM_TAR" ./etc/debian_version)" ] || fail "debian_version: $output"
}

# reg-runc with its REG store in the test's directory: a wrapper named
# reg-runc (Podman's runtime_supports_json goes by the basename).
reg_wrapper () {
  local dir="$BATS_FILE_TMPDIR/regwrap"
  mkdir -p "$dir"
  printf '#!/bin/sh\nexec "%s" --reg-root "%s" "$@"\n' "$REG_RUNC" "$BATS_FILE_TMPDIR/store" > "$dir/reg-runc"
  chmod +x "$dir/reg-runc"
  echo "$dir/reg-runc"
}

@test "podman: run.reg.mode=share: two containers map one libc inode from the store" {
  "$REG_RUNC" --version | grep -q '^reg-runc' || skip "REG needs reg-runc (runtime is $REG_RUNC)"
  local rt a b ma mb
  rt=$(reg_wrapper)
  for c in regt-sh1 regt-sh2; do
    run timeout "$CMD_TIMEOUT" podman --runtime "$rt" run -d --name "$c" --annotation run.reg.mode=share "$DEBIAN_IMAGE" sleep 1000
    [ "$status" -eq 0 ] || fail "run $c: $output"
  done
  a=$(cpid regt-sh1); b=$(cpid regt-sh2)
  ma=$(awk '$6 ~ /\/libc\.so\.6$/ {print $4, $5; exit}' "/proc/$a/maps")
  mb=$(awk '$6 ~ /\/libc\.so\.6$/ {print $4, $5; exit}' "/proc/$b/maps")
  [ -n "$ma" ] && [ "$ma" = "$mb" ] || fail "libc maps: '$ma' vs '$mb'"
  # That inode is the store's object, not the image's file.
  [ "$(find "$BATS_FILE_TMPDIR/store/objects" -inum "${ma#* }" | wc -l)" -ge 1 ] || fail "inode ${ma#* } not in the store"
  timeout "$CMD_TIMEOUT" podman rm -f -t 0 regt-sh1 regt-sh2 > /dev/null
}

@test "podman: --uidmap with run.reg.mode=share and minimal: two maps of one image, each its own objects, read-only" {
  "$REG_RUNC" --version | grep -q '^reg-runc' || skip "REG needs reg-runc (runtime is $REG_RUNC)"
  local rt want map mode
  rt=$(reg_wrapper)
  want=$(tar -xOf "$BOOKWORM_TAR" ./etc/debian_version)
  # Podman's remapped view of a file has the plain view's device, inode and
  # times, only another owner; the init runs in the user namespace and
  # cannot reach the 0700 store.  A second map is what --userns=auto gives.
  for map in 0:100000:65536 0:300000:65536; do
    run timeout "$CMD_TIMEOUT" podman --runtime "$rt" run --rm --uidmap "$map" --gidmap "$map" \
      --annotation run.reg.mode=share "$DEBIAN_IMAGE" sh -c \
      'cat /etc/debian_version; stat -c "%u:%g" /usr/lib/x86_64-linux-gnu/libc.so.6; grep -c " /usr/lib/x86_64-linux-gnu/libc.so.6 ro," /proc/self/mountinfo'
    [ "$status" -eq 0 ] || fail "share, --uidmap $map: $output"
    # the image's owner as the container sees it, and a read-only object
    [ "$output" = "$want
0:0
1" ] || fail "share, --uidmap $map: $output"
    run timeout "$CMD_TIMEOUT" podman --runtime "$rt" run --rm --uidmap "$map" --gidmap "$map" \
      --annotation run.reg.mode=minimal "$DEBIAN_IMAGE" cat /etc/os-release
    [ "$status" -eq 0 ] || fail "minimal, --uidmap $map: $output"
    [[ "$output" == *'ID=debian'* ]] || fail "minimal, --uidmap $map: $output"
  done
}

@test "podman: run.reg.mode=learn, then minimal runs the same command in the minimized root" {
  "$REG_RUNC" --version | grep -q '^reg-runc' || skip "REG needs reg-runc (runtime is $REG_RUNC)"
  local rt want
  rt=$(reg_wrapper)
  want=$(tar -xOf "$BOOKWORM_TAR" ./etc/debian_version)
  run timeout "$CMD_TIMEOUT" podman --runtime "$rt" run --rm --annotation run.reg.mode=learn "$DEBIAN_IMAGE" cat /etc/debian_version
  [ "$status" -eq 0 ] && [ "$output" = "$want" ] || fail "learn: $output"
  run timeout "$CMD_TIMEOUT" podman --runtime "$rt" run --rm --annotation run.reg.mode=minimal "$DEBIAN_IMAGE" cat /etc/debian_version
  [ "$status" -eq 0 ] && [ "$output" = "$want" ] || fail "minimal after learn: $output"
  # Without the profile a file the analysis cannot see is not there.
  run timeout "$CMD_TIMEOUT" podman --runtime "$rt" run --rm --annotation run.reg.mode=minimal "$DEBIAN_IMAGE" cat /etc/issue
  [ "$status" -ne 0 ] || fail "minimal: /etc/issue should be absent"
}

@test "podman: --init with run.reg.mode=minimal: the environment is made for the program catatonit runs" {
  "$REG_RUNC" --version | grep -q '^reg-runc' || skip "REG needs reg-runc (runtime is $REG_RUNC)"
  local rt
  rt=$(reg_wrapper)
  # PID 1 is the host's catatonit bound at /run/podman-init; cat (after
  # `--`) must be in the minimized root, with its libraries.
  run timeout "$CMD_TIMEOUT" podman --runtime "$rt" run --rm --init --annotation run.reg.mode=minimal \
    "$DEBIAN_IMAGE" cat /proc/1/cmdline /etc/os-release
  [ "$status" -eq 0 ] || fail "minimal --init: $output"
  [[ "$output" == /run/podman-init* ]] || fail "PID 1 is not the init: $output"
  [[ "$output" == *'ID=debian'* ]] || fail "no os-release: $output"
}
