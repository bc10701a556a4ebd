#!/usr/bin/env bats
# linux.resources on this host's cgroups (v1 controllers, hybrid cgroup2 at
# /sys/fs/cgroup/unified or pure v2), seen from inside the container; pause,
# resume, update, ps, events.

load helpers

setup() {
  setup_bundle
  # In a cgroup namespace every hierarchy is mounted with the container's
  # cgroup as its root: the probe reads its own limits.
  update_config '.linux.namespaces |= (map(select(.type != "cgroup")) + [{"type": "cgroup"}])'
  if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
    CG_V2=1 MEMDIR=/sys/fs/cgroup CPUDIR=/sys/fs/cgroup PIDSDIR=/sys/fs/cgroup
  else
    CG_V2= MEMDIR=/sys/fs/cgroup/memory CPUDIR=/sys/fs/cgroup/cpu PIDSDIR=/sys/fs/cgroup/pids
  fi
}

teardown() {
  # a tracefs instance of the test's own (trace_migrations)
  [ -z "${TRACE_DIR:-}" ] || rmdir "$TRACE_DIR" 2>/dev/null || true
  teardown_bundle
}

need_v1() {
  [ -z "$CG_V2" ] || skip "cgroup v1 files (this host is cgroup v2)"
}

# create_refused_line MESSAGE: create fails with MESSAGE as its only line of
# stderr (runc words it its own way) and leaves nothing behind (state,
# cgroups, mounts).
create_refused_line() {
  run_detached create --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  is_runc || [ "$output" = "$1" ] || {
    echo "expected the one line '$1', got:" >&2
    echo "$output" >&2
    return 1
  }
  run reg_runc state "$CID"
  [ "$status" -ne 0 ]
  assert_nothing_left "$CID"
}

# The container's cgroup directory on the host for hierarchy $1 (v1) or the
# unified one.
host_cg() {
  if [ -n "$CG_V2" ]; then echo "/sys/fs/cgroup$CGPATH"; else echo "/sys/fs/cgroup/$1$CGPATH"; fi
}

# A container that writes a counter to /tmp/c every 50 ms, and (when given)
# copies the file $1 of its own cgroup view to /tmp/v.
start_counter() {
  local watch=${1:-}
  update_config '.root.readonly = false'
  set_args /bin/sh -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/c.new; mv /tmp/c.new /tmp/c;
    [ -z "$1" ] || cat "$1" > /tmp/v.new 2>&1; [ -z "$1" ] || mv /tmp/v.new /tmp/v; sleep 0.05; done' sh "$watch"
  run_detached run -d --bundle "$BUNDLE" "$CID"
  assert_status 0
  wait_file "$ROOTFS/tmp/c"
}

counter() {
  cat "$ROOTFS/tmp/c" 2>/dev/null
}

# --- resources at create -------------------------------------------------

@test "memory: limit, reservation, swap, swappiness, kernelTCP, disableOOMKiller seen inside" {
  need_v1
  update_config '.linux.resources.memory = {"limit": 67108864, "reservation": 33554432, "swap": 134217728,
                                            "swappiness": 10, "kernelTCP": 1048576}'
  run_probe cat /sys/fs/cgroup/memory/memory.limit_in_bytes
  assert_status 0
  [ "$output" = 67108864 ]
  # kernelTCP where the kernel has the file (crun writes it too), else a
  # warning that names it.
  if [ -e "$MEMDIR/memory.kmem.tcp.limit_in_bytes" ]; then
    [ -z "$stderr" ]
    run_probe cat /sys/fs/cgroup/memory/memory.kmem.tcp.limit_in_bytes
    assert_status 0
    [ "$output" = 1048576 ]
  else
    assert_contains "$stderr" "memory.kmem.tcp.limit_in_bytes"
  fi
  run_probe cat /sys/fs/cgroup/memory/memory.soft_limit_in_bytes
  [ "$output" = 33554432 ]
  run_probe cat /sys/fs/cgroup/memory/memory.swappiness
  [ "$output" = 10 ]
  if [ -e "$MEMDIR/memory.memsw.limit_in_bytes" ]; then
    run_probe cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes
    [ "$output" = 134217728 ]
  fi
  update_config '.linux.resources.memory = {"limit": 67108864, "disableOOMKiller": true}'
  run_probe cat /sys/fs/cgroup/memory/memory.oom_control
  assert_status 0
  assert_has_line "oom_kill_disable 1"
}

