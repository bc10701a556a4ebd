#!/usr/bin/env bats
# REG sharing, deterministically: two containers started from two separate
# copies of one image map libc.so.6 from one store inode under `share` (same
# device and inode) and `minimal` (same inode under each container's overlay),
# so its pages are mapped by both; under `off` from two different inodes, with
# nothing shared.  Self-contained: the image is the host's
# /usr/bin/sleep with the libraries ldd names, copied twice.

setup() {
  [ "$(id -u)" -eq 0 ] || skip "needs root"
  REG_RUNC=${REG_RUNC:-${BUILDDIR:-build}/cmd/reg-runc}
  [ -x "$REG_RUNC" ] || { echo "no reg-runc binary at $REG_RUNC" >&2; return 1; }
  command -v jq >/dev/null || skip "needs jq"

  T=$(mktemp -d /tmp/reg-share-bats.XXXXXX)
  ID="regshare$$"
  STARTED=()
  mkdir -p "$T/image"
  local f
  for f in /usr/bin/sleep $(ldd /usr/bin/sleep | grep -o '/[^ ]*'); do
    mkdir -p "$T/image$(dirname "$f")"
    cp -L "$f" "$T/image$f"
  done
  mkdir -p "$T/image/proc" "$T/image/dev" "$T/image/sys" "$T/image/tmp"
  cp -a "$T/image" "$T/copy1"
  cp -a "$T/image" "$T/copy2"
}

teardown() {
  [ -n "${T:-}" ] || return 0
  local c pid
  for c in "${STARTED[@]}"; do
    pid=$(cat "$T/$c.pid" 2>/dev/null || true)
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
    rt delete --force "$c" >/dev/null 2>&1 || true
  done
  grep -F " $T/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do
    umount -l "$m" || true
  done
  rm -rf "$T"
}

rt() {
  "$REG_RUNC" --root "$T/state" --reg-root "$T/store" "$@"
}

# start MODE N: container N (copy N) running sleep, under REG mode MODE
start_one() {
  local mode=$1 n=$2 b="$T/bundle-$1-$2" c="$ID-$1-$2"
  mkdir -p "$b"
  rt spec --bundle "$b" >/dev/null
  jq --arg root "$T/copy$n" --arg mode "$mode" \
    '.process.terminal = false | .process.args = ["/usr/bin/sleep", "1000"]
     | .root = {path: $root, readonly: false}
     | .annotations["run.reg.mode"] = $mode' "$b/config.json" >"$b/c.json"
  mv "$b/c.json" "$b/config.json"
  STARTED+=("$c")
  # the container inherits create's stdio: a file, so nothing waits on a pipe
  status=0
  rt create --bundle "$b" --pid-file "$T/$c.pid" "$c" </dev/null >"$T/$c.log" 2>&1 || status=$?
  output=$(cat "$T/$c.log")
  [ "$status" -eq 0 ] || { echo "create ($mode): $output" >&2; return 1; }
  run rt start "$c" </dev/null
  [ "$status" -eq 0 ] || { echo "start ($mode): $output" >&2; return 1; }
}

# libc_of MODE N: "device inode" of the libc.so.6 mapping of that container's process
libc_of() {
  local pid i line
  pid=$(cat "$T/$ID-$1-$2.pid")
  for i in $(seq 50); do
    line=$(awk '$6 ~ /\/libc\.so\.6$/ {print $4, $5; exit}' "/proc/$pid/maps" 2>/dev/null || true)
    [ -n "$line" ] && { echo "$line"; return 0; }
    sleep 0.1
  done
  echo "no libc.so.6 mapping in /proc/$pid/maps" >&2
  return 1
}

# libc_shared_kib MODE N: KiB of the libc.so.6 mappings of that container's
# process that are also mapped by another process (smaps Shared_Clean): the
# page-cache pages are one copy for both containers exactly when this is > 0
libc_shared_kib() {
  local pid
  pid=$(cat "$T/$ID-$1-$2.pid")
  awk '/^[0-9a-f]+-[0-9a-f]+ / { inlibc = ($6 ~ /\/libc\.so\.6$/) }
       inlibc && $1 == "Shared_Clean:" { s += $2 }
       END { print s + 0 }' "/proc/$pid/smaps"
}

image_libc_inode() {
  stat -L -c %i "$T/copy$1/lib/x86_64-linux-gnu/libc.so.6" 2>/dev/null \
    || stat -L -c %i "$(find "$T/copy$1" -name libc.so.6 | head -1)"
}

@test "off: two copies of an image map libc.so.6 from two different inodes" {
  start_one off 1
  start_one off 2
  a=$(libc_of off 1)
  b=$(libc_of off 2)
  echo "off: $a / $b"
  [ "$a" != "$b" ]
  # and each one is its own copy's file
  [ "${a#* }" = "$(image_libc_inode 1)" ]
  [ "${b#* }" = "$(image_libc_inode 2)" ]
  # no page of either libc is mapped by anyone else
  [ "$(libc_shared_kib off 1)" -eq 0 ]
  [ "$(libc_shared_kib off 2)" -eq 0 ]
}

@test "share: two copies of an image map libc.so.6 from the same device and inode" {
  start_one share 1
  start_one share 2
  a=$(libc_of share 1)
  b=$(libc_of share 2)
  echo "share: $a / $b"
  [ "$a" = "$b" ]
  # the shared inode is the store's, not either copy's
  [ "${a#* }" != "$(image_libc_inode 1)" ]
  [ "${a#* }" != "$(image_libc_inode 2)" ]
  [ "$(libc_shared_kib share 1)" -gt 0 ]
  [ "$(libc_shared_kib share 2)" -gt 0 ]
}

# Under minimal the root is an overlay per container, and /proc/PID/maps shows
# the overlay's device (one per mount) with the inode number of the store
# object beneath it; the pages themselves are the store object's, so they are
# shared between the two containers.
@test "minimal: two copies of an image map libc.so.6 from the same store inode, pages shared" {
  start_one minimal 1
  start_one minimal 2
  a=$(libc_of minimal 1)
  b=$(libc_of minimal 2)
  echo "minimal: $a / $b"
  [ "${a#* }" = "${b#* }" ]
  [ "${a#* }" != "$(image_libc_inode 1)" ]
  [ "${a#* }" != "$(image_libc_inode 2)" ]
  [ "$(libc_shared_kib minimal 1)" -gt 0 ]
  [ "$(libc_shared_kib minimal 2)" -gt 0 ]
}
