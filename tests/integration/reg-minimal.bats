#!/usr/bin/env bats
# REG `minimal` and `learn` end to end: what the container sees and
# prints.  Self-contained images made from host programs with the libraries
# ldd names (minimal needs shared libraries, which the busybox-static bundles
# of helpers.bash do not have).  One private state dir and one private REG
# store for the whole file (reg-helpers.bash).  A real Debian image and its
# volume: reg-volume.bats.

bats_require_minimum_version 1.5.0

# base_image DIR: busybox (static), ls, id, dash as /bin/sh, a user database,
# NSS files module, a secret file no program names, and a few other things
# of an image's that no program needs.
base_image() {
  local r=$1
  mkdir -p "$r/usr/bin" "$r/bin" "$r/etc" "$r/proc" "$r/dev" "$r/sys" "$r/tmp" \
    "$r/root" "$r/srv/www" "$r/opt/tool"
  chmod 1777 "$r/tmp"
  cp /bin/busybox "$r/usr/bin/busybox"
  copy_prog "$r" /usr/bin/ls /usr/bin/id /usr/bin/dash /usr/bin/getent
  local m
  for m in /usr/lib/x86_64-linux-gnu/libnss_files.so.2 /lib/x86_64-linux-gnu/libnss_files.so.2; do
    if [ -e "$m" ]; then
      copy_prog "$r" "$m"
      break
    fi
  done
  ln -s /usr/bin/dash "$r/bin/sh"
  cat >"$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
alice:x:1234:1234:Alice:/home/alice:/bin/sh
EOF
  cat >"$r/etc/group" <<'EOF'
root:x:0:
alice:x:1234:
EOF
  printf 'passwd: files\ngroup: files\nhosts: files\n' >"$r/etc/nsswitch.conf"
  echo "top secret" >"$r/etc/secret-file"
  echo "<html>" >"$r/srv/www/index.html"
  head -c 100000 /dev/urandom >"$r/opt/tool/blob"
  # the shell script of test 3: reads a data file, execs a helper
  mkdir -p "$r/data"
  echo "hello-data" >"$r/data/file"
  cat >"$r/usr/bin/app" <<'EOF'
#!/bin/sh
read line < /data/file
echo "data: $line"
exec /usr/bin/helper "$line"
EOF
  cat >"$r/usr/bin/helper" <<'EOF'
#!/bin/sh
echo "helper: $1"
EOF
  cat >"$r/usr/bin/script" <<'EOF'
#!/bin/sh
echo "script: $(echo one two | { read a b; echo "$b $a"; })"
ls /usr/bin/dash
EOF
  chmod 755 "$r/usr/bin/app" "$r/usr/bin/helper" "$r/usr/bin/script"
}

load reg-helpers

setup_file() {
  reg_setup_file reg-minimal-bats || return 0
  [ -x /bin/busybox ] || {
    reg_skip_file "needs busybox-static"
    return 0
  }
  base_image "$T/base"
  # python: the real interpreter (not a pyenv shim) with its stdlib
  if [ -x /usr/bin/python3.11 ] && [ -d /usr/lib/python3.11/lib-dynload ]; then
    mkdir -p "$T/py"
    base_image "$T/py"
    copy_prog "$T/py" /usr/bin/python3.11 /usr/lib/python3.11/lib-dynload/_json.cpython-311-x86_64-linux-gnu.so
    ln -s python3.11 "$T/py/usr/bin/python3"
    cp -a /usr/lib/python3.11 "$T/py/usr/lib/"
  fi
}

teardown_file() {
  reg_teardown_file
}

setup() {
  reg_setup
}

teardown() {
  reg_teardown
}

@test "minimal: a static binary prints what it prints under off" {
  same_off_minimal "$T/base" -- /usr/bin/busybox echo static says hi
  [ "$off_out" = "static says hi" ]
}

