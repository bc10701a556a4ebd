#!/usr/bin/env bats
# The systemd cgroup driver (--systemd-cgroup) against a real systemd: the
# runtime is copied into a privileged Podman container whose PID 1 is
# systemd (tests/lib/systemd-container.sh) and drives busybox containers
# there, on whatever cgroup layout the host gives it (v1/hybrid or v2).
# Asserted: the scope unit exists while the container runs and carries the
# limits, the cgroup files (from systemd's side and from inside the
# container) agree, update changes both, pause/resume/events/ps work through
# the unit's cgroup, delete leaves no unit and no cgroup, a create killed
# with SIGKILL at any point leaves nothing delete --force cannot remove,
# org.systemd.property.* annotations reach the unit, and without a reachable
# systemd the driver fails with one error naming the bus.
#
# Needs Podman (and root); on a machine with Podman, a systemd container that
# cannot be made fails the file rather than skipping it.  The image is built
# once (debootstrap from the apt mirror, ~1 min) and cached.

load helpers
# shellcheck source=tests/lib/systemd-container.sh
. "$HELPERS_DIR/../lib/systemd-container.sh"

# Inside the systemd container: the runtime, its state, the bundles.
IN_RT=/t/reg-runc
IN_ROOT=/run/reg-sdtest
SLICE=machine.slice
PREFIX=regtest

setup_file() {
  [ "$(id -u)" = 0 ] || skip "integration tests run as root"
  command -v podman >/dev/null || skip "podman is not installed: no systemd container to test the driver against"
  [ -x "$PROBE" ] || {
    echo "probe not built: $PROBE" >&2
    return 1
  }
  # A run killed before its teardown_file (meson's timeout) left its
  # container booted.
  sdc_sweep 2>&1 | sed 's/^/# /' >&3
  SD_DIR=$(mktemp -d "${TMPDIR:-/tmp}/reg-sdtest.XXXXXX")
  # The bats process's PID: sdc_sweep removes the container once it is gone.
  SDC_NAME=reg-sdtest-$BATS_ROOT_PID-$RANDOM
  export SD_DIR SDC_NAME
  cp "$REG_RUNC" "$SD_DIR/reg-runc"
  ROOTFS=$SD_DIR/rootfs
  mkdir -p "$ROOTFS"
  make_rootfs "$ROOTFS"
  local t0=$SECONDS
  if ! sdc_start "$SDC_NAME" "$SD_DIR"; then
    echo "FAIL: cannot make the systemd container: $SDC_ERROR" >&2
    return 1
  fi
  if [ -n "${SDC_IMAGE_BUILT:-}" ]; then
    echo "# the systemd image was built (debootstrap + import) in $SDC_IMAGE_BUILT s" >&3
  fi
  echo "# systemd container booted in $((SECONDS - t0 - ${SDC_IMAGE_BUILT:-0})) s" >&3
  # The runtime must load in the image (its libraries are in SDC_PACKAGES).
  local missing
  missing=$(sdc "$SDC_NAME" sh -c "ldd $IN_RT | grep 'not found'" || true)
  if [ -n "$missing" ]; then
    echo "FAIL: reg-runc cannot run in the systemd image (add the package to SDC_PACKAGES): $missing" >&2
    return 1
  fi
}

teardown_file() {
  local rc=0
  if [ -n "${SDC_NAME:-}" ]; then
    sdc_stop "$SDC_NAME" || rc=1
    sdc_stop "$SDC_NAME-v2" || rc=1
  fi
  [ -n "${SD_DIR:-}" ] && rm -rf "$SD_DIR"
  return $rc
}

