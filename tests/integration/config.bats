#!/usr/bin/env bats
# config.json fields, each asserted from inside the container with the probe.

load helpers

setup() {
  setup_bundle
}

teardown() {
  teardown_bundle
}

# --- process -------------------------------------------------------------

@test "process.args: every argument reaches the process unchanged" {
  set_args /bin/echo "a  b" '$HOME' ""
  run --separate-stderr reg_runc run --bundle "$BUNDLE" "$CID"
  assert_status 0
  [ "$output" = 'a  b $HOME ' ]
}

@test "process.env: the configured variables and none of the caller's" {
  update_config '.process.env = ["PATH=/bin", "FOO=bar baz", "EMPTY="]'
  run_probe env
  assert_status 0
  assert_has_line "FOO=bar baz"
  assert_has_line "EMPTY="
  assert_has_line "PATH=/bin"
  run_probe env BATS_TEST_NUMBER
  assert_status 1
}

@test "process.env: args[0] is looked up in the configured PATH" {
  update_config '.process.env = ["PATH=/nowhere:/usr/bin"]'
  set_args probe pid
  run --separate-stderr reg_runc run --bundle "$BUNDLE" "$CID"
  assert_status 0
  [ "$output" = 1 ]
}

@test "process.cwd" {
  update_config '.process.cwd = "/home/user"'
  run_probe cwd
  assert_status 0
  [ "$output" = /home/user ]
}

@test "process.user: uid and gid" {
  update_config '.process.user = {"uid": 1000, "gid": 1000}'
  run_probe id
  assert_status 0
  [ "$(value uid)" = 1000 ]
  [ "$(value euid)" = 1000 ]
  [ "$(value gid)" = 1000 ]
  [ "$(value egid)" = 1000 ]
}

@test "process.user: additionalGids are the supplementary groups" {
  update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [3000, 2000]}'
  run_probe id
  assert_status 0
  [ "$(value groups)" = 2000,3000 ]
}

@test "process.user.umask" {
  update_config '.process.user.umask = 63' # 0077
  run_probe umask
  assert_status 0
  [ "$output" = 0077 ]
}

@test "process.rlimits" {
  update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200},
                                     {"type": "RLIMIT_CORE", "soft": 0, "hard": 4096}]'
  run_probe rlimit NOFILE
  assert_status 0
  [ "$output" = "100 200" ]
  run_probe rlimit CORE
  assert_status 0
  [ "$output" = "0 4096" ]
}

@test "process.oomScoreAdj" {
  update_config '.process.oomScoreAdj = 512'
  run_probe oom
  assert_status 0
  [ "$output" = 512 ]
}

@test "process.noNewPrivileges: true" {
  update_config '.process.noNewPrivileges = true'
  run_probe nnp
  assert_status 0
  [ "$output" = NoNewPrivs=1 ]
}

@test "process.noNewPrivileges: false" {
  update_config '.process.noNewPrivileges = false'
  run_probe nnp
  assert_status 0
  [ "$output" = NoNewPrivs=0 ]
}

@test "process.capabilities: the configured sets" {
  # CAP_KILL = 5, CAP_NET_BIND_SERVICE = 10, CAP_AUDIT_WRITE = 29.
  run_probe caps
  assert_status 0
  [ "$(value CapBnd)" = 0000000020000420 ]
  [ "$(value CapEff)" = 0000000020000420 ]
  [ "$(value CapPrm)" = 0000000020000420 ]
  update_config '.process.capabilities = {"bounding": ["CAP_CHOWN", "CAP_KILL"], "permitted": ["CAP_KILL"], "effective": ["CAP_KILL"]}'
  run_probe caps
  assert_status 0
  [ "$(value CapBnd)" = 0000000000000021 ]
  [ "$(value CapEff)" = 0000000000000020 ]
  [ "$(value CapAmb)" = 0000000000000000 ]
}

@test "hostname (new uts namespace)" {
  update_config '.hostname = "box-1"'
  run_probe hostname
  assert_status 0
  [ "$output" = box-1 ]
  [ "$(hostname)" != box-1 ]
}