@test "minimal: a dynamically linked C program prints what it prints under off" {
  # (not -l: under minimal each file is a hard link of the store, its link
  # count is not the image's)
  same_off_minimal "$T/base" -- /usr/bin/ls -1 /usr/bin/ls /lib64 /etc/passwd
  [ "$off_out" = $'/etc/passwd\n/usr/bin/ls\n\n/lib64:\nld-linux-x86-64.so.2' ]
}

@test "minimal: a shell script prints what it prints under off" {
  # the analysis follows the shebang to dash; the `ls` the script runs comes
  # from run.reg.include, with its own closure (libselinux, libpcre2)
  same_off_minimal "$T/base" /usr/bin/ls -- /usr/bin/script
  [ "$off_out" = $'script: two one\n/usr/bin/dash' ]
}

@test "minimal: a program resolving users through NSS prints what it prints under off" {
  same_off_minimal "$T/base" -- /usr/bin/getent passwd alice
  [ "$off_out" = "alice:x:1234:1234:Alice:/home/alice:/bin/sh" ]
  same_off_minimal "$T/base" -- /usr/bin/id -un 1234
  [ "$off_out" = "alice" ]
}

@test "learn then minimal: Python importing C extension modules prints what it prints under off" {
  [ -d "$T/py" ] || skip "no /usr/bin/python3.11 with /usr/lib/python3.11 on the host"
  local prog='import json, _json, math; print(json.dumps({"sqrt": math.sqrt(16)}), _json.__file__)'
  # without its stdlib, the interpreter cannot start: the error names what is missing
  bundle "$T/py" minimal -- /usr/bin/python3 -c "$prog"
  crun
  echo "minimal without a profile: status $status, out: $output, err: $stderr"
  [ "$status" -ne 0 ]
  [[ "$stderr" == *encodings* ]]
  bundle "$T/py" learn -- /usr/bin/python3 -c "$prog"
  crun
  echo "learn: status $status, out: $output, err: $stderr"
  [ "$status" -eq 0 ]
  bundle "$T/py" minimal -- /usr/bin/python3 -c "$prog"
  crun
  echo "minimal after learn: status $status, out: $output, err: $stderr"
  same_off_minimal "$T/py" -- /usr/bin/python3 -c "$prog"
  [[ "$off_out" == '{"sqrt": 4.0} /usr/lib/python3.11/lib-dynload/_json.cpython-311-x86_64-linux-gnu.so' ]]
}

@test "minimal: Python with its stdlib through run.reg.include" {
  [ -d "$T/py" ] || skip "no /usr/bin/python3.11 with /usr/lib/python3.11 on the host"
  same_off_minimal "$T/py" /usr/lib/python3.11 -- /usr/bin/python3 -c \
    'import json, decimal; print(json.dumps(str(decimal.Decimal(1) / 8)))'
  [ "$off_out" = '"0.125"' ]
}

