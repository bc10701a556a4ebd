# shellcheck shell=bash
# Helpers of the REG end-to-end tests (reg-minimal.bats, reg-volume.bats):
# one private state dir ($T/state) and one private REG store ($T/store) for
# the whole file, under the mktemp dir $T that reg_setup_file makes and
# reg_teardown_file removes; bundles made from a config.json of `spec`.

# reg_skip_file REASON: every test of the file skips with REASON (reg_setup
# does it: bats 1.8 reports a skip in setup_file as a failure).  The caller
# returns from setup_file.
reg_skip_file() {
  REG_SKIP=$1
  export REG_SKIP
}

# reg_setup_file NAME: $T (mktemp -d /tmp/NAME.XXXXXX) and $REG_RUNC; 1 when
# the file's tests cannot run (reg_skip_file has said why):
#   reg_setup_file NAME || return 0
reg_setup_file() {
  REG_RUNC=${REG_RUNC:-${BUILDDIR:-build}/cmd/reg-runc}
  if [ "$(id -u)" -ne 0 ]; then
    reg_skip_file "needs root"
  elif [ ! -x "$REG_RUNC" ]; then
    reg_skip_file "no reg-runc binary at $REG_RUNC"
  elif ! command -v jq >/dev/null; then
    reg_skip_file "needs jq"
  else
    T=$(mktemp -d "/tmp/$1.XXXXXX")
    export T REG_RUNC
    return 0
  fi
  return 1
}

# Delete every container the file left, unmount what is under $T, remove it.
reg_teardown_file() {
  [ -n "${T:-}" ] && [ -d "$T" ] || return 0
  local d m
  for d in "$T"/state/*; do
    [ -d "$d" ] || continue
    "$REG_RUNC" --root "$T/state" --reg-root "$T/store" delete --force "${d##*/}" </dev/null >/dev/null 2>&1 || true
  done
  awk -v p="$T/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do
    umount -l "$m" || true
  done
  rm -rf "$T"
}

reg_setup() {
  [ -z "${REG_SKIP:-}" ] || skip "$REG_SKIP"
  N=0
  IDS=()
}

# Every container of the test is deleted, and nothing is left: no state dir
# (with its private upper layer), no mount under $T.
reg_teardown() {
  local id leaks
  [ -n "${T:-}" ] || return 0
  for id in "${IDS[@]}"; do
    rt delete --force "$id" </dev/null >/dev/null 2>&1 || true
  done
  leaks=$(ls "$T/state" 2>/dev/null; awk -v p="$T/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo)
  if [ -n "$leaks" ]; then
    echo "left behind: $leaks" >&2
    return 1
  fi
}

# copy_prog IMAGE FILE...: each host FILE and the libraries ldd names for it,
# at the same paths (ldd's paths: /lib/..., /lib64/...; no merged /usr).
copy_prog() {
  local img=$1 f
  shift
  for f in "$@" $(for f in "$@"; do ldd "$f" 2>/dev/null | grep -o '/[^ ]*'; done | sort -u); do
    [ -e "$img$f" ] && continue
    mkdir -p "$img$(dirname "$f")"
    cp -L "$f" "$img$f"
  done
}

# rt ARGS...: the runtime on the file's state dir and store, with the
# configuration file $REG_CONF when set.
rt() {
  "$REG_RUNC" --root "$T/state" --reg-root "$T/store" ${REG_CONF:+--config "$REG_CONF"} "$@"
}

# bundle IMAGE MODE [READONLY] [INCLUDE] -- ARGS...: a new bundle for IMAGE
# (a directory under $T); sets B (the bundle) and C (a new container id).
bundle() {
  local img=$1 mode=$2 ro=false inc=""
  shift 2
  if [ "$1" != -- ]; then ro=$1; shift; fi
  if [ "$1" != -- ]; then inc=$1; shift; fi
  shift
  N=$((N + 1))
  C="reg$$-$BATS_TEST_NUMBER-$N"
  B="$T/bundles/$C"
  mkdir -p "$B"
  rt spec --bundle "$B" >/dev/null
  jq --arg root "$img" --arg mode "$mode" --argjson ro "$ro" --arg inc "$inc" \
    --argjson args "$(jq -nc '$ARGS.positional' --args -- "$@")" \
    '.process.terminal = false | .process.args = $args
     | .process.env = ["PATH=/usr/bin:/bin", "LC_ALL=C"]
     | .root = {path: $root, readonly: $ro}
     | .annotations["run.reg.mode"] = $mode
     | if $inc != "" then .annotations["run.reg.include"] = $inc else . end' \
    "$B/config.json" >"$B/c.json"
  mv "$B/c.json" "$B/config.json"
}

# crun: run the bundle B as container C in the foreground; $output is the
# container's stdout, $stderr the container's and the runtime's stderr.
crun() {
  IDS+=("$C")
  # not bats' run: a program that is missing under minimal exits 127, which
  # run would report as a mistake of the test
  status=0
  rt run --bundle "$B" "$C" </dev/null >"$T/$C.out" 2>"$T/$C.err" || status=$?
  output=$(cat "$T/$C.out")
  stderr=$(cat "$T/$C.err")
}

# same_off_minimal IMAGE [INCLUDE] -- ARGS...: the program's stdout and exit
# status are the same under off and minimal; sets $off_out.
same_off_minimal() {
  local img=$1 inc=""
  shift
  if [ "$1" != -- ]; then inc=$1; shift; fi
  shift
  bundle "$img" off -- "$@"
  crun
  echo "off: status $status, out: $output, err: $stderr"
  [ "$status" -eq 0 ]
  [ -n "$output" ]
  off_out=$output
  bundle "$img" minimal false "$inc" -- "$@"
  crun
  echo "minimal: status $status, out: $output, err: $stderr"
  [ "$status" -eq 0 ]
  [ "$output" = "$off_out" ]
}
