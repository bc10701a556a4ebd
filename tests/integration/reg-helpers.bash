# shellcheck shell=bash
# Helpers of the REG end-to-end tests (reg-minimal.bats, reg-volume.bats):
# one private state dir ($T/state) and one private REG store ($T/store) for
# the whole file, under the mktemp dir $T that reg_setup_file makes and
# reg_teardown_file removes; bundles made from a config.json of `spec`.

# reg_setup_file NAME: $T (mktemp -d /tmp/NAME.XXXXXX) and $REG_RUNC, or a
# skip with the reason.
reg_setup_file() {
  [ "$(id -u)" -eq 0 ] || skip "needs root"
  REG_RUNC=${REG_RUNC:-${BUILDDIR:-build}/cmd/reg-runc}
  [ -x "$REG_RUNC" ] || skip "no reg-runc binary at $REG_RUNC"
  command -v jq >/dev/null || skip "needs jq"
  T=$(mktemp -d "/tmp/$1.XXXXXX")
  export T REG_RUNC
}

# Delete every container the file left, unmount what is under $T, remove it.
reg_teardown_file() {
  [ -n "${T:-}" ] && [ -d "$T" ] || return 0
  local id m
  for id in $(ls "$T/state" 2>/dev/null); do
    "$REG_RUNC" --root "$T/state" --reg-root "$T/store" delete --force "$id" </dev/null >/dev/null 2>&1 || true
  done
  awk -v p="$T/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do
    umount -l "$m" || true
  done
  rm -rf "$T"
}

reg_setup() {
  N=0
  IDS=()
}

# Every container of the test is deleted, and nothing is left: no state dir
# (with its private upper layer), no mount under $T.
reg_teardown() {
  local id leaks
  for id in "${IDS[@]}"; do
    rt delete --force "$id" </dev/null >/dev/null 2>&1 || true
  done
  leaks=$(ls "$T/state" 2>/dev/null; awk -v p="$T/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo)
  if [ -n "$leaks" ]; then
    echo "left behind: $leaks" >&2
    return 1
  fi
}

rt() {
  "$REG_RUNC" --root "$T/state" --reg-root "$T/store" "$@"
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
