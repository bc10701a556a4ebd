#!/usr/bin/env bats
# REG volume: a real Debian bookworm image (debootstrap minbase +
# python3 from the apt mirror, cached by tests/lib/bookworm.sh) running a
# real python3 program that imports C extension modules, dlopens a library
# (ctypes), reads a data file and execs a helper through subprocess.  learn,
# then minimal: the same output as off, files of the image outside the
# environment are absent, and `reg analyze --format json` and `reg ls` both
# report the environment under 10% of the image's bytes.

bats_require_minimum_version 1.5.0

load reg-helpers

# The workload, written into the image under /app.  SHOW_PATHS (not part of
# the profile key: only PATH and LD_LIBRARY_PATH of the environment are)
# makes it say which of those paths it sees.
write_app() {
  local app=$1/app
  mkdir -p "$app"
  cat >"$app/main.py" <<'PY'
import ctypes, datetime, decimal, json, os, re, subprocess, _json

# a library the program dlopens itself, by its soname
zlib = ctypes.CDLL("libz.so.1")
zlib.zlibVersion.restype = ctypes.c_char_p
with open("/app/words.txt") as f:
    words = re.findall(r"[a-z]+", f.read().lower())
counts = {}
for w in words:
    counts[w] = counts.get(w, 0) + 1
helper = subprocess.run(["/app/helper", str(len(words))], capture_output=True, text=True, check=True)
day = datetime.date(2024, 2, 29)
print(json.dumps({
    "top": sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3],
    "re": re.sub(r"(\d+)", r"<\1>", "a1b22c333"),
    "date": day.isoformat(), "weekday": day.strftime("%A"),
    "decimal": str(decimal.Decimal(1) / decimal.Decimal(7)),
    "zlib": zlib.zlibVersion().decode(),
    "json_c": _json.__file__,
    "helper": helper.stdout.strip(),
}, sort_keys=True))
for p in filter(None, os.environ.get("SHOW_PATHS", "").split(":")):
    print(p, "present" if os.path.lexists(p) else "absent")
PY
  cat >"$app/words.txt" <<'TXT'
The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs.
TXT
  cat >"$app/helper" <<'SH'
#!/bin/sh
echo "helper saw $1 words, $(wc -l < /app/words.txt) line(s)"
SH
  chmod 755 "$app/helper"
}

setup_file() {
  reg_setup_file reg-volume-bats || return 0
  # shellcheck source=../lib/bookworm.sh
  . "$BATS_TEST_DIRNAME/../lib/bookworm.sh"
  local tar start
  tar=$(bookworm_tar_path python3)
  if [ ! -s "$tar" ]; then
    start=$(date +%s)
    if ! bookworm_build "$tar" python3; then
      reg_skip_file "no Debian bookworm image: $BOOKWORM_ERROR"
      return 0
    fi
    echo "# debootstrap bookworm minbase + python3: $(($(date +%s) - start)) s (cached in $tar)" >&3
  fi
  IMG=$T/debian
  mkdir -p "$IMG"
  tar --numeric-owner -xf "$tar" -C "$IMG"
  write_app "$IMG"
  export IMG
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

PROG=(/usr/bin/python3 /app/main.py)

# with_env K=V: add K=V to the bundle B's process.env.
with_env() {
  jq --arg kv "$1" '.process.env += [$kv]' "$B/config.json" >"$B/c.json"
  mv "$B/c.json" "$B/config.json"
}

# The output under off in $T/off.out (once per file; not in a subshell:
# bundle numbers the containers).
run_off() {
  [ -s "$T/off.out" ] && return 0
  bundle "$IMG" off -- "${PROG[@]}"
  crun
  echo "off: status $status, err: $stderr"
  [ "$status" -eq 0 ] || return 1
  printf '%s' "$output" >"$T/off.out"
  printf '%s' "$stderr" >"$T/off.err"
}

# A learn run of the program (once per file): its profile is in the store.
learned() {
  [ -e "$T/learned" ] && return 0
  bundle "$IMG" learn -- "${PROG[@]}"
  crun
  echo "learn: status $status, out: $output, err: $stderr"
  [ "$status" -eq 0 ] || return 1
  run_off || return 1
  [ "$output" = "$(cat "$T/off.out")" ] || return 1
  touch "$T/learned"
}

# sum_sizes: the sum of the "INODE SIZE" lines on stdin, each inode once.
sum_sizes() {
  sort -u | awk '{ s += $2 } END { print s + 0 }'
}

@test "learn then minimal: python3 that dlopens a library, reads a data file and execs a helper prints what it prints under off" {
  local want
  run_off
  want=$(cat "$T/off.out")
  echo "off: $want"
  [[ "$want" == *'"helper": "helper saw 15 words, 1 line(s)"'* ]]
  [[ "$want" == *'"json_c": "/usr/lib/python3.11/lib-dynload/_json.cpython-311-x86_64-linux-gnu.so"'* ]]
  [[ "$want" == *'"zlib": "1.'* ]]

  # without a profile, only the ELF closure of python3: it cannot start
  bundle "$IMG" minimal -- "${PROG[@]}"
  crun
  echo "minimal without a profile: status $status, err: $stderr"
  [ "$status" -ne 0 ]
  [[ "$stderr" == *encodings* ]]

  learned
  # the profile names what the program opened and ran besides python3's
  # own closure: the data file, the helper and what it runs, the library it
  # dlopened, the C extension modules
  run rt reg profile ls
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 1 ]
  run rt reg profile show "${lines[0]%% *}"
  [ "$status" -eq 0 ]
  local p
  for p in /app/words.txt /app/helper /usr/bin/dash /usr/bin/wc /usr/lib/x86_64-linux-gnu/libz.so.1.2.13 \
    /usr/lib/python3.11/lib-dynload/_decimal.cpython-311-x86_64-linux-gnu.so \
    /usr/lib/python3.11/lib-dynload/_ctypes.cpython-311-x86_64-linux-gnu.so; do
    grep -qxF "$p" <<<"$output" || { echo "profile lacks $p: $output"; return 1; }
  done

  bundle "$IMG" minimal -- "${PROG[@]}"
  crun
  echo "minimal after learn: status $status, out: $output, err: $stderr"
  [ "$status" -eq 0 ]
  [ "$output" = "$want" ]
  # and nothing more on stderr (python3 finds its prefix: the stdlib
  # landmark it only stat()s is in the environment)
  [ "$stderr" = "$(cat "$T/off.err")" ]
}