@test "memory: a process allocating past the limit is OOM-killed" {
  update_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
  run_probe alloc 16
  assert_status 0
  [ "$output" = ok ]
  run_probe alloc 200
  # SIGKILL by the OOM killer: 128 + 9.
  assert_status 137
  [ "$output" != ok ]
  if [ -z "$CG_V2" ]; then
    # The kernel counts the kill in the container's memory cgroup.
    set_args /bin/sh -c 'probe alloc 200; cat /sys/fs/cgroup/memory/memory.oom_control'
    run --separate-stderr reg_runc run --bundle "$BUNDLE" "$CID"
    assert_has_line "oom_kill 1"
  fi
}

@test "pids: a fork bomb stops at pids.limit with EAGAIN" {
  update_config '.linux.resources.pids = {"limit": 10}'
  run_probe forks 100
  assert_status 0
  # The init counts: 9 more processes at most.
  [ "$(value forks)" -le 9 ]
  [ "$(value forks)" -ge 5 ]
  [ "$(value errno)" = EAGAIN ]
  if [ -z "$CG_V2" ]; then
    run_probe cat /sys/fs/cgroup/pids/pids.max
    [ "$output" = 10 ]
  fi
}

@test "cpu: shares, quota, period, cpuset cpus and mems seen inside" {
  need_v1
  update_config '.linux.resources.cpu = {"shares": 512, "quota": 25000, "period": 50000, "cpus": "0", "mems": "0"}'
  run_probe cat /sys/fs/cgroup/cpu/cpu.shares
  assert_status 0
  [ "$output" = 512 ]
  run_probe cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us
  [ "$output" = 25000 ]
  run_probe cat /sys/fs/cgroup/cpu/cpu.cfs_period_us
  [ "$output" = 50000 ]
  run_probe cat /sys/fs/cgroup/cpuset/cpuset.cpus
  [ "$output" = 0 ]
  run_probe cat /sys/fs/cgroup/cpuset/cpuset.mems
  [ "$output" = 0 ]
  # The affinity the process gets follows cpuset.cpus.
  run_probe affinity
  assert_contains "$output" "0"
}

@test "cpu: realtime period and runtime, burst, idle (where the kernel has them)" {
  need_v1
  if [ -e /sys/fs/cgroup/cpu/cpu.rt_runtime_us ]; then
    update_config '.linux.resources.cpu = {"realtimePeriod": 500000, "realtimeRuntime": 10000}'
    run_probe cat /sys/fs/cgroup/cpu/cpu.rt_period_us
    assert_status 0
    [ "$output" = 500000 ]
    run_probe cat /sys/fs/cgroup/cpu/cpu.rt_runtime_us
    [ "$output" = 10000 ]
  fi
  [ -e /sys/fs/cgroup/cpu/cpu.cfs_burst_us ] || skip "no cpu.cfs_burst_us in this kernel"
  update_config '.linux.resources.cpu = {"burst": 1000, "quota": 20000, "period": 100000}'
  run_probe cat /sys/fs/cgroup/cpu/cpu.cfs_burst_us
  assert_status 0
  [ "$output" = 1000 ]
  if [ -e /sys/fs/cgroup/cpu/cpu.idle ]; then
    update_config '.linux.resources.cpu = {"idle": 1}'
    run_probe cat /sys/fs/cgroup/cpu/cpu.idle
    assert_status 0
    [ "$output" = 1 ]
  fi
}

@test "blockIO: weight where the kernel has a weight file, else refused with one line naming it" {
  need_v1
  update_config '.linux.resources.blockIO = {"weight": 300}'
  if [ ! -e /sys/fs/cgroup/blkio/blkio.weight ] && [ ! -e /sys/fs/cgroup/blkio/blkio.bfq.weight ]; then
    # No CFQ/BFQ scheduler: the weight cannot be applied (runc refuses too).
    create_refused_line "linux.resources.blockIO: cannot be applied: no \`blkio.weight\` or \`blkio.bfq.weight\` in \`/sys/fs/cgroup/blkio$CGPATH\`"
    return
  fi
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_status 0
  local d=/sys/fs/cgroup/blkio$CGPATH f=
  for f in blkio.weight blkio.bfq.weight; do
    [ -e "$d/$f" ] && break
  done
  grep -q 300 "$d/$f"
}

