#!/usr/bin/env bats
# Hostile images run as real containers: /proc, /dev, /sys and
# mount destinations that are symlinks pointing out of the rootfs, or files
# where a directory belongs, and a mount destination that races into a
# symlink while containers are created.  Each case ends with a container
# that works or with one clear error line; in both cases nothing outside
# the rootfs is written or mounted over (a sentinel host directory the
# symlinks point at stays as it was) and nothing is left behind.

load helpers

setup() {
  setup_bundle
  SENTINEL=$TEST_DIR/host-sentinel
  mkdir -p "$SENTINEL/dir"
  echo canary >"$SENTINEL/canary"
  SENTINEL_BEFORE=$(sentinel_listing)
}

teardown() {
  teardown_bundle
}

# What the sentinel holds: names, types, sizes, modes, contents' digests.
sentinel_listing() {
  (cd "$SENTINEL" && find . -printf '%p %y %s %m\n' | sort && sha256sum canary)
}

# assert_sentinel WHAT: the host directory is as it was and nothing is
# mounted on or under it in the host's mount namespace.
assert_sentinel() {
  local now
  now=$(sentinel_listing)
  if [ "$now" != "$SENTINEL_BEFORE" ]; then
    echo "$1: the host sentinel changed:" >&2
    diff <(echo "$SENTINEL_BEFORE") <(echo "$now") >&2
    return 1
  fi
  if awk -v p="$SENTINEL" 'index($5, p) == 1' /proc/self/mountinfo | grep -q .; then
    echo "$1: a mount on the host sentinel:" >&2
    awk -v p="$SENTINEL" 'index($5, p) == 1' /proc/self/mountinfo >&2
    return 1
  fi
}

# works_or_clear_error WHAT: after `run_probe`, either status 0 or one
# clear error line from the runtime naming the path; then the sentinel
# and the leak checks.
works_or_clear_error() {
  local what=$1 path=$2
  if [ "$status" -ne 0 ]; then
    # one line, naming what failed
    local n
    n=$(printf '%s\n' "$stderr" | grep -c .)
    if [ "$n" -ne 1 ] || [[ $stderr != *"$path"* ]]; then
      echo "$what: status $status, expected one error line naming $path; stderr:" >&2
      echo "$stderr" >&2
      return 1
    fi
  fi
  assert_sentinel "$what"
  assert_nothing_left "$CID"
}

# replace PATH WITH...: make the rootfs's PATH a symlink (`-> TARGET`) or a
# regular file (`file`).
replace() {
  rm -rf "${ROOTFS:?}/$1"
  case "$2" in
  file) echo "not a directory" >"$ROOTFS/$1" ;;
  *) ln -s "$2" "$ROOTFS/$1" ;;
  esac
}

@test "hostile: /proc a symlink to a host directory (absolute, relative with ..), or a file" {
  local t
  for t in "$SENTINEL" "$SENTINEL/dir" "../../../../../../../..$SENTINEL" file; do
    replace proc "$t"
    run_probe mounts
    echo "# /proc -> $t: status $status ${stderr:-}" >&3
    works_or_clear_error "/proc -> $t" proc
    if [ "$status" -eq 0 ]; then
      # it worked: then /proc inside is a real proc
      grep -q '^/proc proc ' <<<"$output" ||
        { echo "/proc -> $t: no proc at /proc: $output" >&2; return 1; }
    fi
  done
  # the same absolute path inside the rootfs: resolved there, it works
  replace proc "$SENTINEL/dir"
  mkdir -p "$ROOTFS$SENTINEL/dir"
  run_probe mounts
  assert_status 0
  # proc is mounted where the symlink leads inside the rootfs
  grep -q "^$SENTINEL/dir proc " <<<"$output" || { echo "$output" >&2; return 1; }
  assert_sentinel "/proc -> a path that exists in the rootfs too"
}

@test "hostile: /dev a symlink to a host directory (absolute, relative with ..), or a file" {
  local t
  for t in "$SENTINEL" "$SENTINEL/dir" "../../../../../../../..$SENTINEL" file; do
    replace dev "$t"
    run_probe stat /dev/null
    echo "# /dev -> $t: status $status ${stderr:-}" >&3
    works_or_clear_error "/dev -> $t" dev
    if [ "$status" -eq 0 ]; then
      [ "$(value type)" = char ] ||
        { echo "/dev -> $t: /dev/null is not a device: $output" >&2; return 1; }
    fi
  done
  # the same absolute path inside the rootfs: resolved there, it works
  replace dev "$SENTINEL/dir"
  mkdir -p "$ROOTFS$SENTINEL/dir"
  run_probe stat /dev/null
  assert_status 0
  [ "$(value type)" = char ]
  assert_sentinel "/dev -> a path that exists in the rootfs too"
}