@test "domainname" {
  update_config '.domainname = "example.org"'
  run_probe domainname
  assert_status 0
  if is_runc && [ "$output" = "(none)" ]; then
    skip "runc 1.1 does not support domainname"
  fi
  [ "$output" = example.org ]
}

# --- root and mounts -----------------------------------------------------

@test "root.readonly: true makes / read-only" {
  update_config '.root.readonly = true'
  run_probe write /newfile
  assert_status 0
  [ "$output" = EROFS ]
  [ ! -e "$ROOTFS/newfile" ]
}

@test "root.readonly: false lets the process write to the rootfs" {
  update_config '.root.readonly = false'
  run_probe write /newfile hello
  assert_status 0
  [ "$output" = ok ]
  [ "$(cat "$ROOTFS/newfile")" = hello ]
}

@test "mounts: tmpfs with options, destination created" {
  update_config '.mounts += [{"destination": "/mnt/t", "type": "tmpfs", "source": "tmpfs",
                              "options": ["nosuid", "nodev", "noexec", "size=1m", "mode=700"]}]'
  run_probe mountinfo /mnt/t
  assert_status 0
  [ "$(value fstype)" = tmpfs ]
  opts=$(value options)
  assert_contains ",$opts," ",nosuid,"
  assert_contains ",$opts," ",nodev,"
  assert_contains ",$opts," ",noexec,"
  assert_contains ",$opts," ",rw,"
  super=$(value super)
  assert_contains ",$super," ",size=1024k,"
  assert_contains ",$super," ",mode=700,"
}

@test "mounts: tmpfs ro" {
  update_config '.mounts += [{"destination": "/mnt/t", "type": "tmpfs", "source": "tmpfs", "options": ["ro"]}]'
  run_probe write /mnt/t/f
  assert_status 0
  [ "$output" = EROFS ]
}

@test "mounts: tmpfs with tmpcopyup starts with the directory's contents" {
  # Podman adds tmpcopyup (a runc extension) to /run, /tmp and /var/tmp under
  # --read-only; it is not filesystem data for tmpfs.
  mkdir -p "$ROOTFS/data/sub"
  echo hello >"$ROOTFS/data/sub/f"
  chmod 604 "$ROOTFS/data/sub/f"
  chown 1000:2000 "$ROOTFS/data/sub/f"
  ln -s sub/f "$ROOTFS/data/link"
  chmod 710 "$ROOTFS/data"
  update_config '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs",
                              "options": ["rw", "rprivate", "nosuid", "nodev", "tmpcopyup"]}]'
  set_args /bin/sh -c 'stat -c "%a %u:%g" /data /data/sub/f && readlink /data/link && cat /data/link &&
    grep " /data " /proc/self/mountinfo | grep -q " - tmpfs " && echo x >/data/new && echo tmpfs'
  run --separate-stderr reg_runc run --bundle "$BUNDLE" "$CID"
  assert_status 0
  [ "$output" = "710 0:0
604 1000:2000
sub/f
hello
tmpfs" ] || { echo "$output"; false; }
  # the rootfs underneath is untouched
  [ ! -e "$ROOTFS/data/new" ]
}

@test "mounts: tmpfs with tmpcopyup and ro" {
  mkdir -p "$ROOTFS/data"
  echo hello >"$ROOTFS/data/f"
  update_config '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs",
                              "options": ["ro", "tmpcopyup"]}]'
  set_args /bin/sh -c 'cat /data/f; touch /data/g 2>/dev/null && echo writable || echo readonly'
  run --separate-stderr reg_runc run --bundle "$BUNDLE" "$CID"
  assert_status 0
  [ "$output" = "hello
readonly" ] || { echo "$output"; false; }
}