@test "blockIO: throttle read bps for a device" {
  need_v1
  local dev
  dev=$(awk '$4 ~ /^(sd|vd|nvme|xvd)/ { print $1 ":" $2; exit }' /proc/partitions)
  [ -n "$dev" ] || skip "no disk in /proc/partitions"
  update_config '.linux.resources.blockIO = {"throttleReadBpsDevice": [{"major": ($d|split(":")[0]|tonumber),
                   "minor": ($d|split(":")[1]|tonumber), "rate": 1048576}]}' --arg d "$dev"
  run_probe cat /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device
  assert_status 0
  [ "$output" = "$dev 1048576" ]
}

@test "network: classID and priorities seen inside where net_cls/net_prio are mounted, else refused with one line" {
  need_v1
  update_config '.linux.resources.network = {"classID": 1048577, "priorities": [{"name": "lo", "priority": 5}]}'
  if [ ! -d /sys/fs/cgroup/net_cls ] && [ ! -d /sys/fs/cgroup/net_prio ]; then
    create_refused_line "linux.resources.network: no net_cls/net_prio controller on this host"
    # An empty object asks for nothing.
    update_config '.linux.resources.network = {}'
    run_probe pid
    assert_status 0
    return
  fi
  run_probe cat /sys/fs/cgroup/net_cls/net_cls.classid
  assert_status 0
  [ "$output" = 1048577 ]
  run_probe cat /sys/fs/cgroup/net_prio/net_prio.ifpriomap
  assert_has_line "lo 5"
}

@test "rdma: refused with one line naming it where the host has no rdma controller" {
  need_v1
  [ ! -d /sys/fs/cgroup/rdma ] || skip "this host has an rdma hierarchy"
  update_config '.linux.resources.rdma = {"mlx5_0": {"hcaHandles": 3}}'
  create_refused_line "linux.resources.rdma: cannot set \`rdma.max\`: the container has no rdma cgroup"
}

