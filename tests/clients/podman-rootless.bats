#!/usr/bin/env bats
# Rootless Podman with reg-runc as its runtime (README: Rootless): a test user
# with a subordinate uid/gid range, made here and removed in teardown_file
# (with its processes, its /etc/subuid and /etc/subgid lines and every file it
# made), runs Podman with its own storage, configured by
# contrib/podman/containers-rootless.conf.  The runtime then runs as uid 0 of
# Podman's user namespace, without a cgroup (none is delegated on this host),
# with its REG store in the user's home.  Also the direct path: a bundle of
# `reg-runc spec --rootless` run by the user.

load helpers
bats_require_minimum_version 1.5.0

# The test user's name, uid and directories; the range they map.
RL_STATE=${BATS_FILE_TMPDIR:-/nonexistent}/rl-user

rl_load () {
  # shellcheck disable=SC1090
  . "$RL_STATE"
}

# as_rl CMD...: CMD as the test user, with the environment a login gives
# (and no more: no XDG_DATA_HOME/XDG_CONFIG_HOME, the runtime's defaults),
# in its home, bounded in time.
as_rl () {
  (cd "$RL_HOME" && timeout "$CMD_TIMEOUT" runuser -u "$RL_USER" -- env -i HOME="$RL_HOME" \
    XDG_RUNTIME_DIR="$RL_HOME/run" TMPDIR="$RL_HOME/tmp" PATH="$RL_BIN:/usr/sbin:/usr/bin:/sbin:/bin" USER="$RL_USER" "$@")
}

# Podman as the test user, with reg-runc by the name its containers.conf gives.
rpm () {
  as_rl podman --runtime reg-runc "$@"
}

# The first uid (and gid) at or above FLOOR that no user/group has and no
# subordinate range of /etc/subuid, /etc/subgid covers.
free_id () {
  local id=$1
  while getent passwd "$id" > /dev/null || getent group "$id" > /dev/null || in_subid_range "$id" 1; do
    id=$((id + 1))
  done
  echo "$id"
}

# in_subid_range START COUNT: 0 when [START, START+COUNT) overlaps a range
# of /etc/subuid or /etc/subgid.
in_subid_range () {
  cat /etc/subuid /etc/subgid 2> /dev/null |
    awk -F: -v s="$1" -v n="$2" 'NF == 3 && s < $2 + $3 && $2 < s + n { found = 1 } END { exit !found }'
}