@test "mounts: tmpfs mode=1777 on a mount point the image lacks keeps its mode, with and without tmpcopyup" {
  # Podman's --tmpfs /scratch:mode=1777 adds tmpcopyup; only a directory the
  # image had is copied (its mode included), as runc does.
  mkdir -p "$ROOTFS/had"
  chmod 750 "$ROOTFS/had"
  update_config '.mounts += [
      {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["mode=1777", "tmpcopyup"]},
      {"destination": "/plain", "type": "tmpfs", "source": "tmpfs", "options": ["mode=1777"]},
      {"destination": "/had", "type": "tmpfs", "source": "tmpfs", "options": ["mode=1777", "tmpcopyup"]}]'
  set_args /bin/sh -c 'stat -c "%n %a" /scratch /plain /had'
  run --separate-stderr reg_runc run --bundle "$BUNDLE" "$CID"
  assert_status 0
  [ "$output" = "/scratch 1777
/plain 1777
/had 750" ] || { echo "$output"; false; }
}

@test "mounts: bind, read-only" {
  mkdir "$TEST_DIR/data"
  echo hello >"$TEST_DIR/data/f"
  update_config '.mounts += [{"destination": "/data", "type": "bind", "source": $s, "options": ["bind", "ro"]}]' --arg s "$TEST_DIR/data"
  run_probe cat /data/f
  assert_status 0
  [ "$output" = hello ]
  run_probe write /data/g
  assert_status 0
  [ "$output" = EROFS ]
  [ ! -e "$TEST_DIR/data/g" ]
  run_probe mountinfo /data
  assert_contains ",$(value options)," ",ro,"
}

@test "mounts: bind, read-write, the host sees the write" {
  mkdir "$TEST_DIR/data"
  update_config '.mounts += [{"destination": "/data", "type": "none", "source": $s, "options": ["bind", "rw"]}]' --arg s "$TEST_DIR/data"
  run_probe write /data/g written
  assert_status 0
  [ "$output" = ok ]
  [ "$(cat "$TEST_DIR/data/g")" = written ]
}

@test "mounts: bind of a file" {
  echo filecontent >"$TEST_DIR/file"
  update_config '.mounts += [{"destination": "/etc/bound", "type": "bind", "source": $s, "options": ["bind", "ro"]}]' --arg s "$TEST_DIR/file"
  run_probe cat /etc/bound
  assert_status 0
  [ "$output" = filecontent ]
}

@test "mounts: rbind takes submounts, bind does not" {
  mkdir -p "$TEST_DIR/src/sub"
  mount -t tmpfs -o size=1m tmpfs "$TEST_DIR/src/sub"
  OWN_MOUNTS+=("$TEST_DIR/src/sub")
  echo inner >"$TEST_DIR/src/sub/f"
  update_config '.mounts += [{"destination": "/r", "type": "bind", "source": $s, "options": ["rbind", "ro"]},
                             {"destination": "/b", "type": "bind", "source": $s, "options": ["bind", "ro"]}]' --arg s "$TEST_DIR/src"
  run_probe cat /r/sub/f
  rstatus=$status rout=$output
  run_probe cat /b/sub/f
  bstatus=$status bout=$output
  [ "$rstatus" -eq 0 ]
  [ "$rout" = inner ]
  [ "$bout" = ENOENT ]
}

@test "mounts: proc" {
  run_probe mountinfo /proc
  assert_status 0
  [ "$(value fstype)" = proc ]
  run_probe pid
  [ "$output" = 1 ]
}

@test "mounts: sysfs read-only" {
  run_probe mountinfo /sys
  assert_status 0
  [ "$(value fstype)" = sysfs ]
  assert_contains ",$(value options)," ",ro,"
}

@test "mounts: mqueue" {
  run_probe mountinfo /dev/mqueue
  assert_status 0
  [ "$(value fstype)" = mqueue ]
  assert_contains ",$(value options)," ",nosuid,"
}

@test "mounts: devpts with its options, /dev/ptmx" {
  run_probe mountinfo /dev/pts
  assert_status 0
  [ "$(value fstype)" = devpts ]
  super=$(value super)
  assert_contains ",$super," ",gid=5,"
  assert_contains ",$super," ",mode=620,"
  assert_contains ",$super," ",ptmxmode=666,"
  run_probe stat /dev/ptmx
  assert_status 0
  if [ "$(value type)" = symlink ]; then
    [ "$(value target)" = pts/ptmx ]
  else
    [ "$(value type)" = char ]
    [ "$(value rdev)" = 5:2 ]
  fi
}

