#!/usr/bin/env bats
# The `reg` administration commands on an image of the host's /usr/bin/sleep
# with its libraries: analyze (what and why, with each file's object digest),
# and ls / check / gc on a private store after a share container.

setup() {
  [ "$(id -u)" -eq 0 ] || skip "needs root"
  REG_RUNC=${REG_RUNC:-${BUILDDIR:-build}/cmd/reg-runc}
  command -v jq >/dev/null || skip "needs jq"
  T=$(mktemp -d /tmp/reg-cli-bats.XXXXXX)
  ID="regcli$$"
  local f
  for f in /usr/bin/sleep $(ldd /usr/bin/sleep | grep -o '/[^ ]*'); do
    mkdir -p "$T/rootfs$(dirname "$f")"
    cp -L "$f" "$T/rootfs$f"
  done
  mkdir -p "$T/rootfs/proc" "$T/rootfs/dev" "$T/rootfs/sys" "$T/rootfs/tmp"
  # An image symlink that points at a host file must stay inside the rootfs.
  ln -s /etc/shadow "$T/rootfs/usr/bin/evil"
}

teardown() {
  [ -n "${T:-}" ] || return 0
  rt delete --force "$ID" >/dev/null 2>&1 || true
  rm -rf "$T"
}

rt() {
  "$REG_RUNC" --root "$T/state" --reg-root "$T/store" "$@"
}

# The object name of FILE: SHA-256 over a header with its mode, owner and
# then its content (libreg/reg-store.c).
object_digest() {
  local mode uid gid
  read -r mode uid gid < <(stat -c '%a %u %g' "$1")
  { printf 'reg-object 1\nmode %04o\nuid %u\ngid %u\n\n' "0$mode" "$uid" "$gid"; cat "$1"; } | sha256sum | cut -d' ' -f1
}

@test "reg analyze: the closure with reasons and digests, JSON and text" {
  run rt reg analyze --rootfs "$T/rootfs" --format json -- sleep 1
  [ "$status" -eq 0 ]
  echo "$output" >"$T/a.json"
  libc=$(jq -r '.files[] | select(.path | endswith("/libc.so.6")) | .path' "$T/a.json")
  [ -n "$libc" ]
  [ "$(jq -r --arg p "$libc" '.files[] | select(.path == $p) | .reason' "$T/a.json")" = "needed by /usr/bin/sleep" ]
  [ "$(jq -r --arg p "$libc" '.files[] | select(.path == $p) | .digest' "$T/a.json")" = "$(object_digest "$T/rootfs$libc")" ]
  [ "$(jq -r '.files[] | select(.path == "/usr/bin/sleep") | .reason' "$T/a.json")" = "entrypoint" ]
  [ "$(jq -r '.libc' "$T/a.json")" = glibc ]
  # the volume: the image's regular files (each inode once) and the closure's
  [ "$(jq '.volume.image.bytes' "$T/a.json")" -eq "$(find "$T/rootfs" -type f -printf '%i %s\n' | sort -u | awk '{ s += $2 } END { print s }')" ]
  [ "$(jq '.volume.image.files' "$T/a.json")" -eq "$(find "$T/rootfs" -type f | wc -l)" ]
  [ "$(jq '.volume.closure.bytes' "$T/a.json")" -eq "$(jq '[.files[] | select(.kind == "file") | .size] | add' "$T/a.json")" ]
  [ "$(jq '.volume | has("environment")' "$T/a.json")" = false ]

  run rt reg analyze --rootfs "$T/rootfs" -- sleep 1
  [ "$status" -eq 0 ]
  [[ "$output" == *"/usr/bin/sleep  (entrypoint)"* ]]
  [[ "$output" == *"$(object_digest "$T/rootfs/usr/bin/sleep" | cut -c1-12)  /usr/bin/sleep"* ]]
}

@test "reg analyze: a missing program and a symlink to a host file are reported missing" {
  run rt reg analyze --rootfs "$T/rootfs" --format json -- nosuch
  [ "$status" -eq 0 ]
  [ "$(jq -r '.missing[0].name' <<<"$output")" = nosuch ]
  [ "$(jq -r '.missing[0].needed_by' <<<"$output")" = process.args ]

  run rt reg analyze --rootfs "$T/rootfs" --format json -- /usr/bin/evil
  [ "$status" -eq 0 ]
  [ "$(jq '.files | length' <<<"$output")" -eq 0 ]
  [ "$(jq -r '.missing[0].name' <<<"$output")" = /usr/bin/evil ]
  [[ "$output" != *root:* ]]
}

