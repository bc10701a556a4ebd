#!/usr/bin/env bats
# The systemd cgroup driver through the clients that call it on systemd
# hosts: Podman with cgroup_manager = "systemd" and containerd's runc v2 shim
# with SystemdCgroup, with reg-runc as their runtime, against a real
# systemd: both run inside a privileged Podman container whose PID 1 is
# systemd (tests/lib/systemd-container.sh, the image with Podman and
# containerd installed; containerd runs there as a systemd service, as on a
# node).  Asserted: the container's scope exists while it runs, carries the
# limits (systemctl show), the cgroup files from systemd's side and from
# inside the container agree, Podman's update changes both, and after rm
# there is no unit, no cgroup directory, no runtime state, no process.
#
# Podman there uses the contrib/podman/containers.conf snippet as its
# drop-in (reg-runc at /t/reg-runc) and the vfs storage driver (overlay on
# the outer container's overlay root does not mount); containerd the native
# snapshotter, for the same reason.  ctr run --runc-systemd-cgroup sets the
# shim's SystemdCgroup option, the one contrib/containerd/config.toml sets
# for the CRI handler "reg".
#
# Needs Podman (and root) on the host; a systemd container that cannot be
# made fails the file rather than skipping it.  The image is built once
# (the systemd image, then apt-get install podman containerd, ~1 min) and
# cached.

load helpers
# shellcheck source=tests/lib/systemd-container.sh
. "$HELPERS_DIR/../lib/systemd-container.sh"

SLICE=machine.slice
CTR_NS=regtest