@test "mounts: cgroup read-only at /sys/fs/cgroup" {
  # cgroup v2: /sys/fs/cgroup itself; v1 or hybrid: each hierarchy below it.
  if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
    dir=/sys/fs/cgroup type=cgroup2
  else
    dir=/sys/fs/cgroup/memory type=cgroup
  fi
  run_probe mountinfo "$dir"
  assert_status 0
  [ "$(value fstype)" = "$type" ]
  assert_contains ",$(value options)," ",ro,"
  run_probe write "$dir/x"
  [ "$output" = EROFS ]
}

@test "mounts: in order, a later mount on top of an earlier one" {
  update_config '.mounts += [{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
                             {"destination": "/mnt/inner", "type": "tmpfs", "source": "tmpfs", "options": ["size=2m"]}]'
  run_probe mountinfo /mnt/inner
  assert_status 0
  assert_contains ",$(value super)," ",size=2048k,"
}

@test "linux.maskedPaths: files become /dev/null, directories an empty read-only tmpfs" {
  mkdir -p "$ROOTFS/secretdir"
  echo secret >"$ROOTFS/secretdir/f"
  echo secret >"$ROOTFS/secretfile"
  update_config '.linux.maskedPaths += ["/secretdir", "/secretfile"]'
  # a masked file is /dev/null (/proc/kcore, in the default list, exists
  # only where the kernel has CONFIG_PROC_KCORE)
  run_probe stat /secretfile
  assert_status 0
  [ "$(value type)" = char ]
  [ "$(value rdev)" = 1:3 ]
  run_probe cat /secretfile
  assert_status 0
  [ -z "$output" ]
  run_probe cat /secretdir/f
  [ "$output" = ENOENT ]
  run_probe mountinfo /secretdir
  [ "$(value fstype)" = tmpfs ]
  assert_contains ",$(value options)," ",ro,"
}

@test "linux.readonlyPaths" {
  update_config '.root.readonly = false | .linux.readonlyPaths += ["/home/user"]'
  run_probe write /proc/sys/kernel/hostname x
  assert_status 0
  [ "$output" = EROFS ]
  run_probe write /home/user/f
  [ "$output" = EROFS ]
  run_probe write /tmp/f
  [ "$output" = ok ]
}

# --- devices -------------------------------------------------------------

@test "default devices: null zero full random urandom tty, mode 0666" {
  for d in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    run_probe stat "/dev/${d%%:*}"
    assert_status 0
    [ "$(value type)" = char ]
    [ "$(value rdev)" = "${d#*:}" ]
    [ "$(value mode)" = 0666 ]
  done
  run_probe write /dev/null
  [ "$output" = ok ]
  run_probe read /dev/zero
  [ "$output" = ok ]
}

@test "/dev/fd and the stdio symlinks" {
  for l in fd:/proc/self/fd stdin:/proc/self/fd/0 stdout:/proc/self/fd/1 stderr:/proc/self/fd/2; do
    run_probe stat "/dev/${l%%:*}"
    assert_status 0
    [ "$(value type)" = symlink ]
    [ "$(value target)" = "${l#*:}" ]
  done
}

@test "linux.devices: a char device with major:minor, mode, uid, gid" {
  update_config '.linux.devices = [{"path": "/dev/mydev", "type": "c", "major": 1, "minor": 5,
                                    "fileMode": 416, "uid": 1000, "gid": 2000}]
                 | .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 5, "access": "rwm"}]'
  run_probe stat /dev/mydev
  assert_status 0
  [ "$(value type)" = char ]
  [ "$(value rdev)" = 1:5 ]
  [ "$(value mode)" = 0640 ]
  [ "$(value uid)" = 1000 ]
  [ "$(value gid)" = 2000 ]
  # The owner can read it, others cannot (mode 0640, no CAP_DAC_OVERRIDE).
  update_config '.process.user = {"uid": 1000, "gid": 1000}'
  run_probe read /dev/mydev
  [ "$output" = ok ]
  update_config '.process.user = {"uid": 1001, "gid": 1001}'
  run_probe read /dev/mydev
  [ "$output" = EACCES ]
}