@test "hostile: /sys, /dev/shm and a bind mount's destination as symlinks out of the rootfs" {
  local t
  mkdir -p "$TEST_DIR/src"
  echo from-src >"$TEST_DIR/src/f"
  update_config '.mounts += [{"destination": "/data/sub", "type": "bind", "source": $s, "options": ["bind", "ro"]},
                             {"destination": "/scratch/a/b", "type": "tmpfs", "source": "tmpfs"}]' \
    --arg s "$TEST_DIR/src"
  for t in "$SENTINEL" "$SENTINEL/dir" "../../../../../../../..$SENTINEL/dir"; do
    replace sys "$t"
    run_probe stat /sys
    echo "# /sys -> $t: status $status ${stderr:-}" >&3
    works_or_clear_error "/sys -> $t" /sys
  done
  rm -f "$ROOTFS/sys"
  mkdir -p "$ROOTFS/sys"
  for t in "$SENTINEL" "$SENTINEL/dir" "../../../../../../../..$SENTINEL/dir"; do
    replace data "$t"
    replace scratch "$t"
    run_probe cat /data/sub/f
    echo "# /data, /scratch -> $t: status $status ${stderr:-}" >&3
    works_or_clear_error "/data, /scratch -> $t" /
    if [ "$status" -eq 0 ]; then
      [ "$output" = from-src ] || { echo "-> $t: /data/sub/f: $output" >&2; return 1; }
    fi
  done
  # the same absolute path inside the rootfs: the mounts land there
  mkdir -p "$ROOTFS$SENTINEL/dir"
  replace data "$SENTINEL/dir"
  replace scratch "$SENTINEL/dir"
  run_probe cat /data/sub/f
  assert_status 0
  [ "$output" = from-src ]
  assert_sentinel "/data -> a path that exists in the rootfs too"
  rm -rf "${ROOTFS:?}/tmp/reg-itest."*
  # /dev/shm: /dev is a tmpfs the runtime makes, so the image's /dev/shm
  # is hidden; a symlink in /dev of the image changes nothing.
  rm -rf "$ROOTFS/dev" "$ROOTFS/sys" "$ROOTFS/data" "$ROOTFS/scratch"
  mkdir -p "$ROOTFS/dev" "$ROOTFS/sys"
  ln -s "$SENTINEL" "$ROOTFS/dev/shm"
  run_probe stat /dev/shm
  assert_status 0
  [ "$(value type)" = dir ] || { echo "$output $stderr" >&2; return 1; }
  assert_sentinel "/dev/shm -> sentinel"
}

@test "hostile: the entrypoint a symlink to a host program, a masked path a symlink out" {
  # a host program (in the sentinel) through an absolute symlink: resolved
  # inside the rootfs, where it does not exist
  printf '#!/bin/sh\necho HOST-PROGRAM-RAN\n' >"$SENTINEL/prog"
  chmod 755 "$SENTINEL/prog"
  SENTINEL_BEFORE=$(sentinel_listing)
  ln -s "$SENTINEL/prog" "$ROOTFS/usr/bin/hostprog"
  set_args /usr/bin/hostprog
  run --separate-stderr reg_runc run --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  echo "# entrypoint -> host program: status $status $stderr" >&3
  [[ $output != *HOST-PROGRAM-RAN* ]]
  assert_contains "$stderr" hostprog
  assert_sentinel "entrypoint symlink"
  assert_nothing_left "$CID"
  # a masked path inside /proc pointing out: /proc is a fresh proc, and a
  # masked path under a directory of the image that is a symlink out
  mkdir -p "$ROOTFS/opt"
  ln -s "$SENTINEL" "$ROOTFS/opt/secret"
  update_config '.linux.maskedPaths += ["/opt/secret", "/opt/secret/canary"]
    | .linux.readonlyPaths += ["/opt/secret/dir"]'
  run_probe stat /opt/secret/canary
  works_or_clear_error "masked path -> sentinel" /opt/secret
  assert_sentinel "masked path -> sentinel"
}