@test "reg ls, check, gc: a share container's environment, a corrupted object, collection" {
  mkdir -p "$T/bundle"
  rt spec --bundle "$T/bundle" >/dev/null
  jq --arg root "$T/rootfs" '.process.terminal = false | .process.args = ["/usr/bin/sleep", "1000"]
     | .root = {path: $root} | .annotations["run.reg.mode"] = "share"' "$T/bundle/config.json" >"$T/c.json"
  mv "$T/c.json" "$T/bundle/config.json"
  # The container inherits run's stdio: a file, so nothing waits on a pipe.
  rt run --detach --bundle "$T/bundle" "$ID" </dev/null >"$T/run.log" 2>&1 || { cat "$T/run.log"; false; }

  run rt reg ls --format json
  [ "$status" -eq 0 ]
  [ "$(jq 'length' <<<"$output")" -eq 1 ]
  env=$(jq -r '.[0].id' <<<"$output")
  # the bytes of the image the environment was built from, next to its own
  [ "$(jq '.[0].imageBytes' <<<"$output")" -eq "$(find "$T/rootfs" -type f -printf '%i %s\n' | sort -u | awk '{ s += $2 } END { print s }')" ]
  [ "$(jq '.[0].bytes' <<<"$output")" -gt 0 ]
  [ "$(jq '.[0].bytes <= .[0].imageBytes' <<<"$output")" = true ]
  [ "$(rt state "$ID" | jq -r '.annotations["run.reg.environment"] // empty')" = "$env" ] ||
    [ "$(jq -r '.[0].containers // .[0].refs | length' <<<"$output")" -eq 1 ]

  run rt reg check
  [ "$status" -eq 0 ]
  # gc keeps what a running container references.
  run rt reg gc
  [ "$status" -eq 0 ]
  [ "$(rt reg ls --format json | jq 'length')" -eq 1 ]

  # Once the container is gone (its libraries are no longer executing),
  # corrupt one object: check names it and exits 1.
  run rt delete --force "$ID"
  [ "$status" -eq 0 ]
  obj=$(find "$T/store/objects" -type f | head -1)
  chmod u+w "$obj"
  printf 'x' >>"$obj"
  run rt reg check
  [ "$status" -eq 1 ]
  [[ "$output" == *"${obj#"$T/store/"}"* ]]
  # the cheap checks find it too: it changed within the hour, and a sample
  # of the store's size takes every object
  run rt reg check --since 1h
  [ "$status" -eq 1 ]
  [[ "$output" == *"${obj#"$T/store/"}"* ]]
  n=$(find "$T/store/objects" -type f | wc -l)
  run rt reg check --sample "$n"
  [ "$status" -eq 1 ]
  [[ "$output" == *"${obj#"$T/store/"}"* ]]
  run rt reg check --sample 1
  [[ "$output" == *"1 objects, "*" bytes checked, $((n - 1)) not (--since, --sample): "* ]]
  # nothing changed since a time to come: nothing hashed
  run rt reg check --since "@$(($(date +%s) + 3600))"
  [ "$status" -eq 0 ]
  [ "$output" = "0 objects, 0 bytes checked, $n not (--since, --sample): ok" ]
  run rt reg check --since yesterday
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"--since: expected @SECONDS"*"got \`yesterday\`"* ]]

  # Nothing references the environment any more: gc removes it.
  run rt reg gc
  [ "$status" -eq 0 ]
  [ "$(rt reg ls --format json | jq 'length')" -eq 0 ]
}

@test "reg ls: the image's volume is measured when reg ls asks, not by create; an image gone by then is not guessed" {
  image_bytes=$(find "$T/rootfs" -type f -printf '%i %s\n' | sort -u | awk '{ s += $2 } END { print s }')
  mkdir -p "$T/bundle"
  rt spec --bundle "$T/bundle" >/dev/null
  jq --arg root "$T/rootfs" '.process.terminal = false | .process.args = ["/usr/bin/sleep", "1000"]
     | .root = {path: $root} | .annotations["run.reg.mode"] = "share"' "$T/bundle/config.json" >"$T/c.json"
  mv "$T/c.json" "$T/bundle/config.json"
  rt --debug create --bundle "$T/bundle" "$ID" </dev/null >"$T/create.log" 2>&1 || { cat "$T/create.log"; false; }
  cat "$T/create.log"
  grep -q "its image's volume is measured when \`reg ls\` asks" "$T/create.log"
  env=$(ls "$T/store/envs")
  [ "$(head -2 "$T/store/envs/$env/image" | tail -1 | cut -d' ' -f1)" = root ]
  run rt reg ls --format json
  [ "$status" -eq 0 ]
  [ "$(jq '.[0].imageBytes' <<<"$output")" -eq "$image_bytes" ]
  # measured once: kept when the image is gone
  rt delete --force "$ID"
  mv "$T/rootfs" "$T/rootfs.old"
  run rt reg ls --format json
  [ "$(jq '.[0].imageBytes' <<<"$output")" -eq "$image_bytes" ]

  # a new environment whose image is gone before anyone asked: unknown
  rm -rf "$T/store"
  mv "$T/rootfs.old" "$T/rootfs"
  rt create --bundle "$T/bundle" "$ID" </dev/null >"$T/create.log" 2>&1 || { cat "$T/create.log"; false; }
  rt delete --force "$ID"
  mv "$T/rootfs" "$T/rootfs.old"
  mkdir "$T/rootfs"
  run rt reg ls --format json
  [ "$status" -eq 0 ]
  [ "$(jq '.[0] | has("imageBytes")' <<<"$output")" = false ]
}