@test "linux.devices: a block device" {
  update_config '.linux.devices = [{"path": "/dev/myblk", "type": "b", "major": 7, "minor": 200, "fileMode": 384}]'
  run_probe stat /dev/myblk
  assert_status 0
  [ "$(value type)" = block ]
  [ "$(value rdev)" = 7:200 ]
  [ "$(value mode)" = 0600 ]
}

@test "linux.devices: fileMode with the file-type bits (Podman's S_IFCHR|0660, S_IFBLK|0600)" {
  # 8624 = 020660, 24960 = 060600: Podman and Docker write fileMode so.
  update_config '.linux.devices = [{"path": "/dev/mychr", "type": "c", "major": 1, "minor": 5, "fileMode": 8624},
                                   {"path": "/dev/myblk", "type": "b", "major": 7, "minor": 200, "fileMode": 24960}]'
  run_probe stat /dev/mychr
  assert_status 0
  [ "$(value type)" = char ]
  [ "$(value rdev)" = 1:5 ]
  [ "$(value mode)" = 0660 ]
  run_probe stat /dev/myblk
  assert_status 0
  [ "$(value type)" = block ]
  [ "$(value mode)" = 0600 ]
}

@test "linux.devices: fileMode whose file-type bits are not the type's: one line naming the field, nothing left" {
  skip_if_runc "runc masks the type bits without checking them"
  update_config '.linux.devices = [{"path": "/dev/mychr", "type": "b", "major": 1, "minor": 5, "fileMode": 8624}]'
  run_detached create --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  [ "$(printf '%s\n' "$output" | wc -l)" = 1 ]
  assert_contains "$output" "linux.devices[0].fileMode: file type bits 020000 do not match type \"b\""
  assert_nothing_left "$CID"
}

# --- namespaces ----------------------------------------------------------

# ns_check TYPE NSFILE: with TYPE in linux.namespaces the container's NSFILE
# inode differs from the host's; without it, it is the host's.
ns_check() {
  local type=$1 file=$2
  update_config '.linux.namespaces |= (map(select(.type != $t)) + [{"type": $t}])' --arg t "$type"
  run_probe ns
  assert_status 0
  [ "$(value "$file")" != "$(host_ns "$file")" ]
  update_config '.linux.namespaces |= map(select(.type != $t))' --arg t "$type"
  # Without a uts namespace there is no hostname to set.
  [ "$type" != uts ] || update_config 'del(.hostname)'
  run_probe ns
  assert_status 0
  [ "$(value "$file")" = "$(host_ns "$file")" ]
}

@test "namespaces: network new vs host" {
  ns_check network net
}

@test "namespaces: ipc new vs host" {
  ns_check ipc ipc
}

@test "namespaces: uts new vs host" {
  ns_check uts uts
}

@test "namespaces: pid new vs host" {
  ns_check pid pid
  run_probe pid
  [ "$output" != 1 ]
}

@test "namespaces: cgroup new vs host" {
  ns_check cgroup cgroup
  update_config '.linux.namespaces += [{"type": "cgroup"}]'
  run_probe cgroup
  # Inside its own cgroup namespace the container's cgroup is the root.
  assert_has_line "0::/"
}

@test "namespaces: mount is new" {
  run_probe ns
  assert_status 0
  [ "$(value mnt)" != "$(host_ns mnt)" ]
}