setup_file() {
  [ "$(id -u)" = 0 ] || skip "integration tests run as root"
  command -v podman >/dev/null || skip "podman is not installed: no systemd container to test the clients in"
  [ -x "$PROBE" ] || {
    echo "probe not built: $PROBE" >&2
    return 1
  }
  sdc_sweep 2>&1 | sed 's/^/# /' >&3
  SD_DIR=$(mktemp -d "${TMPDIR:-/tmp}/reg-sdclients.XXXXXX")
  SDC_NAME=reg-sdtest-$BATS_ROOT_PID-$RANDOM
  export SD_DIR SDC_NAME
  cp "$REG_RUNC" "$SD_DIR/reg-runc"
  mkdir -p "$SD_DIR/rootfs"
  make_rootfs "$SD_DIR/rootfs"
  tar --numeric-owner -C "$SD_DIR/rootfs" -cf "$SD_DIR/busybox.tar" .
  rm -rf "$SD_DIR/rootfs"
  # The snippet of contrib/ with the runtime where the test put it.
  sed 's|/usr/local/sbin/reg-runc|/t/reg-runc|' "$SRCDIR/contrib/podman/containers.conf" >"$SD_DIR/reg-runc.conf"
  local t0=$SECONDS
  if ! sdc_start "$SDC_NAME" "$SD_DIR" clients; then
    echo "FAIL: cannot make the systemd container with Podman and containerd: $SDC_ERROR" >&2
    return 1
  fi
  echo "# systemd container with Podman and containerd ready in $((SECONDS - t0)) s" >&3
  if ! sdc "$SDC_NAME" systemctl is-active -q containerd; then
    echo "FAIL: containerd.service is not active in the systemd container: $(sdc "$SDC_NAME" systemctl status containerd 2>&1 | tail -5)" >&2
    return 1
  fi
  # Podman: the contrib drop-in, reg-runc its default runtime, systemd its
  # cgroup manager (said explicitly: it is the default only where systemd
  # booted Podman's host, which Podman checks itself).  The image, for
  # Podman and for containerd.
  # shellcheck disable=SC2016 # expanded in the container
  if ! sdc "$SDC_NAME" sh -ec '
    mkdir -p /etc/containers/containers.conf.d
    cp /t/reg-runc.conf /etc/containers/containers.conf.d/reg-runc.conf
    cat >/etc/containers/containers.conf <<EOC
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
log_driver = "k8s-file"

[engine]
cgroup_manager = "systemd"
runtime = "reg-runc"
events_logger = "file"
EOC
    cat >/etc/containers/storage.conf <<EOC
[storage]
driver = "vfs"
graphroot = "/var/lib/containers/storage"
runroot = "/run/containers/storage"
EOC
    podman import -q --change "CMD [\"/bin/sh\"]" /t/busybox.tar localhost/busybox >/dev/null
    podman save -q --format oci-archive -o /t/busybox.oci.tar localhost/busybox
    ctr -n "$1" images import --snapshotter native /t/busybox.oci.tar >/dev/null' sh "$CTR_NS" >&2; then
    echo "FAIL: cannot set up Podman and containerd in the systemd container" >&2
    return 1
  fi
  V2=
  [ "$(sdc "$SDC_NAME" stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && V2=1
  export V2
}

teardown_file() {
  local rc=0
  if [ -n "${SDC_NAME:-}" ]; then
    sdc_stop "$SDC_NAME" || rc=1
  fi
  [ -n "${SD_DIR:-}" ] && rm -rf "$SD_DIR"
  return $rc
}

# in_sd CMD...: CMD in the systemd container, bounded.
in_sd() {
  sdc "$SDC_NAME" "$@"
}

# show UNIT PROPERTY: systemd's value.
show() {
  in_sd systemctl show -p "$2" --value "$1"
}

# assert_scope UNIT: the container's scope is active, delegated, in the
# slice, with the limits both clients' tests ask for.
assert_scope() {
  [ "$(show "$1" ActiveState)" = active ]
  [ "$(show "$1" Delegate)" = yes ]
  [ "$(show "$1" ControlGroup)" = "/$SLICE/$1" ]
  [ "$(show "$1" MemoryMax)" = 67108864 ]
  [ "$(show "$1" TasksMax)" = 42 ]
  [ "$(show "$1" CPUQuotaPerSecUSec)" = 500ms ]
}

# outside UNIT V1-CONTROLLER V1-FILE V2-FILE: a file of the unit's cgroup as
# systemd's side sees it.
outside() {
  if [ -n "$V2" ]; then
    in_sd cat "/sys/fs/cgroup/$SLICE/$1/$4"
  else
    in_sd cat "/sys/fs/cgroup/$2/$SLICE/$1/$3"
  fi
}

# inside EXEC-PREFIX... -- V1-CONTROLLER V1-FILE V2-FILE: the same file as the
# container sees it in its own cgroup (through the client's exec).
inside() {
  local cmd=()
  while [ "$1" != -- ]; do
    cmd+=("$1")
    shift
  done
  shift
  if [ -n "$V2" ]; then
    in_sd "${cmd[@]}" cat "/sys/fs/cgroup/$3"
  else
    in_sd "${cmd[@]}" cat "/sys/fs/cgroup/$1/$2"
  fi
}

# leaks UNIT MARKER STATE-DIR: what is left of a container: its unit, a
# directory of it in any hierarchy, its runtime state, a process whose
# command line has MARKER.
leaks() {
  # shellcheck disable=SC2016 # expanded in the container
  in_sd sh -c '
    u=$1; marker=$2; state=$3
    ls=$(systemctl show -p LoadState --value "$u")
    [ "$ls" = not-found ] || echo "unit $u ($ls, $(systemctl show -p ActiveState --value "$u"))"
    for d in /sys/fs/cgroup/*/'"$SLICE"'/"$u" /sys/fs/cgroup/'"$SLICE"'/"$u"; do
      [ -d "$d" ] && echo "cgroup $d"
    done
    [ -e "$state" ] && echo "state $state"
    for p in /proc/[0-9]*; do
      [ "${p#/proc/}" = $$ ] && continue
      c=$(tr "\0" " " <"$p/cmdline" 2>/dev/null)
      case "$c" in
      *"$marker"*) echo "process ${p#/proc/}: $c" ;;
      esac
    done
    true' sh "$1" "$2" "$3"
}

@test "systemd clients: Podman with cgroup_manager = systemd: reg-runc's container is a scope with its limits, update changes both, rm leaves nothing" {
  local name=pm$BATS_TEST_NUMBER-$RANDOM id unit pid
  [ "$(in_sd podman info --format '{{.Host.CgroupManager}} {{.Host.OCIRuntime.Path}}')" = "systemd /t/reg-runc" ]
  run in_sd podman run -d --name "$name" --network none --memory 64m --pids-limit 42 --cpus 0.5 \
    localhost/busybox /bin/probe sleep 1000 "$name"
  [ "$status" -eq 0 ] || {
    echo "podman run: $output" >&2
    false
  }
  id=${lines[${#lines[@]} - 1]}
  unit=libpod-$id.scope
  [ "$(in_sd podman inspect -f '{{.OCIRuntime}}' "$id")" = reg-runc ]
  assert_scope "$unit"
  # the container's init is in the unit
  pid=$(in_sd podman inspect -f '{{.State.Pid}}' "$id")
  run in_sd cat "/proc/$pid/cgroup"
  assert_contains "$output" ":/$SLICE/$unit"
  # systemd's side and the container's own view agree
  [ "$(outside "$unit" memory memory.limit_in_bytes memory.max)" = 67108864 ]
  [ "$(inside podman exec "$id" -- memory memory.limit_in_bytes memory.max)" = 67108864 ]
  [ "$(outside "$unit" pids pids.max pids.max)" = 42 ]
  [ "$(inside podman exec "$id" -- pids pids.max pids.max)" = 42 ]
  if [ -n "$V2" ]; then
    [ "$(inside podman exec "$id" -- x x cpu.max)" = "50000 100000" ]
  else
    [ "$(inside podman exec "$id" -- cpu cpu.cfs_quota_us x)" = 50000 ]
  fi

  in_sd podman update --memory 128m --cpus 0.25 "$id"
  [ "$(show "$unit" MemoryMax)" = 134217728 ]
  [ "$(show "$unit" CPUQuotaPerSecUSec)" = 250ms ]
  [ "$(outside "$unit" memory memory.limit_in_bytes memory.max)" = 134217728 ]
  [ "$(inside podman exec "$id" -- memory memory.limit_in_bytes memory.max)" = 134217728 ]
  if [ -n "$V2" ]; then
    [ "$(inside podman exec "$id" -- x x cpu.max)" = "25000 100000" ]
  else
    [ "$(inside podman exec "$id" -- cpu cpu.cfs_quota_us x)" = 25000 ]
  fi

  in_sd podman rm -f -t 0 "$id"
  local left
  left=$(leaks "$unit" "sleep 1000 $name" "/run/reg-runc/$id")
  [ -z "$left" ] || {
    echo "left after podman rm: $left" >&2
    false
  }
  # conmon's scope too
  [ "$(show "libpod-conmon-$id.scope" LoadState)" = not-found ]
}

@test "systemd clients: containerd's runc v2 shim with SystemdCgroup: reg-runc's container is a scope with its limits and unit properties, delete leaves nothing" {
  local id=ctr$BATS_TEST_NUMBER-$RANDOM unit pid
  unit=regctr-$id.scope
  # The cgroupsPath as the kubelet gives it (slice:prefix:name), the
  # unit properties as annotations (containerd passes them on).
  run in_sd ctr -n "$CTR_NS" run -d --snapshotter native --runtime io.containerd.runc.v2 \
    --runc-binary /t/reg-runc --runc-systemd-cgroup --cgroup "$SLICE:regctr:$id" \
    --memory-limit 67108864 --cpu-quota 50000 --cpu-period 100000 \
    --annotation 'org.systemd.property.TasksMax=uint64 42' \
    --mount type=cgroup,src=cgroup,dst=/sys/fs/cgroup,options=ro:nosuid:noexec:nodev \
    localhost/busybox:latest "$id" /bin/probe sleep 1000 "$id"
  [ "$status" -eq 0 ] || {
    echo "ctr run: $output" >&2
    false
  }
  run in_sd ctr -n "$CTR_NS" tasks ls
  assert_contains "$output" RUNNING
  # the shim ran reg-runc: its state (runc writes neither key) in the
  # shim's runtime root
  # shellcheck disable=SC2016 # expanded in the container
  run in_sd sh -c 'cat "$0"/*' "/run/containerd/runc/$CTR_NS/$id"
  assert_contains "$output" '"reg_mode"'
  assert_contains "$output" "\"cgroup_unit\":\"$unit\""
  assert_scope "$unit"
  pid=$(in_sd ctr -n "$CTR_NS" tasks ls | awk -v id="$id" '$1 == id {print $2}')
  run in_sd cat "/proc/$pid/cgroup"
  assert_contains "$output" ":/$SLICE/$unit"
  [ "$(outside "$unit" memory memory.limit_in_bytes memory.max)" = 67108864 ]
  [ "$(inside ctr -n "$CTR_NS" tasks exec --exec-id e1 "$id" -- memory memory.limit_in_bytes memory.max)" = 67108864 ]
  [ "$(outside "$unit" pids pids.max pids.max)" = 42 ]
  [ "$(inside ctr -n "$CTR_NS" tasks exec --exec-id e2 "$id" -- pids pids.max pids.max)" = 42 ]
  if [ -n "$V2" ]; then
    [ "$(inside ctr -n "$CTR_NS" tasks exec --exec-id e3 "$id" -- x x cpu.max)" = "50000 100000" ]
  else
    [ "$(inside ctr -n "$CTR_NS" tasks exec --exec-id e3 "$id" -- cpu cpu.cfs_quota_us x)" = 50000 ]
  fi
  # pause and resume go through the unit's cgroup
  in_sd ctr -n "$CTR_NS" tasks pause "$id"
  run in_sd ctr -n "$CTR_NS" tasks ls
  assert_contains "$output" PAUSED
  in_sd ctr -n "$CTR_NS" tasks resume "$id"

  in_sd ctr -n "$CTR_NS" tasks kill -s KILL "$id"
  local s=
  for _ in $(seq 100); do
    s=$(in_sd ctr -n "$CTR_NS" tasks ls | awk -v id="$id" '$1 == id {print $3}')
    [ "$s" = STOPPED ] && break
    sleep 0.1
  done
  [ "$s" = STOPPED ] || {
    echo "task $id still '$s' 10 s after kill -s KILL" >&2
    false
  }
  in_sd ctr -n "$CTR_NS" tasks rm "$id"
  in_sd ctr -n "$CTR_NS" containers rm "$id"
  local left
  # the shim's command line has the id too
  left=$(leaks "$unit" "$id" "/run/containerd/runc/$CTR_NS/$id")
  [ -z "$left" ] || {
    echo "left after delete: $left" >&2
    false
  }
}