setup() {
  sdc_podman_conf
  ID=sd${BATS_TEST_NUMBER}-$RANDOM
  UNIT=$PREFIX-$ID.scope
  BUNDLE=$SD_DIR/$ID
  mkdir -p "$BUNDLE"
  # The defaults (reg-runc spec: deny every device but the usual ones, a
  # cgroup namespace), a read-only busybox root shared by the tests.
  (cd "$BUNDLE" && "$REG_RUNC" spec)
  sd_config '.process.terminal = false
    | .process.args = ["/bin/probe", "sleep", "1000"]
    | .root = {"path": "/t/rootfs", "readonly": true}
    | .linux.cgroupsPath = $cg' --arg cg "$SLICE:$PREFIX:$ID"
  V2=
  [ "$(sdc "$SDC_NAME" stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && V2=1
  return 0
}

teardown() {
  local id left
  [ -n "${SDC2:-}" ] && sdc_stop "$SDC2"
  for id in $(sdc "$SDC_NAME" sh -c "ls $IN_ROOT 2>/dev/null" || true); do
    rt delete --force "$id" >/dev/null 2>&1 || true
  done
  left=$(sd_leaks "$ID")
  rm -rf "$BUNDLE"
  if [ -n "$left" ]; then
    echo "teardown: left behind: $left" >&2
    return 1
  fi
}

# sd_wait_status ID STATUS: wait (10 s at most) for the container's status;
# fails naming what it waited for.
sd_wait_status() {
  local s=
  for _ in $(seq 100); do
    s=$(rt state "$1" | jq -r .status)
    [ "$s" = "$2" ] && return 0
    sleep 0.1
  done
  echo "container $1 is still '$s' after 10 s, waited for '$2'" >&2
  return 1
}

sd_config() {
  local expr=$1
  shift
  jq "$@" "$expr" "$BUNDLE/config.json" >"$BUNDLE/config.json.new" && mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# rt ARGS: the runtime in the systemd container, for commands that do not
# leave a container's stdio open.
rt() {
  sdc "$SDC_NAME" "$IN_RT" --root "$IN_ROOT" "$@"
}

# rt_bg ID ARGS: create / run -d, with the container's stdio on files in
# the bundle dir; $status and $output (the runtime's stderr) as `run`.
rt_bg() {
  local id=$1
  shift
  status=0
  sdc "$SDC_NAME" sh -c 'id=$1; shift; "$@" </dev/null >/t/$id/out 2>/t/$id/err' sh "$id" \
    "$IN_RT" --root "$IN_ROOT" "$@" || status=$?
  output=$(cat "$SD_DIR/$id/err" 2>/dev/null)
}

# show UNIT PROPERTY: systemd's value.
show() {
  sdc "$SDC_NAME" systemctl show -p "$2" --value "$1"
}

# in_ctr ID CMD...: CMD inside the container (exec).
in_ctr() {
  local id=$1
  shift
  rt exec "$id" "$@"
}

# The unit's directory for a v1 controller (or the unified one) as systemd's
# side sees it.
unit_dir() {
  if [ -n "$V2" ]; then echo "/sys/fs/cgroup/$SLICE/$UNIT"; else echo "/sys/fs/cgroup/$1/$SLICE/$UNIT"; fi
}

# A limit as the container sees it in its own cgroup (cgroup namespace).
# limit_inside ID V1-CONTROLLER V1-FILE V2-FILE
limit_inside() {
  if [ -n "$V2" ]; then in_ctr "$1" /bin/probe cat "/sys/fs/cgroup/$4"; else in_ctr "$1" /bin/probe cat "/sys/fs/cgroup/$2/$3"; fi
}

limit_outside() {
  if [ -n "$V2" ]; then sdc "$SDC_NAME" cat "$(unit_dir)/$3"; else sdc "$SDC_NAME" cat "$(unit_dir "$1")/$2"; fi
}

# What is left of container ID: its unit (loaded), a directory of its unit
# in any hierarchy, its state, a process with the test's marker.
sd_leaks() {
  local id=$1
  sdc "$SDC_NAME" sh -c '
    u=$1; id=$2; root=$3
    ls=$(systemctl show -p LoadState --value "$u")
    [ "$ls" = not-found ] || echo "unit $u ($ls, $(systemctl show -p ActiveState --value "$u"))"
    for d in /sys/fs/cgroup/*/'"$SLICE"'/"$u" /sys/fs/cgroup/'"$SLICE"'/"$u"; do
      [ -d "$d" ] && echo "cgroup $d"
    done
    [ -e "$root/$id" ] && echo "state $root/$id"
    for p in /proc/[0-9]*; do
      c=$(tr "\0" " " <"$p/cmdline" 2>/dev/null)
      case "$c" in
      *"probe sleep 1000 $id"* | *"/t/$id "*) echo "process ${p#/proc/}: $c" ;;
      esac
    done
    true' sh "$PREFIX-$id.scope" "$id" "$IN_ROOT"
}

# The container's process carries the test's id, so a leftover is found.
mark_args() {
  sd_config '.process.args = ["/bin/probe", "sleep", "1000", $id]' --arg id "$ID"
}

@test "systemd: features report the driver; without a reachable systemd, one error naming the bus and nothing left" {
  run "$REG_RUNC" features
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq .linux.cgroup.systemd)" = true ]
  [ "$(echo "$output" | jq .linux.cgroup.systemdUser)" = true ]

  # systemd's private socket hidden and the bus address pointing nowhere.
  run sdc "$SDC_NAME" unshare -m sh -c 'mount -t tmpfs tmpfs /run/systemd &&
    DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/reg-sdtest-no-bus exec "$@" </dev/null' sh \
    "$IN_RT" --root "$IN_ROOT" --systemd-cgroup create --bundle "/t/$ID" "$ID"
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ] || {
    echo "more than one line: $output" >&2
    false
  }
  assert_contains "$output" "/run/systemd/private"
  assert_contains "$output" "system bus \`unix:path=/run/reg-sdtest-no-bus\`"
  [ -z "$(sd_leaks "$ID")" ]
  # --cgroup-manager systemd is the same driver.
  run sdc "$SDC_NAME" unshare -m sh -c 'mount -t tmpfs tmpfs /run/systemd &&
    DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/reg-sdtest-no-bus exec "$@" </dev/null' sh \
    "$IN_RT" --root "$IN_ROOT" --cgroup-manager systemd create --bundle "/t/$ID" "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "/run/systemd/private"
}

@test "systemd: the scope holds the container while it runs, with its limits; the files inside agree" {
  mark_args
  sd_config '.linux.resources.memory = {"limit": 67108864}
    | .linux.resources.pids = {"limit": 42}
    | .linux.resources.cpu = {"shares": 512, "quota": 25000, "period": 100000}'
  rt_bg "$ID" --systemd-cgroup create --bundle "/t/$ID" "$ID"
  [ "$status" -eq 0 ] || {
    echo "create: $output" >&2
    false
  }
  # created: the unit runs the init, blocked before its program
  [ "$(show "$UNIT" ActiveState)" = active ]
  [ "$(show "$UNIT" Delegate)" = yes ]
  [ "$(show "$UNIT" ControlGroup)" = "/$SLICE/$UNIT" ]
  [ "$(show "$UNIT" MemoryMax)" = 67108864 ]
  [ "$(show "$UNIT" TasksMax)" = 42 ]
  [ "$(show "$UNIT" CPUQuotaPerSecUSec)" = 250ms ]
  [ "$(show "$UNIT" DevicePolicy)" = strict ]
  [ "$(rt state "$ID" | jq -r .status)" = created ]
  rt start "$ID"
  [ "$(rt state "$ID" | jq -r .status)" = running ]

  # systemd's side of the cgroup and the container's own view agree
  [ "$(limit_outside memory memory.limit_in_bytes memory.max)" = 67108864 ]
  [ "$(limit_inside "$ID" memory memory.limit_in_bytes memory.max)" = 67108864 ]
  [ "$(limit_outside pids pids.max pids.max)" = 42 ]
  [ "$(limit_inside "$ID" pids pids.max pids.max)" = 42 ]
  if [ -n "$V2" ]; then
    [ "$(limit_inside "$ID" cpu x cpu.max)" = "25000 100000" ]
  else
    [ "$(limit_inside "$ID" cpu cpu.cfs_quota_us x)" = 25000 ]
    [ "$(limit_inside "$ID" cpu cpu.shares x)" = 512 ]
    # hierarchies systemd leaves out got the unit's path by hand
    sdc "$SDC_NAME" test -d "$(unit_dir freezer)"
  fi

  # the init is in the unit: ps and systemd agree on it
  local pid
  pid=$(rt state "$ID" | jq -r .pid)
  run rt ps --format json "$ID"
  [ "$status" -eq 0 ]
  echo "$output" | jq -e --argjson p "$pid" 'any(.[]; . == $p)' >/dev/null
  run sdc "$SDC_NAME" cat "/proc/$pid/cgroup"
  assert_contains "$output" "/$SLICE/$UNIT"

  rt delete --force "$ID"
  [ -z "$(sd_leaks "$ID")" ]
}

@test "systemd: update changes the unit's properties and the cgroup files" {
  sd_config '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 42}'
  rt_bg "$ID" --systemd-cgroup run -d --bundle "/t/$ID" "$ID"
  [ "$status" -eq 0 ] || {
    echo "run: $output" >&2
    false
  }
  rt update --memory 128m --pids-limit 77 --cpu-quota 12345 --cpu-period 100000 "$ID"
  [ "$(show "$UNIT" MemoryMax)" = 134217728 ]
  [ "$(show "$UNIT" TasksMax)" = 77 ]
  # systemd keeps whole percents; the kernel gets the exact quota
  [ "$(show "$UNIT" CPUQuotaPerSecUSec)" = 130ms ]
  [ "$(limit_inside "$ID" memory memory.limit_in_bytes memory.max)" = 134217728 ]
  [ "$(limit_outside memory memory.limit_in_bytes memory.max)" = 134217728 ]
  [ "$(limit_inside "$ID" pids pids.max pids.max)" = 77 ]
  if [ -n "$V2" ]; then
    [ "$(limit_inside "$ID" cpu x cpu.max)" = "12345 100000" ]
  else
    [ "$(limit_inside "$ID" cpu cpu.cfs_quota_us x)" = 12345 ]
  fi
  # a resources document (Podman's and containerd's form)
  echo '{"memory": {"limit": 100663296}, "pids": {"limit": 50}}' >"$BUNDLE/res.json"
  rt update --resources "/t/$ID/res.json" "$ID"
  [ "$(show "$UNIT" MemoryMax)" = 100663296 ]
  [ "$(show "$UNIT" TasksMax)" = 50 ]
  [ "$(limit_inside "$ID" pids pids.max pids.max)" = 50 ]
  # a daemon-reload re-applies the unit's settings: the limits stay
  sdc "$SDC_NAME" systemctl daemon-reload
  [ "$(limit_outside memory memory.limit_in_bytes memory.max)" = 100663296 ]
  [ "$(limit_outside pids pids.max pids.max)" = 50 ]
  rt delete --force "$ID"
}

@test "systemd: pause, resume and events through the unit's cgroup" {
  rt_bg "$ID" --systemd-cgroup run -d --bundle "/t/$ID" "$ID"
  [ "$status" -eq 0 ]
  rt pause "$ID"
  [ "$(rt state "$ID" | jq -r .status)" = paused ]
  rt resume "$ID"
  [ "$(rt state "$ID" | jq -r .status)" = running ]
  run rt events --stats "$ID"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq .data.pids.current)" -ge 1 ]
  # kill of a paused container, then delete
  rt pause "$ID"
  rt delete --force "$ID"
  [ -z "$(sd_leaks "$ID")" ]
}

@test "systemd: delete leaves no unit and no cgroup; a container whose process exits too" {
  mark_args
  rt_bg "$ID" --systemd-cgroup run -d --bundle "/t/$ID" "$ID"
  [ "$status" -eq 0 ]
  [ "$(show "$UNIT" ActiveState)" = active ]
  rt kill "$ID" KILL
  sd_wait_status "$ID" stopped
  rt delete "$ID"
  [ -z "$(sd_leaks "$ID")" ]

  # a process that exits by itself: systemd drops the empty scope, delete
  # removes what systemd did not make
  sd_config '.process.args = ["/bin/probe", "exit", "0"]'
  rt_bg "$ID" --systemd-cgroup run -d --bundle "/t/$ID" "$ID"
  [ "$status" -eq 0 ]
  sd_wait_status "$ID" stopped
  rt delete "$ID"
  [ -z "$(sd_leaks "$ID")" ]
}

@test "systemd: create killed with SIGKILL at increasing delays: delete --force leaves nothing, the id is reusable" {
  mark_args
  local d left st
  for d in 0 0.004 0.008 0.012 0.016 0.02 0.025 0.03 0.04 0.06 0.1; do
    st=$(sdc "$SDC_NAME" sh -c 'd=$1; shift; "$@" </dev/null >/dev/null 2>&1 & p=$!; sleep "$d"
      kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null
      systemctl show -p ActiveState --value "$0"' "$UNIT" "$d" "$IN_RT" --root "$IN_ROOT" --systemd-cgroup \
      create --bundle "/t/$ID" "$ID")
    run rt delete --force "$ID"
    left=$(sd_leaks "$ID")
    [ -z "$left" ] || {
      echo "create killed after $d s (unit was $st), delete --force ($status: $output) left: $left" >&2
      false
    }
  done
  rt_bg "$ID" --systemd-cgroup run -d --bundle "/t/$ID" "$ID"
  [ "$status" -eq 0 ]
  [ "$(show "$UNIT" ActiveState)" = active ]
  rt delete --force "$ID"
  [ -z "$(sd_leaks "$ID")" ]
}

@test "systemd: org.systemd.property annotations reach the unit; an invalid one is refused before anything runs" {
  sd_config '.annotations = {"org.systemd.property.TimeoutStopUSec": "uint64 123456789",
                             "org.systemd.property.RuntimeMaxSec": "3600"}'
  rt_bg "$ID" --systemd-cgroup run -d --bundle "/t/$ID" "$ID"
  [ "$status" -eq 0 ] || {
    echo "run: $output" >&2
    false
  }
  [ "$(show "$UNIT" TimeoutStopUSec)" = "2min 3.456789s" ]
  [ "$(show "$UNIT" RuntimeMaxUSec)" = 1h ]
  rt delete --force "$ID"

  sd_config '.annotations = {"org.systemd.property.TasksMax": "uint64 nope"}'
  rt_bg "$ID" --systemd-cgroup create --bundle "/t/$ID" "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "org.systemd.property.TasksMax"
  [ -z "$(sd_leaks "$ID")" ]
  # one systemd refuses: its message, and nothing left
  sd_config '.annotations = {"org.systemd.property.NoSuchProperty": "uint64 1"}'
  rt_bg "$ID" --systemd-cgroup create --bundle "/t/$ID" "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "NoSuchProperty"
  [ -z "$(sd_leaks "$ID")" ]
}

@test "systemd: a unit name another container has: create fails, that container is untouched" {
  mark_args
  rt_bg "$ID" --systemd-cgroup run -d --bundle "/t/$ID" "$ID"
  [ "$status" -eq 0 ]
  # a second container with the same cgroupsPath (so the same unit)
  local other=$ID-b
  mkdir -p "$SD_DIR/$other"
  cp "$BUNDLE/config.json" "$SD_DIR/$other/"
  rt_bg "$other" --systemd-cgroup create --bundle "/t/$other" "$other"
  [ "$status" -ne 0 ]
  assert_contains "$output" "$UNIT"
  [ -z "$(sd_leaks "$other" | grep -v "$UNIT")" ]
  [ "$(show "$UNIT" ActiveState)" = active ]
  [ "$(rt state "$ID" | jq -r .status)" = running ]
  sdc "$SDC_NAME" test -d "$(unit_dir pids)"
  rm -rf "${SD_DIR:?}/$other"
  rt delete --force "$ID"
}

# rt_bus ARGS: the runtime with systemd's private socket hidden from it (a
# mount namespace of its own), so it talks through the system bus's broker.
rt_bus() {
  sdc "$SDC_NAME" unshare -m sh -c 'mount -t tmpfs tmpfs /run/systemd && "$@" </dev/null >/dev/null 2>/t/bus.err ||
    { cat /t/bus.err >&2; exit 1; }' sh "$IN_RT" --root "$IN_ROOT" "$@"
}

@test "systemd: through the system bus (dbus-daemon) when systemd's private socket is not there" {
  mark_args
  sd_config '.linux.resources.pids = {"limit": 33}'
  # create, update and delete through the broker (the job signals matched
  # by sender there)
  rt_bus --systemd-cgroup create --bundle "/t/$ID" "$ID"
  [ "$(show "$UNIT" TasksMax)" = 33 ]
  rt start "$ID"
  rt_bus update --pids-limit 44 "$ID"
  [ "$(show "$UNIT" TasksMax)" = 44 ]
  [ "$(limit_inside "$ID" pids pids.max pids.max)" = 44 ]
  rt_bus delete --force "$ID"
  [ -z "$(sd_leaks "$ID")" ]
}

# unified_container: UNI, a systemd container on the v2 layout: the first
# one on a v2 host, else a second one booted with systemd on the unified
# hierarchy alone (SDC2, which teardown removes).
unified_container() {
  if [ -n "$V2" ]; then
    UNI=$SDC_NAME
    return 0
  fi
  SDC2=$SDC_NAME-v2
  sdc_start "$SDC2" "$SD_DIR" unified || {
    echo "FAIL: cannot make the unified systemd container: $SDC_ERROR" >&2
    return 1
  }
  [ "$(sdc "$SDC2" stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || {
    echo "FAIL: the unified systemd container's /sys/fs/cgroup is not cgroup2" >&2
    return 1
  }
  UNI=$SDC2
}

@test "systemd: a systemd on the unified hierarchy alone (the v2 layout): scope, device policy, pause, delete" {
  [ -z "$V2" ] || skip "the host is cgroup v2: every other test ran on the v2 layout"
  # On this v1/hybrid host the cgroup2 hierarchy has no controllers to
  # delegate: no limits here, the v2 paths, freezer and device filter only.
  unified_container
  mark_args
  sdc "$UNI" sh -c '"$@" </dev/null >/dev/null 2>/t/$0/err || { cat /t/$0/err; exit 1; }' "$ID" \
    "$IN_RT" --root "$IN_ROOT" --systemd-cgroup run -d --bundle "/t/$ID" "$ID"
  [ "$(sdc "$UNI" systemctl show -p ActiveState --value "$UNIT")" = active ]
  [ "$(sdc "$UNI" systemctl show -p DevicePolicy --value "$UNIT")" = strict ]
  local pid
  pid=$(sdc "$UNI" "$IN_RT" --root "$IN_ROOT" state "$ID" | jq -r .pid)
  sdc "$UNI" grep -qx "$pid" "/sys/fs/cgroup/$SLICE/$UNIT/cgroup.procs"
  # the device filters (systemd's and the runtime's) let /dev/null through
  sdc "$UNI" "$IN_RT" --root "$IN_ROOT" exec "$ID" /bin/probe cat /dev/null
  sdc "$UNI" "$IN_RT" --root "$IN_ROOT" pause "$ID"
  [ "$(sdc "$UNI" cat "/sys/fs/cgroup/$SLICE/$UNIT/cgroup.freeze")" = 1 ]
  sdc "$UNI" "$IN_RT" --root "$IN_ROOT" resume "$ID"
  sdc "$UNI" "$IN_RT" --root "$IN_ROOT" delete --force "$ID"
  [ "$(sdc "$UNI" systemctl show -p LoadState --value "$UNIT")" = not-found ]
  run sdc "$UNI" test -e "/sys/fs/cgroup/$SLICE/$UNIT"
  [ "$status" -ne 0 ]
}

# --systemd-cgroup run by a user: the driver asks the user's own manager
# (systemd --user, user@UID.service, reached on $XDG_RUNTIME_DIR/systemd/private)
# for the scope, as rootless Podman with cgroup_manager = "systemd" does.  On
# the unified layout: systemd gives a user's manager a delegated cgroup2
# subtree only (on a v1/hybrid host it has no controllers there, so no limits).
@test "systemd: --systemd-cgroup as a user: a scope of the user's own manager holds the container; delete stops it" {
  unified_container
  local uid=1500 user=regsd home=/home/regsd pid cg unit_cg xdg=/run/user/1500
  sdc "$UNI" useradd -m -u "$uid" -s /bin/sh "$user"
  # pam_systemd (libpam-systemd, not in the image) would set it at login
  sdc "$UNI" sh -c 'mkdir -p /etc/systemd/system/user@.service.d &&
    printf "[Service]\nEnvironment=XDG_RUNTIME_DIR=/run/user/%%i\n" >/etc/systemd/system/user@.service.d/xdg.conf &&
    systemctl daemon-reload'
  sdc "$UNI" systemctl start "user@$uid.service" || {
    sdc "$UNI" journalctl -q --no-pager -n 30 -u "user@$uid.service" -u "user-runtime-dir@$uid.service" >&2
    return 1
  }
  sdc "$UNI" sh -c 'for i in $(seq 100); do [ -S "$1/systemd/private" ] && exit 0; sleep 0.1; done
    echo "no user manager socket at $1/systemd/private" >&2; exit 1' sh "$xdg"
  # The user's bundle, in its home (the test dir is root's): a rootless
  # config (its user namespace maps uid 0 to the user) and the same rootfs.
  (cd "$BUNDLE" && rm config.json && "$REG_RUNC" spec --rootless)
  sd_config '.process.terminal = false
    | .process.args = ["/bin/probe", "sleep", "1000", $id]
    | .root = {"path": "rootfs", "readonly": true}
    | .linux.uidMappings = [{"containerID": 0, "hostID": ($uid | tonumber), "size": 1}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": ($uid | tonumber), "size": 1}]
    | .linux.cgroupsPath = $cg' --arg id "$ID" --arg uid "$uid" --arg cg "user.slice:$PREFIX:$ID"
  sdc "$UNI" sh -c 'mkdir -p "$1/b" && cp -a /t/rootfs "$1/b/rootfs" && cp "/t/$2/config.json" "$1/b/" &&
    install -m 755 /t/reg-runc /usr/local/bin/reg-runc && chown -R "$3:$3" "$1/b"' sh "$home" "$ID" "$user"
  # as_u CMD...: CMD as the user, with the environment its session has
  as_u() {
    sdc "$UNI" runuser -u "$user" -- env -C "$home/b" XDG_RUNTIME_DIR="$xdg" "$@"
  }
  as_u sh -c 'reg-runc --systemd-cgroup run -d --bundle . "$1" </dev/null >/dev/null 2>err || { cat err >&2; exit 1; }' sh "$ID"
  # the user's manager has the scope, active, and the container's init in it
  [ "$(as_u systemctl --user show -p ActiveState --value "$UNIT")" = active ]
  unit_cg=$(as_u systemctl --user show -p ControlGroup --value "$UNIT")
  [[ $unit_cg == "/user.slice/user-$uid.slice/user@$uid.service/"*"/$UNIT" ]] ||
    { echo "the scope's cgroup '$unit_cg' is not in the user's manager" >&2; return 1; }
  pid=$(as_u reg-runc state "$ID" | jq -r .pid)
  cg=$(sdc "$UNI" cat "/proc/$pid/cgroup")
  echo "$cg" | grep -qxF "0::$unit_cg" || { echo "the init is in '$cg', not in the scope's '$unit_cg'" >&2; return 1; }
  # the root's manager knows nothing of it
  [ "$(sdc "$UNI" systemctl show -p LoadState --value "$UNIT")" = not-found ]
  as_u reg-runc delete --force "$ID"
  [ "$(as_u systemctl --user show -p LoadState --value "$UNIT")" = not-found ]
  run sdc "$UNI" test -e "/sys/fs/cgroup$unit_cg"
  [ "$status" -ne 0 ]
  [ -z "$(as_u ls "$xdg/reg-runc" 2>/dev/null)" ]
}