# A mount destination that races into a symlink: while containers are
# created, another process swaps the rootfs's /data between a directory and
# a symlink to the host sentinel (renameat2 RENAME_EXCHANGE, as fast as it
# can).  The runtime resolves every destination inside the rootfs with fds
# (openat2 RESOLVE_IN_ROOT, mount through /proc/self/fd), so at worst the
# container fails; the sentinel is never mounted over or written.
@test "hostile: a mount destination that races into a symlink never reaches the host" {
  command -v python3 >/dev/null || skip "python3 is needed for the renameat2 swapper"
  mkdir -p "$TEST_DIR/src"
  echo from-src >"$TEST_DIR/src/f"
  mkdir -p "$ROOTFS/data"
  ln -s "$SENTINEL" "$ROOTFS/data.swap"
  update_config '.mounts += [{"destination": "/data/sub/deeper", "type": "tmpfs", "source": "tmpfs"},
                             {"destination": "/data/bind", "type": "bind", "source": $s, "options": ["bind"]}]' \
    --arg s "$TEST_DIR/src"
  python3 - "$ROOTFS" >"$TEST_DIR/swapper.out" 2>&1 <<'EOF' &
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
root = sys.argv[1].encode()
a, b = root + b"/data", root + b"/data.swap"
n = 0
while True:
    if libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0:
        n += 1
        if n % 1000 == 0:
            print(n, flush=True)
EOF
  BG_PIDS+=($!)
  local i ok=0 failed=0 st out
  # /data flips inside the running container too: read until it is the directory
  set_args /bin/sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do o=$(/bin/probe cat /data/bind/f) && [ "$o" = from-src ] && echo "$o" && exit 0; done; exit 1'
  for i in $(seq 40); do
    st=0
    out=$("$REG_RUNC" --root "$TEST_ROOT_STATE" run --bundle "$BUNDLE" "$CID" 2>"$TEST_DIR/err" </dev/null) || st=$?
    if [ $st -ne 0 ] && ! [ -s "$TEST_DIR/err" ]; then
      echo "round $i: the container failed ($st) without a runtime error" >&2
      return 1
    elif [ $st -eq 0 ]; then
      [ "$out" = from-src ] || { echo "round $i: read '$out'" >&2; return 1; }
      ok=$((ok + 1))
    else
      failed=$((failed + 1))
      [ "$(grep -c . "$TEST_DIR/err")" -eq 1 ] ||
        { echo "round $i: not one error line:" >&2; cat "$TEST_DIR/err" >&2; return 1; }
      grep -q '/data' "$TEST_DIR/err" ||
        { echo "round $i: error does not name /data:" >&2; cat "$TEST_DIR/err" >&2; return 1; }
      "$REG_RUNC" --root "$TEST_ROOT_STATE" delete --force "$CID" >/dev/null 2>&1 || true
    fi
    assert_sentinel "round $i"
    assert_nothing_left "$CID"
  done
  # the swapper really ran while the containers were made
  [ -n "$(cat "$TEST_DIR/swapper.out")" ] || { echo "the swapper did not swap" >&2; return 1; }
  echo "# $ok runs worked, $failed failed with a clear error" >&3
}

# run.reg.include paths of a minimal container that lead out of the rootfs:
# an absolute and a relative symlink to the host sentinel, a symlink to a
# host file inside an included directory, a wildcard through a symlinked
# directory.  Nothing of the host gets into the store (its content is
# unique and searched for) or into the container.
@test "hostile: minimal run.reg.include paths that are symlinks out of the rootfs" {
  local unique p
  unique="host-secret-$RANDOM$RANDOM$RANDOM"
  echo "$unique" >"$SENTINEL/dir/secret"
  echo "$unique" >"$SENTINEL/secret"
  SENTINEL_BEFORE=$(sentinel_listing)
  ln -s "$SENTINEL" "$ROOTFS/inc-abs"
  ln -s "../../../../../../../..$SENTINEL/dir" "$ROOTFS/inc-rel"
  mkdir -p "$ROOTFS/app/dir"
  echo in-image >"$ROOTFS/app/dir/own"
  ln -s "$SENTINEL/secret" "$ROOTFS/app/dir/link"
  ln -s "$SENTINEL/dir" "$ROOTFS/app/glob"
  update_config '.annotations["run.reg.mode"] = "minimal"
    | .annotations["run.reg.include"] = "/inc-abs,/inc-abs/secret,/inc-rel,/inc-rel/secret,/app/dir,/app/glob/*"'
  for p in /inc-abs/secret /inc-rel/secret /app/dir/link /app/glob/secret /app/dir/own; do
    set_args /bin/probe cat "$p"
    run --separate-stderr "$REG_RUNC" --root "$TEST_ROOT_STATE" --reg-root "$TEST_DIR/store" run --bundle "$BUNDLE" "$CID"
    echo "# minimal, include, cat $p: status $status: $output; ${stderr%%$'\n'*}" >&3
    [[ $output != *"$unique"* ]] || { echo "the container read the host's $p" >&2; return 1; }
    [[ ${stderr:-} != *"$unique"* ]]
    if [ "$p" = /app/dir/own ]; then
      assert_status 0
      [ "$output" = in-image ]
    fi
    assert_nothing_left "$CID"
  done
  # the host file was never read into the store
  ! grep -rqF "$unique" "$TEST_DIR/store"
  assert_sentinel "minimal includes"
}