@test "minimal: files of the image outside the environment are absent in the container" {
  learned
  local paths=/usr/bin/apt:/usr/share/doc:/etc/apt:/var/lib/dpkg/status:/usr/bin/bash:/app/words.txt
  bundle "$IMG" off -- "${PROG[@]}"
  with_env "SHOW_PATHS=$paths"
  crun
  echo "off: status $status, out: $output, err: $stderr"
  [ "$status" -eq 0 ]
  local p
  for p in ${paths//:/ }; do
    grep -qxF "$p present" <<<"$output"
  done
  bundle "$IMG" minimal -- "${PROG[@]}"
  with_env "SHOW_PATHS=$paths"
  crun
  echo "minimal: status $status, out: $output, err: $stderr"
  [ "$status" -eq 0 ]
  for p in /usr/bin/apt /usr/share/doc /etc/apt /var/lib/dpkg/status /usr/bin/bash; do
    grep -qxF "$p absent" <<<"$output"
  done
  # what the program reads is there
  grep -qxF "/app/words.txt present" <<<"$output"
}

@test "volume: reg analyze --format json and reg ls report the environment under 10% of the image's bytes" {
  learned
  bundle "$IMG" minimal -- "${PROG[@]}"
  IDS+=("$C")
  rt create --bundle "$B" "$C" </dev/null >"$T/$C.out" 2>"$T/$C.err" || { cat "$T/$C.err"; return 1; }

  # the image's regular files, each inode once, counted here independently
  local img_bytes
  img_bytes=$(find "$IMG" -type f -printf '%i %s\n' | sum_sizes)

  run rt reg analyze --bundle "$B" --format json
  [ "$status" -eq 0 ]
  local a_img a_env a_paths
  a_img=$(jq '.volume.image.bytes' <<<"$output")
  a_env=$(jq '.volume.environment.bytes' <<<"$output")
  a_paths=$(jq '.volume.environment.profilePaths' <<<"$output")
  echo "# reg analyze: image $a_img bytes, minimal environment $a_env bytes" \
    "($(jq -r '.volume.environment.imagePercent' <<<"$output" | awk '{ printf "%.1f", $1 }')%)," \
    "profile of $a_paths paths" >&3
  [ "$a_img" -eq "$img_bytes" ]
  [ "$a_paths" -gt 0 ]
  [ "$a_env" -gt 0 ]
  [ $((a_env * 100)) -lt $((a_img * 10)) ]

  run rt reg ls --format json
  [ "$status" -eq 0 ]
  local env l_env l_img tree_bytes
  # the container's environment: the only one in use
  [ "$(jq '[.[] | select(.containers | length > 0)] | length' <<<"$output")" -eq 1 ]
  env=$(jq -r '.[] | select(.containers | length > 0) | .id' <<<"$output")
  l_env=$(jq --arg e "$env" '.[] | select(.id == $e) | .bytes' <<<"$output")
  l_img=$(jq --arg e "$env" '.[] | select(.id == $e) | .imageBytes' <<<"$output")
  echo "# reg ls: image $l_img bytes, environment $l_env bytes" \
    "($(jq --arg e "$env" '.[] | select(.id == $e) | .imagePercent' <<<"$output" | awk '{ printf "%.1f", $1 }')%)" >&3
  [ "$l_img" -eq "$img_bytes" ]
  [ "$l_env" -eq "$a_env" ]
  [ $((l_env * 100)) -lt $((l_img * 10)) ]
  # and that is what the environment's tree holds
  tree_bytes=$(find "$T/store/envs/$env/root" -type f -printf '%p %s\n' | awk '{ s += $2 } END { print s + 0 }')
  [ "$tree_bytes" -eq "$l_env" ]

  # the text forms say the same
  run rt reg ls
  [ "$status" -eq 0 ]
  grep -E "^$env +[0-9]+ +[0-9]+ +$l_env +$l_img +[0-9.]+ +1 " <<<"$output"
  run rt reg analyze --bundle "$B"
  [ "$status" -eq 0 ]
  [[ "$output" == *"environment: "*" files, $a_env bytes"* ]]
  rt delete --force "$C"
}