@test "minimal: a file of the image outside the environment is absent; / holds only the environment" {
  bundle "$T/base" off -- /usr/bin/busybox cat /etc/secret-file
  crun
  [ "$status" -eq 0 ]
  [ "$output" = "top secret" ]
  bundle "$T/base" minimal -- /usr/bin/busybox cat /etc/secret-file
  crun
  echo "minimal: status $status, out: $output, err: $stderr"
  [ "$status" -ne 0 ]
  [[ "$stderr" == *"/etc/secret-file"* ]]
  [ -z "$output" ]

  bundle "$T/base" minimal -- /usr/bin/ls -1A /
  crun
  echo "ls / under minimal: $output"
  [ "$status" -eq 0 ]
  # the image's directories no program needs are not there
  [[ "$output" != *srv* ]]
  [[ "$output" != *opt* ]]
  [[ "$output" != *data* ]]
  # exactly the top level of the environment the store built (ls's environment)
  # run deleted the container: find the environment that holds ls but no /srv
  local found=0 e
  for e in "$T"/store/envs/*/root; do
    if [ -e "$e/usr/bin/ls" ] && [ "$(ls -1A "$e")" = "$output" ]; then
      found=1
    fi
  done
  [ "$found" -eq 1 ]
}

@test "learn then minimal: a script that reads a data file and execs a helper" {
  bundle "$T/base" off -- /usr/bin/app
  crun
  [ "$status" -eq 0 ]
  local want=$'data: hello-data\nhelper: hello-data'
  [ "$output" = "$want" ]

  bundle "$T/base" minimal -- /usr/bin/app
  crun
  echo "minimal, no profile: status $status, out: $output, err: $stderr"
  [ "$status" -ne 0 ]
  # what the user sees names the missing file
  [[ "$stderr" == *"/data/file"* ]]

  run rt reg profile ls
  [ "$status" -eq 0 ]
  local before=${#lines[@]}
  bundle "$T/base" learn -- /usr/bin/app
  crun
  echo "learn: status $status, out: $output, err: $stderr"
  [ "$status" -eq 0 ]
  [ "$output" = "$want" ]

  bundle "$T/base" minimal -- /usr/bin/app
  crun
  echo "minimal after learn: status $status, out: $output, err: $stderr"
  [ "$status" -eq 0 ]
  [ "$output" = "$want" ]

  run rt reg profile ls
  echo "profile ls: $output"
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq $((before + 1)) ]
  # the new profile names the data file and the helper
  local key found=0
  for key in $(awk '{print $1}' <<<"$output"); do
    run rt reg profile show "$key"
    if [[ "$output" == *"/data/file"* ]] && [[ "$output" == *"/usr/bin/helper"* ]]; then
      found=1
    fi
  done
  [ "$found" -eq 1 ]
}

@test "minimal: root.readonly makes / read-only; otherwise writes go to a private layer" {
  local sum_before sum_after
  sum_before=$(cd "$T/base" && find . -printf '%p %m %U %s\n' | sort | sha256sum; tar -cf - . | sha256sum)

  bundle "$T/base" minimal true -- /usr/bin/dash -c 'echo x > /x; echo rc=$?; read l < /etc/passwd; echo "$l"'
  crun
  echo "readonly: status $status, out: $output, err: $stderr"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"/x: Read-only file system"* ]]
  [ "$output" = $'rc=2\nroot:x:0:0:root:/root:/bin/sh' ]

  bundle "$T/base" minimal -- /usr/bin/dash -c 'echo written > /x && echo x > /usr/bin/new && read l < /x && echo "$l"'
  crun
  echo "writable: status $status, out: $output, err: $stderr"
  [ "$status" -eq 0 ]
  [ "$output" = "written" ]
  # deleted with the container: a new one does not see it
  bundle "$T/base" minimal -- /usr/bin/dash -c 'read l < /x; echo rc=$?; read l < /usr/bin/new; echo rc=$?'
  crun
  echo "after delete: out: $output, err: $stderr"
  [ "$output" = $'rc=2\nrc=2' ]
  # the bundle's rootfs is unchanged, and so is the store's environment
  [ ! -e "$T/base/x" ]
  [ ! -e "$T/base/usr/bin/new" ]
  ! ls "$T"/store/envs/*/root/x 2>/dev/null
  sum_after=$(cd "$T/base" && find . -printf '%p %m %U %s\n' | sort | sha256sum; tar -cf - . | sha256sum)
  [ "$sum_before" = "$sum_after" ]
}