@test "namespaces: without a mount namespace the container shares the runtime's, in its rootfs; nothing left after delete" {
  skip_if_runc "runc 1.1 refuses maskedPaths without a mount namespace, and leaves its mounts on the host"
  local prop
  prop=$(findmnt -n -o PROPAGATION /)
  update_config '.linux.namespaces |= map(select(.type != "mount"))'
  echo in-the-rootfs >"$ROOTFS/marker"
  run_probe ns
  assert_status 0
  [ "$(value mnt)" = "$(host_ns mnt)" ]
  # Its root is the rootfs, not the host's "/"; its mounts are there
  # (the bundle is not: the host's paths are out of its reach).
  run_probe cat /marker
  assert_status 0
  [ "$output" = in-the-rootfs ]
  run_probe stat "$BUNDLE"
  [ "$output" = ENOENT ]
  run_probe stat /dev/null
  [ "$(value type)" = char ]
  [ "$(value rdev)" = 1:3 ]
  run_probe cat /proc/self/mountinfo
  assert_status 0
  assert_contains "$output" " / ro,"
  # root.readonly holds (on its own mount: the rootfs stays writable on the
  # host), masked paths too.
  run_probe write /x
  [ "$output" = EROFS ]
  touch "$ROOTFS/x"
  run_probe stat /proc/keys
  [ "$(value rdev)" = 1:3 ]
  assert_nothing_left "$CID"
  # While it exists its mounts are in the runtime's namespace below the
  # rootfs; delete takes every one of them away.
  set_args /bin/probe sleep 100
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_status 0
  [ -n "$(leaked_mounts | grep -Fx "$ROOTFS/proc")" ]
  run reg_runc exec "$CID" /bin/probe cat /marker
  assert_status 0
  [ "$output" = in-the-rootfs ]
  run reg_runc delete --force "$CID"
  assert_status 0
  assert_nothing_left "$CID"
  # The host's "/" kept its propagation.
  [ "$(findmnt -n -o PROPAGATION /)" = "$prop" ]
}

@test "namespaces: the runtime's own mount namespace joined by path is as none: the rootfs, no pivot_root of the host" {
  skip_if_runc
  update_config '.linux.namespaces |= (map(select(.type != "mount")) + [{"type": "mount", "path": "/proc/self/ns/mnt"}])'
  echo in-the-rootfs >"$ROOTFS/marker"
  set_args /bin/probe cat /marker
  # In a mount namespace of its own: were the runtime to pivot_root in the
  # namespace it joined, only that one would lose its root.
  run unshare -m --propagation private sh -c 'root=$(stat -c %d:%i /)
    "$0" --root "$1" run --bundle "$2" "$3" || exit
    [ "$(stat -c %d:%i /)" = "$root" ] || { echo "the root moved"; exit 1; }
    awk -v p="$4" "index(\$5, p) == 1 { print \"left: \" \$5 }" /proc/self/mountinfo' \
    "$REG_RUNC" "$TEST_ROOT_STATE" "$BUNDLE" "$CID" "$ROOTFS"
  assert_status 0
  [ "$output" = in-the-rootfs ]
  assert_nothing_left "$CID"
}

@test "namespaces: a user namespace without a mount namespace: one line naming the field, nothing left" {
  skip_if_runc
  update_config '.linux.namespaces |= (map(select(.type != "mount")) + [{"type": "user"}])
    | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
  run_detached create --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  [ "$output" = "config.json: linux.namespaces: a user namespace needs a mount namespace" ]
  assert_nothing_left "$CID"
}

@test "namespaces: user with uid/gid mappings" {
  # The mapped root must reach the rootfs.
  chmod 0755 "$TEST_DIR"
  update_config '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    | .mounts |= map(select(.destination != "/sys/fs/cgroup" and .destination != "/sys"))
    | .linux.maskedPaths |= map(select(startswith("/sys") | not))'
  run_probe ns
  assert_status 0
  [ "$(value user)" != "$(host_ns user)" ]
  run_probe cat /proc/self/uid_map
  assert_status 0
  [ "$(echo $output)" = "0 100000 65536" ]
  run_probe id
  [ "$(value uid)" = 0 ]
}

@test "namespaces: time" {
  [ -e /proc/self/ns/time ] || skip "the kernel has no time namespace"
  update_config '.linux.namespaces += [{"type": "time"}]'
  run_probe ns
  if is_runc && [ "$status" -ne 0 ]; then
    skip "runc 1.1 does not support the time namespace"
  fi
  assert_status 0
  [ "$(value time)" != "$(host_ns time)" ]
}