setup_file () {
  command -v podman > /dev/null || skip "podman not installed (contrib/install-client-deps.sh)"
  [ -x "$REG_RUNC" ] || skip "runtime under test not built: $REG_RUNC"
  local p
  for p in newuidmap newgidmap runuser useradd; do
    if ! command -v "$p" > /dev/null; then
      echo "$p is missing: rootless Podman needs uidmap (contrib/install-client-deps.sh)" >&2
      return 1
    fi
  done
  local uid start base
  uid=$(free_id 62000)
  start=2000000
  while in_subid_range "$start" 65536; do start=$((start + 65536)); done
  # Not under the bats temp dir (root's 0700 directories): the user must
  # reach its home and the runtime.
  base=$(mktemp -d /tmp/reg-rl.XXXXXX)
  chmod 755 "$base"
  {
    echo "RL_USER=reg-rl-$$"
    echo "RL_UID=$uid"
    echo "RL_SUB=$start"
    echo "RL_BASE=$base"
    echo "RL_HOME=$base/home"
    echo "RL_BIN=$base/bin"
  } > "$RL_STATE"
  rl_load
  # From here on teardown_file removes what exists of the user.
  useradd --no-create-home --home-dir "$RL_HOME" --uid "$RL_UID" --user-group --shell /bin/sh \
    -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$RL_USER"
  touch "$RL_STATE.made"
  usermod --add-subuids "$RL_SUB-$((RL_SUB + 65535))" --add-subgids "$RL_SUB-$((RL_SUB + 65535))" "$RL_USER"
  # tmp: Podman's image copies (not /var/tmp)
  mkdir -p "$RL_HOME/run" "$RL_HOME/tmp" "$RL_HOME/.config/containers" "$RL_BIN" "$RL_BASE/images"
  chmod 700 "$RL_HOME/run"
  # Where the build may not be reachable (a checkout in root's home): a copy.
  cp "$REG_RUNC" "$RL_BIN/reg-runc"
  chmod 755 "$RL_BIN" "$RL_BIN/reg-runc"
  # contrib's rootless snippet, with the copy's path and no systemd here.
  sed -e "s|/usr/local/sbin/reg-runc|$RL_BIN/reg-runc|" \
    -e 's|^# cgroup_manager = |cgroup_manager = |' -e 's|^# events_logger = |events_logger = |' \
    -e "s|^\\[engine\\]\$|[engine]\\nimage_copy_tmp_dir = \"$RL_HOME/tmp\"|" \
    "$SRCDIR/contrib/podman/containers-rootless.conf" > "$RL_HOME/.config/containers/containers.conf"
  printf '[storage]\ndriver = "overlay"\n' > "$RL_HOME/.config/containers/storage.conf"
  chown -R "$RL_USER:$RL_USER" "$RL_HOME"

  # Images: busybox, and two copies of the Debian image whose layers differ
  # (one file more), so that their libc.so.6 are two files on disk.
  local rootfs=$RL_BASE/images/bb a
  mkdir -p "$rootfs"/{bin,etc,proc,sys,dev,tmp,root}
  cp /bin/busybox "$rootfs/bin/busybox"
  for a in $("$rootfs/bin/busybox" --list); do
    [ -e "$rootfs/bin/$a" ] || ln -s busybox "$rootfs/bin/$a"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\n' > "$rootfs/etc/passwd"
  tar --numeric-owner -C "$rootfs" -cf "$RL_BASE/images/bb.tar" .
  . "$SRCDIR/tests/lib/bookworm.sh"
  bookworm_build "$BOOKWORM_TAR" || { echo "$BOOKWORM_ERROR" >&2; return 1; }
  cp "$BOOKWORM_TAR" "$RL_BASE/images/deb.tar"
  chmod -R a+rX "$RL_BASE/images"
  as_rl podman import -q --change 'ENV PATH=/bin' "$RL_BASE/images/bb.tar" localhost/bb > /dev/null
  as_rl podman import -q "$RL_BASE/images/deb.tar" localhost/deb-a > /dev/null
  mkdir -p "$RL_BASE/images/extra"
  echo b > "$RL_BASE/images/extra/reg-copy"
  tar -C "$RL_BASE/images/extra" -rf "$RL_BASE/images/deb.tar" ./reg-copy
  as_rl podman import -q "$RL_BASE/images/deb.tar" localhost/deb-b > /dev/null
  rm -rf "$RL_BASE/images"
}

teardown_file () {
  [ -s "$RL_STATE" ] || return 0
  rl_load
  if [ -e "$RL_STATE.made" ]; then
    rpm rm -af -t 0 > /dev/null 2>&1 || true
    # Podman's pause process holds its user namespace; then whatever the
    # user (made by this file) still runs: processes this file started.
    # A podman cut off by CMD_TIMEOUT may still start its pause process
    # meanwhile: until none is left.
    local pids round
    pids=$(cat "$RL_HOME/run/libpod/tmp/pause.pid" 2> /dev/null || true)
    [ -z "$pids" ] || kill -KILL $pids 2> /dev/null || true
    for round in 1 2 3 4 5 6 7 8 9 10; do
      pids=$(ps -o pid= -U "$RL_UID" 2> /dev/null || true)
      [ -n "$pids" ] || break
      kill -KILL $pids 2> /dev/null || true
      sleep 0.2
    done
    [ -z "$pids" ] || echo "# processes of $RL_USER left (round $round):" $pids >&3
    usermod --del-subuids "$RL_SUB-$((RL_SUB + 65535))" --del-subgids "$RL_SUB-$((RL_SUB + 65535))" \
      "$RL_USER" 2> /dev/null || true
    userdel "$RL_USER" || echo "# userdel $RL_USER failed" >&3
    getent group "$RL_USER" > /dev/null && groupdel "$RL_USER"
  fi
  if grep -q "^$RL_USER:" /etc/subuid /etc/subgid 2> /dev/null; then
    echo "# $RL_USER still in /etc/subuid or /etc/subgid" >&3
  fi
  check_no_mounts "$RL_BASE" || true
  rm -rf "$RL_BASE"
  # Podman's lock file of the user (XDG_RUNTIME_DIR holds the rest).
  rm -f "/dev/shm/libpod_rootless_lock_$RL_UID"
}

setup () {
  rl_load
}

teardown () {
  rpm rm -af -t 0 > /dev/null 2>&1 || true
}