@test "hugepageLimits: the hugetlb limit (v1 controller or the cgroup2 hierarchy)" {
  [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2MB huge pages"
  update_config '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}]'
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_status 0
  if [ -n "$CG_V2" ]; then
    f=/sys/fs/cgroup$CGPATH/hugetlb.2MB.max
  elif [ -d /sys/fs/cgroup/hugetlb ]; then
    f=/sys/fs/cgroup/hugetlb$CGPATH/hugetlb.2MB.limit_in_bytes
  else
    f=/sys/fs/cgroup/unified$CGPATH/hugetlb.2MB.max
  fi
  [ "$(cat "$f")" = 4194304 ]
  if [ -e "${f%.max}.rsvd.max" ]; then
    [ "$(cat "${f%.max}.rsvd.max")" = 4194304 ]
  fi
}

@test "unified: raw cgroup v2 keys (hugetlb on the hybrid hierarchy), invalid keys refused" {
  [ -n "$CG_V2" ] || [ -d /sys/fs/cgroup/unified ] || skip "no cgroup2 hierarchy"
  [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2MB huge pages"
  update_config '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 2097152}]
                 | .linux.resources.unified = {"hugetlb.2MB.max": "8388608"}'
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_status 0
  local d=/sys/fs/cgroup/unified$CGPATH
  [ -z "$CG_V2" ] || d=/sys/fs/cgroup$CGPATH
  # unified is written last: it wins.
  [ "$(cat "$d/hugetlb.2MB.max")" = 8388608 ]
  reg_runc delete --force "$CID"
  update_config '.linux.resources.unified = {"../escape": "1"}'
  run_detached create --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "invalid key"
  assert_nothing_left "$CID"
}

# --- devices -------------------------------------------------------------

# The ids of the eBPF programs attached (BPF_CGROUP_DEVICE) to cgroup dir $1.
bpf_device_progs() {
  python3 - "$1" <<'EOF'
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
ids = (ctypes.c_uint32 * 64)()
# union bpf_attr for BPF_PROG_QUERY: target_fd, attach_type, query_flags,
# attach_flags, prog_ids (u64), prog_cnt.
attr = ctypes.create_string_buffer(struct.pack("IIIIQI", fd, 6, 0, 0, ctypes.addressof(ids), 64), 128)
SYS_bpf = 321 if os.uname().machine == "x86_64" else 280
if libc.syscall(SYS_bpf, 16, attr, 128) < 0:
    sys.exit("BPF_PROG_QUERY: " + os.strerror(ctypes.get_errno()))
cnt = struct.unpack_from("I", attr.raw, 24)[0]
print(" ".join(str(ids[i]) for i in range(cnt)))
EOF
}

@test "devices: the eBPF filter on the cgroup2 hierarchy allows /dev/null, denies the rest with EPERM" {
  local uni
  if [ -n "$CG_V2" ]; then uni=/sys/fs/cgroup$CGPATH; else uni=/sys/fs/cgroup/unified$CGPATH; fi
  [ -n "$CG_V2" ] || [ -d /sys/fs/cgroup/unified ] || skip "no cgroup2 hierarchy"
  # /dev/port (1:4) made by linux.devices but not allowed by any rule.
  update_config '.linux.devices = [{"path": "/dev/denied", "type": "c", "major": 1, "minor": 4, "fileMode": 438}]
                 | .linux.resources.devices = [{"allow": false, "access": "rwm"}]
                 | .process.args = ["/bin/sh", "-c", "probe read /dev/denied; probe write /dev/null; probe read /dev/zero"]'
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_status 0
  # A program is attached to the container's cgroup2 directory.
  run bpf_device_progs "$uni"
  assert_status 0
  [ -n "$output" ]
  # Only the eBPF program: reset the v1 list to allow-all first.
  if [ -z "$CG_V2" ]; then
    echo a >"/sys/fs/cgroup/devices$CGPATH/devices.allow"
  fi
  reg_runc start "$CID"
  wait_status "$CID" stopped
  run cat "$TEST_DIR/$CID.out"
  [ "${lines[0]}" = EPERM ]
  [ "${lines[1]}" = ok ]
  [ "${lines[2]}" = ok ]
}

# trace_migrations: record every move of a process into a cgroup from now
# on (cgroup:cgroup_attach_task), in a tracefs instance of the test's own
# (TRACE_DIR, removed by teardown).  A process born in its cgroup (clone3's
# CLONE_INTO_CGROUP) is never recorded; one that moves itself is recorded
# with its own pid as the writer's.
trace_migrations() {
  local tracing=/sys/kernel/tracing
  if [ ! -d "$tracing/instances" ]; then
    tracing=$TEST_DIR/tracing
    mkdir "$tracing"
    mount -t tracefs tracefs "$tracing"
    OWN_MOUNTS+=("$tracing")
  fi
  TRACE_DIR=$tracing/instances/reg-itest-$CID
  mkdir "$TRACE_DIR"
  echo 1 >"$TRACE_DIR/events/cgroup/cgroup_attach_task/enable"
}

# moves_into PATH: the traced moves into PATH (any hierarchy) as lines
# "ROOT WRITER MOVED": the hierarchy id (0: cgroup2), the pid that wrote,
# the pid moved.
moves_into() {
  sed -n "s|^ *.*-\([0-9]*\) *\[.*cgroup_attach_task: dst_root=\([0-9]*\) .* dst_path=$1 pid=\([0-9]*\) .*|\2 \1 \3|p" \
    "$TRACE_DIR/trace"
}

@test "cgroup: the init and an exec'd process are born in the cgroup2 directory and move themselves into v1 ones" {
  skip_if_runc "runc moves its init into the cgroup"
  # A move of another process waits for an RCU grace period (10-20 ms
  # here, per create or exec); a birth in the cgroup, or a process moving
  # only itself into a v1 cgroup, does not.
  local uni pid moved root n d
  if [ -n "$CG_V2" ]; then uni=/sys/fs/cgroup$CGPATH; else uni=/sys/fs/cgroup/pids$CGPATH; fi
  trace_migrations
  set_args /bin/probe sleep 100
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_status 0
  pid=$(reg_runc state "$CID" | jq .pid)
  # in each of its directories
  n=0
  for d in /sys/fs/cgroup$CGPATH /sys/fs/cgroup/*$CGPATH; do
    [ -d "$d" ] || continue
    n=$((n + 1))
    grep -qx "$pid" "$d/cgroup.procs"
  done
  [ "$n" -gt 0 ]
  run reg_runc exec "$CID" /bin/sh -c 'grep -c ":/$" /proc/self/cgroup; grep -c . /proc/self/cgroup'
  assert_status 0
  [ "${lines[0]}" = "${lines[1]}" ]
  reg_runc start "$CID"
  # The trace sees a move of another process: one of our own.
  sleep 100 &
  moved=$!
  BG_PIDS+=("$moved")
  echo "$moved" >"$uni/cgroup.procs"
  run moves_into "$CGPATH"
  root=0
  [ -n "$CG_V2" ] || root=$(awk '$1 == "pids" {print $2}' /proc/cgroups)
  assert_has_line "$root $BASHPID $moved"
  # ... and no other: none into the cgroup2 hierarchy, and into v1 ones
  # only processes moving themselves.
  [ "$(echo "$output" | awk -v m="$moved" '$3 != m && ($1 == 0 || $2 != $3)' | wc -l)" = 0 ]
}

@test "devices: v1 devices.allow/deny in order (deny-all first, then the allowed)" {
  need_v1
  update_config '.linux.devices = [{"path": "/dev/denied", "type": "c", "major": 1, "minor": 4, "fileMode": 438},
                                   {"path": "/dev/readonly", "type": "c", "major": 10, "minor": 200, "fileMode": 438}]
                 | .linux.resources.devices = [{"allow": false, "access": "rwm"},
                                               {"allow": true, "type": "c", "major": 10, "minor": 200, "access": "r"}]'
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_status 0
  run cat "/sys/fs/cgroup/devices$CGPATH/devices.list"
  assert_has_line "c 10:200 r"
  assert_has_line "c 1:3 rwm"
  ! grep -q "^a " "/sys/fs/cgroup/devices$CGPATH/devices.list"
  reg_runc delete --force "$CID"
  set_args /bin/sh -c 'probe read /dev/denied; probe write /dev/readonly; probe read /dev/readonly; probe write /dev/null'
  run --separate-stderr reg_runc run --bundle "$BUNDLE" "$CID"
  assert_status 0
  [ "${lines[0]}" = EPERM ]
  # Read allowed, write not: the driver may still refuse the read, the
  # cgroup does not.
  [ "${lines[1]}" = EPERM ]
  [ "${lines[2]}" != EPERM ]
  [ "${lines[3]}" = ok ]
}

# --- pause / resume ------------------------------------------------------

@test "pause/resume: the counter stops while paused, state says paused" {
  start_counter
  reg_runc pause "$CID"
  [ "$(state_field "$CID" status)" = paused ]
  local a b
  a=$(counter)
  sleep 0.5
  b=$(counter)
  [ "$a" = "$b" ]
  # pause twice, resume a running one: errors.
  run reg_runc resume "$CID"
  assert_status 0
  [ "$(state_field "$CID" status)" = running ]
  sleep 0.5
  [ "$(counter)" -gt "$b" ]
  run reg_runc resume "$CID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "not paused"
}

@test "kill of a paused container delivers SIGKILL; it can be deleted" {
  start_counter
  reg_runc pause "$CID"
  reg_runc kill "$CID" KILL
  wait_status "$CID" stopped
  reg_runc delete "$CID"
  assert_nothing_left "$CID"
}

@test "delete --force of a paused container" {
  start_counter
  reg_runc pause "$CID"
  run reg_runc delete "$CID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "paused"
  reg_runc delete --force "$CID"
  assert_nothing_left "$CID"
}

@test "delete --force of a paused container without a pid namespace: every process ends" {
  update_config '.linux.namespaces |= map(select(.type != "pid"))'
  update_config '.root.readonly = false'
  set_args /bin/sh -c 'sleep 1000 & sleep 1000 & echo started > /tmp/c; wait'
  run_detached run -d --bundle "$BUNDLE" "$CID"
  assert_status 0
  wait_file "$ROOTFS/tmp/c"
  local pids
  pids=$(reg_runc ps --format json "$CID" | jq -r '.[]')
  [ "$(echo "$pids" | wc -l)" -ge 3 ]
  reg_runc pause "$CID"
  reg_runc delete --force "$CID"
  assert_nothing_left "$CID"
  # Gone, or a zombie waiting for its new parent to reap it.
  for p in $pids; do
    st=$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null || true)
    [ -z "$st" ] || [ "$st" = Z ]
  done
}

# --- update --------------------------------------------------------------

@test "update --memory: the new limit is seen inside (units as runc)" {
  need_v1
  update_config '.linux.resources.memory = {"limit": 67108864}'
  start_counter /sys/fs/cgroup/memory/memory.limit_in_bytes
  wait_file "$ROOTFS/tmp/v"
  [ "$(cat "$ROOTFS/tmp/v")" = 67108864 ]
  reg_runc update --memory 128m "$CID"
  sleep 0.3
  [ "$(cat "$ROOTFS/tmp/v")" = 134217728 ]
  reg_runc update --memory=1G --memory-swap -1 "$CID"
  sleep 0.3
  [ "$(cat "$ROOTFS/tmp/v")" = 1073741824 ]
  run reg_runc update --memory 12x "$CID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "12x"
}

@test "update: memory.checkBeforeUpdate refuses a limit below the usage" {
  update_config '.linux.resources.memory = {"limit": 67108864}'
  start_counter
  echo '{"memory": {"limit": 8192, "checkBeforeUpdate": true}}' >"$TEST_DIR/res.json"
  run reg_runc update --resources "$TEST_DIR/res.json" "$CID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "checkBeforeUpdate"
  [ "$(cat "$(host_cg memory)/$([ -n "$CG_V2" ] && echo memory.max || echo memory.limit_in_bytes)")" = 67108864 ]
  # Devices cannot be changed by update; the running container keeps going.
  [ "$(state_field "$CID" status)" = running ]
}

@test "update --resources FILE (Podman) and - (containerd, stdin); --pids-limit" {
  update_config '.linux.resources.pids = {"limit": 100}'
  start_counter
  local pids
  pids=$(host_cg pids)
  [ "$(cat "$pids/pids.max")" = 100 ]
  echo '{"pids": {"limit": 50}, "cpu": {"shares": 256}}' >"$TEST_DIR/res.json"
  reg_runc update --resources="$TEST_DIR/res.json" "$CID"
  [ "$(cat "$pids/pids.max")" = 50 ]
  if [ -z "$CG_V2" ]; then
    [ "$(cat "/sys/fs/cgroup/cpu$CGPATH/cpu.shares")" = 256 ]
  fi
  # Podman's document (recorded by the samples): reservation, quota, period.
  echo '{"memory":{"reservation":33554432},"cpu":{"quota":50000,"period":100000}}' >"$TEST_DIR/podman.json"
  reg_runc update --resources="$TEST_DIR/podman.json" "$CID"
  if [ -z "$CG_V2" ]; then
    [ "$(cat "/sys/fs/cgroup/memory$CGPATH/memory.soft_limit_in_bytes")" = 33554432 ]
  fi
  # containerd's CRI document on stdin (its device rules are left as they are).
  reg_runc update -r - "$CID" <"$SRCDIR/tests/data/samples/containerd/cri-update-resources-stdin.json"
  if [ -z "$CG_V2" ]; then
    [ "$(cat "/sys/fs/cgroup/memory$CGPATH/memory.limit_in_bytes")" = 134217728 ]
    [ "$(cat "/sys/fs/cgroup/cpu$CGPATH/cpu.cfs_quota_us")" = 50000 ]
  else
    [ "$(cat "/sys/fs/cgroup$CGPATH/cpu.max")" = "50000 100000" ]
  fi
  reg_runc update --pids-limit 20 "$CID"
  [ "$(cat "$pids/pids.max")" = 20 ]
  # As runc: with a document the flags are ignored (with a warning).
  run reg_runc update --resources "$TEST_DIR/res.json" --pids-limit 33 "$CID"
  assert_status 0
  assert_contains "$output" "ignored"
  [ "$(cat "$pids/pids.max")" = 50 ]
  run reg_runc update --resources "$TEST_DIR/nonexistent.json" "$CID"
  [ "$status" -ne 0 ]
  echo '{"pids": {"limit": "x"}}' >"$TEST_DIR/bad.json"
  run reg_runc update --resources "$TEST_DIR/bad.json" "$CID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "pids.limit"
}

# --- ps / events ---------------------------------------------------------

@test "ps --format json: the host pids, the init's included; table: ps -ef lines" {
  start_counter
  local pid
  pid=$(state_field "$CID" pid)
  run reg_runc ps --format json "$CID"
  assert_status 0
  echo "$output" | jq -e --argjson p "$pid" 'type == "array" and index($p) != null'
  run reg_runc ps "$CID"
  assert_status 0
  [[ "${lines[0]}" == *PID* ]]
  echo "$output" | awk -v p="$pid" 'NR > 1 && $2 == p { found = 1 } END { exit !found }'
  # Only the container's processes: not this shell.
  ! echo "$output" | awk -v p="$$" 'NR > 1 && $2 == p { found = 1 } END { exit !found }'
  run reg_runc ps "$CID" -o pid,comm
  assert_status 0
  [[ "${lines[0]}" == *PID*COMMAND* ]]
  run reg_runc ps --format json nonexistent-id
  [ "$status" -ne 0 ]
  assert_contains "$output" "does not exist"
}

@test "events --stats: one runc stats document (memory usage, pids current)" {
  update_config '.linux.resources.pids = {"limit": 64}'
  start_counter
  run reg_runc events --stats "$CID"
  assert_status 0
  [ "${#lines[@]}" -eq 1 ]
  echo "$output" | jq -e --arg id "$CID" '.type == "stats" and .id == $id'
  echo "$output" | jq -e '.data.memory.usage.usage > 0'
  echo "$output" | jq -e '.data.pids.current >= 1 and .data.pids.limit == 64'
  echo "$output" | jq -e '.data.cpu.usage.total > 0'
  echo "$output" | jq -e '.data.blkio | type == "object"'
}

@test "events --interval: a line per interval until the container stops" {
  start_counter
  timeout 10 "$REG_RUNC" --root "$TEST_ROOT_STATE" events --interval 200ms "$CID" >"$TEST_DIR/ev" &
  BG_PIDS+=($!)
  sleep 1
  reg_runc kill "$CID" KILL
  wait "${BG_PIDS[-1]}"
  [ "$(wc -l <"$TEST_DIR/ev")" -ge 3 ]
  jq -e -s 'all(.type == "stats")' "$TEST_DIR/ev"
}

@test "events: an oom event when the OOM killer strikes in the container" {
  update_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432} | .root.readonly = false'
  set_args /bin/sh -c 'echo up > /tmp/c; sleep 1; probe alloc 200; sleep 1000'
  run_detached run -d --bundle "$BUNDLE" "$CID"
  assert_status 0
  wait_file "$ROOTFS/tmp/c"
  timeout 6 "$REG_RUNC" --root "$TEST_ROOT_STATE" events --interval 100ms "$CID" >"$TEST_DIR/ev" &
  BG_PIDS+=($!)
  local tries=50
  while ! grep -q '"type":"oom"' "$TEST_DIR/ev" && [ $tries -gt 0 ]; do
    sleep 0.1
    tries=$((tries - 1))
  done
  jq -e -s --arg id "$CID" 'any(.type == "oom" and .id == $id)' "$TEST_DIR/ev"
}

# --- delete / features ---------------------------------------------------

@test "delete removes the cgroup in every hierarchy" {
  start_counter
  [ -n "$(leaked_cgroups)" ]
  reg_runc delete --force "$CID"
  [ -z "$(leaked_cgroups)" ]
}

@test "features: linux.cgroup" {
  run reg_runc features
  assert_status 0
  echo "$output" | jq -e '.linux.cgroup.v1 == true and .linux.cgroup.v2 == true'
}