@test "namespaces: join a network and an ipc namespace by path" {
  set_args /bin/probe sleep 100
  run_detached run --detach --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid" "$CID-a"
  assert_status 0
  pid=$(cat "$TEST_DIR/pid")
  update_config '.linux.namespaces |= map(if .type == "network" then .path = $n elif .type == "ipc" then .path = $i else . end)
                 | .linux.cgroupsPath = $cg' \
    --arg n "/proc/$pid/ns/net" --arg i "/proc/$pid/ns/ipc" --arg cg "$CGPATH-b"
  run_probe ns
  assert_status 0
  [ "$(value net)" = "$(stat -L -c %i "/proc/$pid/ns/net")" ]
  [ "$(value ipc)" = "$(stat -L -c %i "/proc/$pid/ns/ipc")" ]
  [ "$(value uts)" != "$(stat -L -c %i "/proc/$pid/ns/uts")" ]
}

# --- kernel parameters and process attributes -----------------------------

@test "linux.sysctl" {
  host_msgmax=$(cat /proc/sys/kernel/msgmax)
  [ "$host_msgmax" != 4096 ] || skip "the host's kernel.msgmax is already 4096"
  update_config '.linux.sysctl = {"kernel.msgmax": "4096", "net.ipv4.ip_forward": "1"}'
  run_probe sysctl kernel.msgmax
  assert_status 0
  [ "$output" = 4096 ]
  run_probe sysctl net.ipv4.ip_forward
  [ "$output" = 1 ]
  # The host's value is untouched (an ipc-namespaced sysctl).
  [ "$(cat /proc/sys/kernel/msgmax)" = "$host_msgmax" ]
}

@test "linux.personality: LINUX32" {
  update_config '.linux.personality = {"domain": "LINUX32"}'
  run_probe personality
  if is_runc && [ "$(value machine)" = x86_64 ]; then
    skip "runc 1.1 does not support linux.personality"
  fi
  assert_status 0
  [ "$(value machine)" = i686 ]
  [ "$(value personality)" = 0x0008 ]
  set_args /bin/uname -m
  run --separate-stderr reg_runc run --bundle "$BUNDLE" "$CID"
  [ "$output" = i686 ]
}

@test "process.ioPriority" {
  update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}'
  run_probe ioprio
  if is_runc && [ "$(value class)" = IOPRIO_CLASS_NONE ]; then
    skip "runc 1.1 does not support process.ioPriority"
  fi
  assert_status 0
  [ "$(value class)" = IOPRIO_CLASS_IDLE ]
  update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 6}'
  run_probe ioprio
  [ "$(value class)" = IOPRIO_CLASS_BE ]
  [ "$(value priority)" = 6 ]
}

@test "process.scheduler" {
  update_config '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 7}'
  run_probe sched
  if is_runc && [ "$(value policy)" = SCHED_OTHER ]; then
    skip "runc 1.1 does not support process.scheduler"
  fi
  assert_status 0
  [ "$(value policy)" = SCHED_BATCH ]
  [ "$(value nice)" = 7 ]
}

@test "process.execCPUAffinity.initial" {
  [ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
  update_config '.process.execCPUAffinity = {"initial": "1", "final": "0-1"}'
  run_probe affinity
  if is_runc && [ "$output" = "0-$(($(nproc) - 1))" ]; then
    skip "runc 1.1 does not support process.execCPUAffinity"
  fi
  assert_status 0
  # The exec'd process has the final set.
  [ "$output" = 0-1 ]
}

@test "linux.rootfsPropagation: private" {
  update_config '.linux.rootfsPropagation = "private"'
  run_probe mountinfo /
  assert_status 0
  [ "$(value propagation)" = private ]
}

@test "linux.cgroupsPath: the init is in that cgroup on the host" {
  set_args /bin/probe sleep 100
  run_detached run --detach --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid" "$CID"
  assert_status 0
  pid=$(cat "$TEST_DIR/pid")
  grep -q ":memory:$CGPATH\$" "/proc/$pid/cgroup"
  grep -q ":pids:$CGPATH\$" "/proc/$pid/cgroup"
  grep -qx "$pid" "/sys/fs/cgroup/memory$CGPATH/cgroup.procs"
}

@test "annotations reach the state" {
  update_config '.annotations = {"org.example.key": "value 1"}'
  set_args /bin/probe sleep 100
  run_detached create --bundle "$BUNDLE" "$CID"
  assert_status 0
  [ "$(state_field "$CID" 'annotations["org.example.key"]')" = "value 1" ]
}
