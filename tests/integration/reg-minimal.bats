#!/usr/bin/env bats
# REG `minimal` and `learn` end to end (issue 8): what the container sees and
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
  if [ "$status" -ne 0 ] && [[ "$stderr" == *"can't find encoding"* ]]; then
    skip "learn records the .pyc files Python opens but not the .py sources it only stat()s, so the stdlib packages are incomplete under minimal"
  fi
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
