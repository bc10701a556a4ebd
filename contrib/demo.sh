#!/bin/bash
# A REG demonstration, offline: two bundles made from two separate copies of
# one small image (busybox-static plus dynamically linked host programs with
# their libraries), run with run.reg.mode=share.  It shows what REG found for
# the entrypoint, and that both containers map one libc inode from the store
# while each image keeps its own copy.
set -eu
RT=${REG_RUNC:-reg-runc}
work=$(mktemp -d /tmp/reg-demo.XXXXXX)
state="$work/state"
store="$work/store"
ids=()
cleanup() {
  for id in "${ids[@]}"; do "$RT" --root "$state" delete --force "$id" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# copy PROGRAM and the libraries ldd lists into ROOT, keeping their paths
copy_with_libs() {
  local root=$1 prog=$2 f
  for f in "$prog" $(ldd "$prog" 2>/dev/null | grep -o '/[^ ]*'); do
    mkdir -p "$root$(dirname "$f")"
    cp -L "$f" "$root$f"
  done
}

make_image() {
  local root=$1
  mkdir -p "$root"/{bin,etc,proc,sys,dev,tmp,usr/bin}
  cp /bin/busybox "$root/bin/busybox"
  for app in sh ls cat grep sleep; do ln -sf busybox "$root/bin/$app"; done
  copy_with_libs "$root" /usr/bin/sleep
  printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
  printf 'root:x:0:\n' > "$root/etc/group"
}

echo "== two bundles from two separate copies of one image in $work"
for b in a b; do
  make_image "$work/$b/rootfs"
  (cd "$work/$b" && "$RT" spec)
  # a detached container running the host's dynamically linked sleep
  python3 - "$work/$b/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["/usr/bin/sleep", "60"]
c.setdefault("annotations", {})["run.reg.mode"] = "share"
json.dump(c, open(p, "w"), indent=1)
PY
done

echo
echo "== reg-runc reg analyze: the files /usr/bin/sleep needs"
"$RT" reg analyze --bundle "$work/a"

for b in a b; do
  id="reg-demo-$b-$$"
  ids+=("$id")
  "$RT" --root "$state" --reg-root "$store" run --detach --bundle "$work/$b" "$id" </dev/null >/dev/null
done

echo
echo "== libc as each container maps it (device:inode from /proc/PID/maps)"
for id in "${ids[@]}"; do
  pid=$("$RT" --root "$state" state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
  printf '%-22s %s\n' "$id" "$(grep -m1 'libc.so.6' /proc/$pid/maps | awk '{print $4":"$5, $6}')"
done
echo "the image copies themselves (different inodes):"
for b in a b; do
  printf '%-22s %s\n' "$b/rootfs" "$(stat -L -c '%D:%i %n' "$work/$b/rootfs"/lib/x86_64-linux-gnu/libc.so.6)"
done

echo
echo "== reg-runc reg ls / reg stats"
"$RT" --reg-root "$store" reg ls
"$RT" --reg-root "$store" reg stats

# minimal: the same image, but the root holds only what /usr/bin/sleep needs.
echo
echo "== run.reg.mode=minimal: the root is the environment, not the image"
python3 - "$work/a/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["args"] = ["/usr/bin/sleep", "0"]
c["annotations"]["run.reg.mode"] = "minimal"
json.dump(c, open(p, "w"), indent=1)
PY
ms() { date +%s%N; }
"$RT" --root "$state" --reg-root "$store" run --bundle "$work/a" reg-demo-warm-$$ </dev/null
for mode in off minimal; do
  sed -i "s/\"run.reg.mode\": \"[a-z]*\"/\"run.reg.mode\": \"$mode\"/" "$work/a/config.json"
  t0=$(ms)
  "$RT" --root "$state" --reg-root "$store" run --bundle "$work/a" "reg-demo-$mode-$$" </dev/null
  t1=$(ms)
  awk -v m="$mode" -v a="$t0" -v b="$t1" 'BEGIN { printf "run of /usr/bin/sleep 0 under %-8s %6.1f ms\n", m, (b - a) / 1e6 }'
done
# reg ls: each environment's bytes against the image it was built from
"$RT" --reg-root "$store" reg ls --format json | python3 -c '
import json, sys
envs = json.load(sys.stdin)
env = max(envs, key=lambda e: e["directories"]) if envs else None
if env and env.get("imageBytes"):
    print("image: %d bytes; minimal environment: %d bytes in %d files (%s%% of the image), "
          "all of them shared from the store" % (env["imageBytes"], env["bytes"], env["files"], env["imagePercent"]))
'