# The host pid of a container's init.
rl_cpid () { rpm inspect --format '{{.State.Pid}}' "$1"; }

# The device:inode of the libc.so.6 that PID maps.
libc_map () {
  awk '$6 ~ /\/libc\.so\.6$/ { print $4, $5; exit }' "/proc/$1/maps"
}

@test "rootless podman: run, exec, stop and rm; uid 0 is the user, no cgroup of the runtime's" {
  run rpm run --rm --network none localhost/bb /bin/echo hi
  [ "$status" -eq 0 ] || fail "run --rm: $output"
  [ "$output" = hi ] || fail "run --rm: $output"
  run rpm run -d --name rl-life --network none localhost/bb /bin/sleep 1000
  [ "$status" -eq 0 ] || fail "run -d: $output"
  local cid
  cid=$(rpm inspect --format '{{.Id}}' rl-life)
  # The runtime's state is the user's (XDG_RUNTIME_DIR), made by uid 0 of
  # Podman's user namespace: owned by the user.
  [ "$(stat -c %u "$RL_HOME/run/reg-runc/$cid")" = "$RL_UID" ] || fail "state dir of $cid"
  run rpm exec rl-life /bin/sh -c 'cat /proc/self/uid_map; cat /proc/self/cgroup'
  [ "$status" -eq 0 ] || fail "exec: $output"
  # uid 0 inside is the user outside
  [ "$(echo "$output" | awk '$1 == 0 { print $2, $3 }')" = "$RL_UID 1" ] || fail "uid_map: $output"
  [[ "$output" != *"$cid"* ]] || fail "a cgroup named after the container: $output"
  run rpm stop -t 1 rl-life
  [ "$status" -eq 0 ] || fail "stop: $output"
  [ "$(rpm inspect --format '{{.State.Status}}' rl-life)" = exited ] || fail "not exited after stop"
  run rpm rm rl-life
  [ "$status" -eq 0 ] || fail "rm: $output"
  [ ! -e "$RL_HOME/run/reg-runc/$cid" ] || fail "state of $cid left behind"
}

@test "rootless podman: --memory on a host without delegation gives Podman's warning; the container runs" {
  run rpm run --rm --network none --memory 64m --pids-limit 50 localhost/bb /bin/echo ran
  [ "$status" -eq 0 ] || fail "run --memory: $output"
  [[ "$output" == *ran ]] || fail "run --memory: $output"
  if host_cgroup_v2; then
    echo "cgroup v2 host: the test is written for cgroup v1 hosts without delegation" >&2
    return 1
  fi
  [[ "$output" == *"Resource limits are not supported and ignored on cgroups V1 rootless systems"* ]] ||
    fail "no warning: $output"
}