@test "minimal: two containers of two copies of an image share the inodes of their whole environment" {
  cp -a "$T/base" "$T/copy1"
  cp -a "$T/base" "$T/copy2"
  local list='busybox find / -xdev -type f | busybox sort | busybox xargs busybox stat -c "%n %i"'
  local n
  for n in 1 2; do
    bundle "$T/copy$n" minimal false /usr/bin/busybox,/usr/bin/ls -- /usr/bin/dash -c "$list"
    IDS+=("$C")
    status=0
    rt create --bundle "$B" "$C" </dev/null >"$T/$C.out" 2>"$T/$C.err" || status=$?
    [ "$status" -eq 0 ] || { cat "$T/$C.err"; return 1; }
    rt start "$C" </dev/null
    eval "C$n=\$C"
  done
  local i
  for i in $(seq 50); do
    [ "$(rt state "$C1" | jq -r .status)" = stopped ] && [ "$(rt state "$C2" | jq -r .status)" = stopped ] && break
    sleep 0.1
  done
  local a b
  a=$(cat "$T/$C1.out")
  b=$(cat "$T/$C2.out")
  echo "container 1:"
  echo "$a"
  cat "$T/$C1.err"
  [ -n "$a" ]
  # every file of the environment: same inode in both containers
  [ "$a" = "$b" ]
  grep -q '^/lib/x86_64-linux-gnu/libc.so.6 ' <<<"$a"
  grep -q '^/usr/bin/ls ' <<<"$a"
  grep -q '^/usr/bin/busybox ' <<<"$a"
  # and neither copy's own inode
  local libc_ino
  libc_ino=$(awk '$1 == "/lib/x86_64-linux-gnu/libc.so.6" {print $2}' <<<"$a")
  [ "$libc_ino" != "$(stat -c %i "$T/copy1/lib/x86_64-linux-gnu/libc.so.6")" ]
  [ "$libc_ino" != "$(stat -c %i "$T/copy2/lib/x86_64-linux-gnu/libc.so.6")" ]
  # nothing of the image outside the environment
  ! grep -q secret-file <<<"$a"

  run rt reg ls --format json
  echo "$output"
  [ "$status" -eq 0 ]
  # the containers of the earlier tests are deleted: one environment is in
  # use, by these two, and it is the tree whose inodes they see
  [ "$(jq '[.[] | select(.containers | length > 0)] | length' <<<"$output")" -eq 1 ]
  [ "$(jq '[.[] | select(.containers | length > 0)][0].containers | length' <<<"$output")" -eq 2 ]
  local env
  env=$(jq -r '[.[] | select(.containers | length > 0)][0].id' <<<"$output")
  [ "$(stat -c %i "$T/store/envs/$env/root/lib/x86_64-linux-gnu/libc.so.6")" = "$libc_ino" ]
  rt delete --force "$C1"
  rt delete --force "$C2"
  rm -rf "$T/copy1" "$T/copy2"
}

@test "minimal: the environment's bytes are far below the image's" {
  local img=$T/py prog='import json, _json; print(json.dumps([1, 2]), _json.__file__)'
  local inc=/usr/lib/python3.11/*.py,/usr/lib/python3.11/encodings,/usr/lib/python3.11/json,/usr/lib/python3.11/re,/usr/lib/python3.11/collections,/usr/lib/python3.11/lib-dynload/_json.*
  if [ -d "$img" ]; then
    # the environment works: same output as off
    same_off_minimal "$img" "$inc" -- /usr/bin/python3 -c "$prog"
    bundle "$img" minimal false "$inc" -- /usr/bin/python3 -c "$prog"
  else
    img=$T/base
    bundle "$img" minimal -- /usr/bin/ls /
  fi
  IDS+=("$C")
  rt create --bundle "$B" "$C" </dev/null >"$T/$C.out" 2>"$T/$C.err" || { cat "$T/$C.err"; return 1; }
  run rt reg ls --format json
  [ "$status" -eq 0 ]
  local env_bytes img_bytes
  # the only environment in use is this container's
  [ "$(jq '[.[] | select(.containers | length > 0)] | length' <<<"$output")" -eq 1 ]
  env_bytes=$(jq '[.[] | select(.containers | length > 0)][0].bytes' <<<"$output")
  img_bytes=$(du -sb "$img" | cut -f1)
  echo "image $img: $img_bytes bytes; environment: $env_bytes bytes ($((env_bytes * 100 / img_bytes))%)"
  [ "$env_bytes" -gt 0 ]
  [ "$env_bytes" -lt "$img_bytes" ]
  if [ "$img" = "$T/py" ]; then
    # python, its libraries and the modules it imports: a small part of the image
    [ $((env_bytes * 100 / img_bytes)) -lt 50 ]
  fi
  rt delete --force "$C"
}

# deep_tree_bundle AFTER: a minimal bundle whose program builds a directory
# 3000 levels deep (6000 bytes of path: more than PATH_MAX, more levels than
# the runtime's open files) in its writable layer, writes /deep-done, then
# runs AFTER (busybox arguments).
deep_tree_bundle() {
  # mkdir -p of 1000 levels at a time, then cd -P into it: no path is longer
  # than PATH_MAX (a logical cd would make one)
  bundle "$T/base" minimal -- /usr/bin/busybox sh -c '
    p=d; i=1; while [ $i -lt 1000 ]; do p=$p/d; i=$((i + 1)); done
    for n in 1 2 3; do /usr/bin/busybox mkdir -p $p && cd -P $p || exit 1; done
    : >/deep-done
    exec /usr/bin/busybox "$@"' sh "$@"
  IDS+=("$C")
  rt create --bundle "$B" "$C" </dev/null >"$T/$C.out" 2>"$T/$C.err" || { cat "$T/$C.err"; return 1; }
  rt start "$C"
  local tries=100
  while [ ! -e "$T/state/$C/reg-upper/deep-done" ] && [ $tries -gt 0 ]; do
    sleep 0.1
    tries=$((tries - 1))
  done
  [ -d "$T/state/$C/reg-upper/d/d/d/d" ]
  [ -e "$T/state/$C/reg-upper/deep-done" ]
}

@test "minimal: delete and delete --force remove an upper layer deeper than the runtime's open file limit" {
  # (one fd per level made both fail for ever, EMFILE)
  deep_tree_bundle true
  local tries=100
  while [ "$(rt state "$C" | jq -r .status)" != stopped ] && [ $tries -gt 0 ]; do
    sleep 0.1
    tries=$((tries - 1))
  done
  run prlimit --nofile=64 "$REG_RUNC" --root "$T/state" --reg-root "$T/store" delete "$C"
  echo "$output"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ ! -e "$T/state/$C" ]

  deep_tree_bundle sleep 1000
  run prlimit --nofile=64 "$REG_RUNC" --root "$T/state" --reg-root "$T/store" delete --force "$C"
  echo "$output"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ ! -e "$T/state/$C" ]
}

@test "minimal: 5000 run.reg.include paths that match nothing: a few warnings, then one that counts the rest" {
  # (one warning per path, 100,000 paths made 100,000 lines)
  local inc
  inc=$(seq -f '/nowhere/%g' 1 5000 | paste -sd, -)
  bundle "$T/base" minimal false "$inc,/nowhere/glob-*" -- /usr/bin/busybox echo still runs
  crun
  echo "$stderr" | head -20
  [ "$status" -eq 0 ]
  [ "$output" = "still runs" ]
  # the first ones by name, then one line for the rest
  [ "$(grep -c . <<<"$stderr")" -le 10 ]
  [[ "$stderr" == *'`/nowhere/1` is not in the rootfs'* ]]
  [[ "$stderr" == *"and 4996 more"* ]]
}

# --- learn's bounds ---------------------------------------
# The recorder runs in the container's cgroup (its memory limit bounds it), a
# profile holds at most 65536 paths and 8 MiB (REG_PROFILE_MAX_PATHS/_BYTES:
# past them it is cut, with one warning at delete), and a profile never makes
# a create fail.

# learn_image DIR: the base image with the probe (`probe files` opens many).
learn_image() {
  base_image "$1"
  cp "${PROBE:-${BUILDDIR:-build}/tests/probe}" "$1/usr/bin/probe"
}

# learn_start: bundle B, limited to 64 MiB, created as C with --debug (its
# log names the recorder: REC) and started; INIT is the container's init,
# $T/$C.out its stdout.
learn_start() {
  jq '.linux.resources.memory = {limit: 67108864}' "$B/config.json" >"$B/c.json"
  mv "$B/c.json" "$B/config.json"
  IDS+=("$C")
  rt --debug create --bundle "$B" "$C" </dev/null >"$T/$C.out" 2>"$T/$C.err" || {
    cat "$T/$C.err"
    return 1
  }
  REC=$(grep -o 'REG learn: recorder [0-9]*' "$T/$C.err" | grep -o '[0-9]*$')
  INIT=$(rt state "$C" | jq -r .pid)
  echo "recorder $REC, init $INIT"
  [ -n "$REC" ]
  [ -n "$INIT" ]
  rt start "$C"
}

# learn_wait LINE: until the container printed LINE (60 s at most).
learn_wait() {
  local i
  for i in $(seq 600); do
    grep -qx "$1" "$T/$C.out" && return 0
    sleep 0.1
  done
  echo "no \"$1\" from the container: $(cat "$T/$C.out")" >&2
  return 1
}

# learn_finish [--force | --all SIGNAL | SIGNAL]: end the container and
# delete it (the recorder writes the profile): delete --force of it
# running, or a signal (TERM to its program; --all: to each of its
# processes) and delete once it stopped.  $del_err is delete's stderr.
learn_finish() {
  local i del=()
  case "${1:-}" in
  --force) del=(--force) ;;
  --all) rt kill --all "$C" "$2" ;;
  *) rt kill "$C" "${1:-TERM}" ;;
  esac
  for i in $(seq 100); do
    [ ${#del[@]} -eq 0 ] || break
    [ "$(rt state "$C" | jq -r .status)" = stopped ] && break
    sleep 0.1
  done
  rt delete "${del[@]}" "$C" 2>"$T/$C.del" || {
    cat "$T/$C.del"
    return 1
  }
  del_err=$(cat "$T/$C.del")
  echo "delete: $del_err"
}

# profile_keys: the keys of the store's profiles.
profile_keys() {
  rt reg profile ls | awk '{print $1}' | sort
}

# minimal_creates: a minimal create of the bundle B (same program, same
# profile key) succeeds; $min_err is its stderr.
minimal_creates() {
  local st=0
  IDS+=("$C")
  rt create --bundle "$B" "$C" </dev/null >"$T/$C.out" 2>"$T/$C.err" || st=$?
  min_err=$(cat "$T/$C.err")
  echo "minimal create: status $st, err: $min_err"
  [ "$st" -eq 0 ]
  rt delete --force "$C"
}

@test "learn: a container opening 100k files: the recorder is in its cgroup, the profile is cut at 65536 paths with one warning, minimal of that key works" {
  local img=$T/many key before
  learn_image "$img"
  before=$(profile_keys)
  local prog='/usr/bin/probe files /many 100000 && exec /usr/bin/probe wait-signal'
  bundle "$img" learn -- /bin/sh -c "$prog"
  learn_start
  learn_wait files=100000
  # charged to the container: the same cgroup in every hierarchy (memory too)
  echo "recorder: $(cat /proc/$REC/cgroup)"
  echo "init: $(cat /proc/$INIT/cgroup)"
  [ "$(sort /proc/$REC/cgroup)" = "$(sort /proc/$INIT/cgroup)" ]
  # a helper of the runtime, not one of the container's processes
  run rt ps --format json "$C"
  echo "ps: $output"
  [ "$status" -eq 0 ]
  [ "$(jq -c . <<<"$output")" = "[$INIT]" ]
  # delete --force empties the cgroup: the recorder finishes first
  learn_finish --force
  [ "$(grep -c . <<<"$del_err")" -eq 1 ]
  [[ "$del_err" == *"warning: REG learn: profile "*" cut at 65536 paths"* ]]
  key=$(comm -13 <(echo "$before") <(profile_keys))
  [ -n "$key" ]
  [ "$(rt reg profile show "$key" | wc -l)" -eq 65536 ]

  bundle "$img" minimal -- /bin/sh -c "$prog"
  minimal_creates
  rm -rf "$img"
}

@test "learn: files with 3.7 KiB paths: the profile is cut at 8 MiB with one warning, the recorder stays small, minimal of that key works" {
  local img=$T/long key before hwm i
  # 14 directories of 250 characters, files named by 250 digits: each path
  # 3765 bytes; 20000 of them (75 MB) would be over the profile read limit
  local deep
  deep=$(for i in $(seq 10 23); do printf '/d%s%0248d' "$i" 0; done)
  learn_image "$img"
  before=$(profile_keys)
  local prog="/usr/bin/probe files $deep 20000 250 && exec /usr/bin/probe wait-signal"
  bundle "$img" learn -- /bin/sh -c "$prog"
  learn_start
  learn_wait files=20000
  [ "$(sort /proc/$REC/cgroup)" = "$(sort /proc/$INIT/cgroup)" ]
  # what the recorder holds is bounded by the profile's limit, whatever the
  # container opens (a moment to drain the queue first)
  sleep 2
  hwm=$(awk '/^VmHWM/ {print $2}' /proc/$REC/status)
  echo "recorder VmHWM: $hwm kB"
  [ "$hwm" -lt 32768 ]
  # the runtime's helper is no process of the container: --all spares it
  learn_finish --all KILL
  [ "$(grep -c . <<<"$del_err")" -eq 1 ]
  [[ "$del_err" == *"warning: REG learn: profile "*" cut at "*" paths, "*" bytes"* ]]
  key=$(comm -13 <(echo "$before") <(profile_keys))
  [ -n "$key" ]
  local size
  size=$(stat -c %s "$T/store/profiles/$key")
  echo "profile: $size bytes, $(rt reg profile show "$key" | wc -l) paths"
  [ "$size" -le $((8 << 20)) ]
  [ "$size" -gt $(((8 << 20) - 8192)) ]

  bundle "$img" minimal -- /bin/sh -c "$prog"
  minimal_creates
  rm -rf "$img"
}

@test "minimal: a corrupt, oversized or unreadable profile is a warning; create proceeds without it" {
  local img=$T/base key before f
  # (an argument app ignores: a key of this test's own)
  before=$(profile_keys)
  bundle "$img" learn -- /usr/bin/app bad-profile
  crun
  [ "$status" -eq 0 ]
  key=$(comm -13 <(echo "$before") <(profile_keys))
  [ -n "$key" ]
  f=$T/store/profiles/$key

  # corrupt
  printf 'not a profile\n/data/file\n' >"$f"
  bundle "$img" minimal -- /usr/bin/app bad-profile
  minimal_creates
  [ "$(grep -c "warning: .*profile $key" <<<"$min_err")" -eq 1 ]
  [[ "$min_err" == *"without it"* ]]
  # a bad line after a good header
  printf 'reg-profile 1\n/data/file\nrelative\n' >"$f"
  bundle "$img" minimal -- /usr/bin/app bad-profile
  minimal_creates
  [ "$(grep -c "warning: .*profile $key" <<<"$min_err")" -eq 1 ]
  # oversized (the issue's 387 MB profile; sparse here)
  printf 'reg-profile 1\n/data/file\n' >"$f"
  truncate -s 400M "$f"
  bundle "$img" minimal -- /usr/bin/app bad-profile
  minimal_creates
  [ "$(grep -c "warning: .*profile $key" <<<"$min_err")" -eq 1 ]
  # unreadable: a directory in its place
  rm -f "$f"
  mkdir "$f"
  bundle "$img" minimal -- /usr/bin/app bad-profile
  minimal_creates
  [ "$(grep -c "warning: .*profile $key" <<<"$min_err")" -eq 1 ]
  rmdir "$f"

  # a learn run over a damaged profile replaces it
  printf 'garbage' >"$f"
  bundle "$img" learn -- /usr/bin/app bad-profile
  crun
  [ "$status" -eq 0 ]
  bundle "$img" minimal -- /usr/bin/app bad-profile
  crun
  echo "minimal after learn: status $status, out: $output, err: $stderr"
  [ "$status" -eq 0 ]
  [ "$output" = $'data: hello-data\nhelper: hello-data' ]
}