@test "rootless podman: run.reg.mode=share: two image copies map one libc object of the user's store" {
  local a b ma mb store=$RL_HOME/.local/share/reg-runc
  # REG off: two copies, two files.
  rpm run -d --name rl-off-a --network none localhost/deb-a sleep 1000 > /dev/null
  rpm run -d --name rl-off-b --network none localhost/deb-b sleep 1000 > /dev/null
  ma=$(libc_map "$(rl_cpid rl-off-a)")
  mb=$(libc_map "$(rl_cpid rl-off-b)")
  [ -n "$ma" ] && [ "$ma" != "$mb" ] || fail "REG off: libc maps '$ma' and '$mb' (the copies share a layer?)"
  rpm rm -f -t 0 rl-off-a rl-off-b > /dev/null
  for c in a b; do
    run rpm run -d --name "rl-sh-$c" --network none --annotation run.reg.mode=share "localhost/deb-$c" sleep 1000
    [ "$status" -eq 0 ] || fail "run share $c: $output"
  done
  a=$(rl_cpid rl-sh-a)
  b=$(rl_cpid rl-sh-b)
  ma=$(libc_map "$a")
  mb=$(libc_map "$b")
  [ -n "$ma" ] && [ "$ma" = "$mb" ] || fail "share: libc maps '$ma' vs '$mb'"
  # The store is the user's, owned by the user; the inode is its object.
  [ "$(stat -c '%u %a' "$store")" = "$RL_UID 700" ] || fail "store $(stat -c '%u %a' "$store")"
  [ "$(find "$store/objects" -inum "${ma#* }" | wc -l)" -ge 1 ] || fail "inode ${ma#* } not in $store"
  # Read-only in the container, with the image's owner as the container sees it.
  run rpm exec rl-sh-a sh -c 'stat -c %u:%g /usr/lib/x86_64-linux-gnu/libc.so.6;
    grep -c " /usr/lib/x86_64-linux-gnu/libc.so.6 ro," /proc/self/mountinfo'
  [ "$output" = "0:0
1" ] || fail "libc in the container: $output"
  # The user's reg commands act on that store.
  run as_rl reg-runc reg stats
  [ "$status" -eq 0 ] || fail "reg stats: $output"
  [[ "$output" == *"store:                  $store"* ]] || fail "reg stats: $output"
  [[ "$output" == *"containers:             2"* ]] || fail "reg stats: $output"
  rpm rm -f -t 0 rl-sh-a rl-sh-b > /dev/null
  run as_rl reg-runc reg stats
  [[ "$output" == *"containers:             0"* ]] || fail "references left after rm: $output"
  # gc and check act on the user's store too: unreferenced environments go.
  run as_rl reg-runc reg gc
  [ "$status" -eq 0 ] || fail "reg gc: $output"
  [ "$(as_rl reg-runc reg ls | wc -l)" -le 1 ] || fail "environments left after gc"
  [ "$(find "$store/objects" -inum "${ma#* }" | wc -l)" -eq 0 ] || fail "the libc object survived gc"
  run as_rl reg-runc reg check
  [ "$status" -eq 0 ] || fail "reg check: $output"
}

@test "rootless podman: REG with CAP_SYS_ADMIN in Podman's user namespace is refused (run and exec); with a user namespace of the container's own the object stays read-only" {
  local msg="rootless, a process with CAP_SYS_ADMIN could make the store's read-only mounts writable"
  # Control: without REG the same container runs (the refusal is REG's).
  run rpm run --rm --network none --cap-add SYS_ADMIN localhost/deb-a true
  [ "$status" -eq 0 ] || fail "off with SYS_ADMIN: $output"
  run rpm run --rm --network none --cap-add SYS_ADMIN --annotation run.reg.mode=share localhost/deb-a true
  [ "$status" -ne 0 ] || fail "share with SYS_ADMIN ran"
  [[ "$output" == *"run.reg.mode=share: $msg"* ]] || fail "share with SYS_ADMIN: $output"
  run rpm run --rm --network none --privileged --annotation run.reg.mode=minimal localhost/deb-a true
  [ "$status" -ne 0 ] || fail "minimal --privileged ran"
  [[ "$output" == *"run.reg.mode=minimal: $msg"* ]] || fail "minimal --privileged: $output"
  rpm run -d --name rl-capx --network none --annotation run.reg.mode=share localhost/deb-a sleep 1000 > /dev/null
  run rpm exec rl-capx cat /etc/debian_version
  [ "$status" -eq 0 ] || fail "exec: $output"
  run rpm exec --privileged rl-capx true
  [ "$status" -ne 0 ] || fail "exec --privileged ran"
  [[ "$output" == *"exec: run.reg.mode=share: $msg"* ]] || fail "exec --privileged: $output"
  rpm rm -f -t 0 rl-capx > /dev/null
  # A user namespace of the container's own (--uidmap) locks the flags:
  # there CAP_SYS_ADMIN neither remounts nor writes the shared libc.
  run rpm run --rm --network none --uidmap 0:1:5000 --gidmap 0:1:5000 --cap-add SYS_ADMIN \
    --annotation run.reg.mode=share localhost/deb-a sh -c 'f=/usr/lib/x86_64-linux-gnu/libc.so.6
      stat -c %u:%g $f
      grep -c " $f ro," /proc/self/mountinfo
      mount -o remount,rw,bind $f $f 2> /dev/null && echo remounted
      touch -a $f 2> /dev/null && echo written
      grep -c " $f ro," /proc/self/mountinfo'
  [ "$status" -eq 0 ] || fail "share --uidmap: $output"
  [ "$output" = "0:0
1
1" ] || fail "share --uidmap with SYS_ADMIN: $output"
}

@test "rootless podman: run.reg.mode=minimal: the command runs in the minimized root, run.reg.include adds to it" {
  local want
  want=$(tar -xOf "$BOOKWORM_TAR" ./etc/debian_version)
  run rpm run --rm --network none --annotation run.reg.mode=minimal localhost/deb-a cat /etc/debian_version
  [ "$status" -eq 1 ] || fail "minimal: $output"
  # cat and its libraries are there, not the data file the analysis cannot see
  [[ "$output" == *"/etc/debian_version: No such file or directory"* ]] || fail "minimal: $output"
  run rpm run --rm --network none --annotation run.reg.mode=minimal --annotation run.reg.include=/etc/debian_version \
    localhost/deb-a cat /etc/debian_version
  [ "$status" -eq 0 ] || fail "minimal with include: $output"
  [ "$output" = "$want" ] || fail "minimal with include: $output"
  # only what the program needs: sh, not the ls it calls
  run -127 rpm run --rm --network none --annotation run.reg.mode=minimal localhost/deb-a sh -c 'ls /'
  [ "$status" -eq 127 ] || fail "minimal: ls ran ($status): $output"
  run as_rl reg-runc reg ls
  [ "$status" -eq 0 ] || fail "reg ls: $output"
  [ "$(echo "$output" | wc -l)" -ge 2 ] || fail "no environment in the user's store: $output"
}

@test "rootless podman: run.reg.mode=learn, then minimal runs the same command in the minimized root" {
  local want
  want=$(tar -xOf "$BOOKWORM_TAR" ./etc/debian_version)
  # deb-b: deb-a's minimal test above ran this command without a profile
  run rpm run --rm --network none --annotation run.reg.mode=minimal localhost/deb-b cat /etc/debian_version
  [ "$status" -eq 1 ] || fail "minimal before learn: $output"
  run rpm run --rm --network none --annotation run.reg.mode=learn localhost/deb-b cat /etc/debian_version
  [ "$status" -eq 0 ] || fail "learn: $output"
  [ "$output" = "$want" ] || fail "learn: $output"
  run rpm run --rm --network none --annotation run.reg.mode=minimal localhost/deb-b cat /etc/debian_version
  [ "$status" -eq 0 ] || fail "minimal after learn: $output"
  [ "$output" = "$want" ] || fail "minimal after learn: $output"
  # The profile is in the user's store, with the file the program opened.
  local key
  key=$(as_rl reg-runc reg profile ls | awk '{ print $1 }')
  [ -n "$key" ] || fail "no profile in the user's store"
  run as_rl reg-runc reg profile show $key
  [[ "$output" == *"/etc/debian_version"* ]] || fail "profile: $output"
  [ -z "$(ls "$RL_HOME/run/reg-runc")" ] || fail "state left behind"
}

@test "rootless: a spec --rootless bundle run by the user directly (REG off); REG modes are one clear error" {
  local bundle=$RL_HOME/bundle envs
  envs=$(as_rl reg-runc reg ls | wc -l)
  mkdir -p "$bundle/rootfs/bin"
  cp /bin/busybox "$bundle/rootfs/bin/"
  ln -s busybox "$bundle/rootfs/bin/sh"
  ln -s busybox "$bundle/rootfs/bin/cat"
  chown -R "$RL_USER:$RL_USER" "$bundle"
  as_rl reg-runc spec --rootless --bundle "$bundle"
  jq '.process.terminal = false | .process.args = ["/bin/sh", "-c", "cat /proc/self/uid_map"]' \
    "$bundle/config.json" > "$bundle/c.json"
  mv "$bundle/c.json" "$bundle/config.json"
  chown "$RL_USER:$RL_USER" "$bundle/config.json"
  run --separate-stderr as_rl reg-runc run --bundle "$bundle" rl-direct
  [ "$status" -eq 0 ] || fail "run: $stderr"
  [ "$(echo "$output" | awk '$1 == 0 { print $2, $3 }')" = "$RL_UID 1" ] || fail "uid_map: $output"
  [ -z "$(ls "$RL_HOME/run/reg-runc")" ] || fail "state left behind"
  run --separate-stderr as_rl reg-runc --reg-mode share run --bundle "$bundle" rl-direct
  [ "$status" -ne 0 ] || fail "share ran: $output"
  [ "$stderr" = "run.reg.mode=share: REG needs the runtime to run as root, or as uid 0 of a user namespace (rootless Podman); started by uid $RL_UID, use run.reg.mode=off" ] ||
    fail "share: $stderr"
  [ -z "$(ls "$RL_HOME/run/reg-runc")" ] || fail "state left behind"
  [ "$(as_rl reg-runc reg ls | wc -l)" = "$envs" ] || fail "an environment was built"
}
