#!/usr/bin/env bats
# The REG store's trust in what it has seen: the identity and
# environment caches name a file by its mount and owner too, not only by
# device, inode and times.  One private state dir and one private REG store
# for the whole file (reg-helpers.bash).

bats_require_minimum_version 1.5.0

load reg-helpers

LIBC=/lib/x86_64-linux-gnu/libc.so.6

setup_file() {
  reg_setup_file reg-store-bats || return 0
  [ -x /bin/busybox ] || {
    reg_skip_file "needs busybox-static"
    return 0
  }
}

teardown_file() {
  reg_teardown_file
}

setup() {
  reg_setup
  LOOP=
  REG_CONF=
  OVERLAYS=()
  OV_DIR=
}

teardown() {
  local id i
  for id in "${IDS[@]}"; do
    rt delete --force "$id" </dev/null >/dev/null 2>&1 || true
  done
  # the last first: an overlay above a bind mount it was made on
  for ((i = ${#OVERLAYS[@]} - 1; i >= 0; i--)); do
    umount "${OVERLAYS[i]}" 2>/dev/null || true
  done
  if [ -n "$LOOP" ]; then
    for id in "${IDS[@]}"; do
      rt delete --force "$id" </dev/null >/dev/null 2>&1 || true
    done
    umount "$T/mnt" 2>/dev/null || true
    losetup -d "$LOOP" 2>/dev/null || true
  fi
  reg_teardown
}

# ext4_image DIR IMG: an ext4 image of DIR whose every inode (root and
# lost+found included) has the same fixed times, so that two images of
# trees with the same names and sizes have the same inode numbers, sizes
# and times: what an attacker crafts to impersonate a later image.
ext4_image() {
  local dir=$1 img=$2 p f
  truncate -s 32M "$img"
  mkfs.ext4 -q -d "$dir" "$img"
  { echo lost+found; (cd "$dir" && find . -printf '%P\n'); } | while read -r p; do
    for f in atime mtime ctime crtime; do
      echo "set_inode_field /$p $f 20231114221320"
      echo "set_inode_field /$p ${f}_extra 0"
    done
  done | debugfs -w -f - "$img" >/dev/null 2>&1
}

# The metadata the caches knew a file by before: device, inode, size, times,
# owner, mode of every file of the mounted image.
old_identities() {
  (cd "$T/mnt" && find . -printf '%p\n' | sort | xargs stat -c '%n %d %i %s %.9Y %.9Z %u %g %a')
}

@test "a crafted image on a reused loop device does not give the next image its files (share and minimal)" {
  command -v mkfs.ext4 >/dev/null && command -v debugfs >/dev/null || skip "needs e2fsprogs"
  # Two images with the same names, sizes and (crafted) times: the genuine
  # one (B) and the attacker's (A), whose data file and libc differ.
  rm -rf "$T/good" "$T/evil"
  mkdir -p "$T/good/bin" "$T/good/proc" "$T/good/dev" "$T/good/sys" "$T/good/tmp"
  cp /bin/busybox "$T/good/bin/busybox"
  copy_prog "$T/good" /usr/bin/sha256sum
  echo good >"$T/good/data.txt"
  cp -a "$T/good" "$T/evil"
  echo evil >"$T/evil/data.txt"
  # a libc of the same size that is not the genuine one (a letter of the
  # banner it prints when run as a program, so that it still works)
  off=$(grep -obUa 'GNU C Library' "$T/evil$LIBC" | head -1 | cut -d: -f1)
  [ -n "$off" ]
  printf 'X' | dd of="$T/evil$LIBC" bs=1 seek="$off" conv=notrunc status=none
  [ "$(cmp "$T/good$LIBC" "$T/evil$LIBC" | wc -l)" -eq 1 ]
  good_libc=$(sha256sum "$T/good$LIBC" | cut -d' ' -f1)
  ext4_image "$T/evil" "$T/evil.img"
  ext4_image "$T/good" "$T/good.img"
  mkdir -p "$T/mnt"

  # The attacker's image on a loop device: containers of it fill the caches.
  LOOP=$(losetup -f --show "$T/evil.img") || skip "no loop device"
  mount -o ro "$LOOP" "$T/mnt"
  old_identities >"$T/evil.ids"
  bundle "$T/mnt" share -- /usr/bin/sha256sum "$LIBC"
  crun
  echo "evil share: $status $output $stderr"
  [ "$status" -eq 0 ]
  bundle "$T/mnt" minimal false /data.txt -- /bin/busybox cat /data.txt
  crun
  echo "evil minimal: $status $output $stderr"
  [ "$output" = evil ]

  # Detached; the genuine image gets the same loop device, so the same
  # device number, and is mounted at the same place.
  umount "$T/mnt"
  losetup -d "$LOOP"
  losetup "$LOOP" "$T/good.img" || skip "$LOOP was taken by someone else meanwhile"
  mount -o ro "$LOOP" "$T/mnt"
  old_identities >"$T/good.ids"
  # the crafting worked: by device, inode, size, times, owner and mode the
  # genuine image's files are the attacker's
  diff "$T/evil.ids" "$T/good.ids"

  bundle "$T/mnt" share -- /usr/bin/sha256sum "$LIBC"
  crun
  echo "good share: $status $output $stderr"
  [ "$status" -eq 0 ]
  [ "${output%% *}" = "$good_libc" ]
  bundle "$T/mnt" minimal false /data.txt -- /bin/busybox cat /data.txt
  crun
  echo "good minimal: $status $output $stderr"
  [ "$output" = good ]

  # and the same image again, on the same mount, is answered by the caches
  bundle "$T/mnt" minimal false /data.txt -- /bin/busybox cat /data.txt
  IDS+=("$C")
  rt --debug create --bundle "$B" "$C" </dev/null 2>"$T/debug.log"
  cat "$T/debug.log"
  [ "$(grep -c "REG: minimal environment" "$T/debug.log")" -eq 0 ]
  rt delete --force "$C"
}

# base_image DIR: busybox (static) and the mount points.
base_image() {
  mkdir -p "$1/bin" "$1/proc" "$1/dev" "$1/sys" "$1/tmp"
  cp /bin/busybox "$1/bin/busybox"
}

# The store's objects of more than SIZE (find -size) bytes.
big_objects() {
  find "$T/store/objects" -type f -size "+$1c"
}

@test "minimal: a sparse file keeps its holes in the store, its content unchanged" {
  img=$T/sparse
  base_image "$img"
  # 2 GiB, of which a few bytes at the start, the middle and the end are data
  truncate -s 2G "$img/big.sparse"
  printf 'head' | dd of="$img/big.sparse" bs=1 conv=notrunc status=none
  printf 'middle' | dd of="$img/big.sparse" bs=1 seek=1073741824 conv=notrunc status=none
  printf 'tail' | dd of="$img/big.sparse" bs=1 seek=$((2 * 1073741824 - 4)) conv=notrunc status=none
  src_blocks=$(stat -c %b "$img/big.sparse")
  echo "source: $(stat -c '%s bytes, %b blocks' "$img/big.sparse")"
  # above the default max_object_size (its holes are hashed as zeros)
  REG_CONF=$T/reg.conf
  echo "max_object_size = 3G" >"$REG_CONF"

  bundle "$img" minimal false /big.sparse -- /bin/busybox sh -c \
    'busybox wc -c </big.sparse; busybox head -c 4 /big.sparse; busybox tail -c 4 /big.sparse'
  crun
  echo "status $status, out: $output, err: $stderr"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '2147483648\nheadtail')" ]

  obj=$(big_objects 1073741824)
  [ "$(echo "$obj" | wc -l)" -eq 1 ]
  echo "object: $(stat -c '%s bytes, %b blocks' "$obj")"
  [ "$(stat -c %s "$obj")" -eq 2147483648 ]
  # about the blocks of the source (not 2 GiB of zeros written out)
  [ "$(stat -c %b "$obj")" -le $((src_blocks + 64)) ]
  cmp "$obj" "$img/big.sparse"
}

@test "max_object_size: share leaves a larger library the image's own, the container runs" {
  img=$T/limit-share
  base_image "$img"
  copy_prog "$img" /usr/bin/sha256sum
  [ "$(stat -c %s "$img$LIBC")" -gt 1048576 ]
  REG_CONF=$T/reg.conf
  echo "max_object_size = 1M" >"$REG_CONF"
  rm -rf "$T/store"
  bundle "$img" share -- /usr/bin/sha256sum "$LIBC"
  crun
  echo "status $status, out: $output, err: $stderr"
  [ "$status" -eq 0 ]
  [ "${output%% *}" = "$(sha256sum "$img$LIBC" | cut -d' ' -f1)" ]
  # the smaller files of the closure are in the store, libc is not
  [ -n "$(find "$T/store/objects" -type f)" ]
  [ -z "$(big_objects 1048576)" ]
}

@test "max_object_size: minimal refuses a larger file with one clear error, leaving nothing" {
  img=$T/limit-minimal
  base_image "$img"
  head -c 5242880 /dev/urandom >"$img/big.data"
  REG_CONF=$T/reg.conf
  echo "max_object_size = 4M" >"$REG_CONF"
  rm -rf "$T/store"
  bundle "$img" minimal false /big.data -- /bin/busybox wc -c /big.data
  crun
  echo "status $status, out: $output, err: $stderr"
  [ "$status" -ne 0 ]
  [ "$(echo "$stderr" | wc -l)" -eq 1 ]
  [[ "$stderr" == *'`/big.data` (run.reg.include, 5242880 bytes) is larger than the store'"'"'s max_object_size (4194304 bytes): raise max_object_size'* ]]
  [ -z "$(big_objects 4194304)" ]
  # with the limit raised it runs
  echo "max_object_size = 5M" >"$REG_CONF"
  bundle "$img" minimal false /big.data -- /bin/busybox wc -c /big.data
  crun
  echo "status $status, out: $output, err: $stderr"
  [ "$status" -eq 0 ]
  [ "$output" = "5242880 /big.data" ]
}

@test "reg.conf: a bad max_object_size is one clear error naming the key" {
  REG_CONF=$T/reg.conf
  printf 'mode = share\nmax_object_size = lots\n' >"$REG_CONF"
  run rt list
  echo "status $status, out: $output"
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"reg.conf:2: max_object_size: expected a size in bytes"*"not \`lots\`"* ]]
}

# overlay_root LOWER...: a new overlay of the layers LOWER (top first) with an
# empty upper layer of its own (in $OV_DIR, default $T), as Podman and
# containerd give each container; sets R (its merged directory) and U (its
# upper directory).
overlay_root() {
  local d lower
  d=$(mktemp -d "${OV_DIR:-$T}/ov.XXXXXX")
  lower=$(IFS=:; echo "$*")
  mkdir "$d/upper" "$d/work" "$d/merged"
  mount -t overlay overlay -o "lowerdir=$lower,upperdir=$d/upper,workdir=$d/work" "$d/merged"
  OVERLAYS+=("$d/merged")
  R=$d/merged
  U=$d/upper
}

# debug_create: create the bundle B as C with --debug; $log is the
# runtime's stderr, $hashed, $copied and $equal the numbers of files its
# store hashed, copied and found equal to an object without hashing.
debug_create() {
  IDS+=("$C")
  rt --debug create --bundle "$B" "$C" </dev/null 2>"$T/debug.log"
  log=$(cat "$T/debug.log")
  hashed=$(sed -n 's/.*REG: store: .*, \([0-9]*\) files hashed.*/\1/p' "$T/debug.log")
  copied=$(sed -n 's/.*REG: store: .*, \([0-9]*\) files copied.*/\1/p' "$T/debug.log")
  equal=$(sed -n 's/.*REG: store: .*, \([0-9]*\) found equal to an object.*/\1/p' "$T/debug.log")
  echo "$log" | grep "REG: store:"
  [ -n "$hashed" ]
}

# layer_image DIR: busybox, sha256sum with its libraries, /data.txt.
layer_image() {
  base_image "$1"
  copy_prog "$1" /usr/bin/sha256sum
  echo layer >"$1/data.txt"
}

@test "a create's debug log says what the store did: a first create hashes and writes, a repeated one is cached" {
  layer_image "$T/plain"
  rm -rf "$T/store"
  bundle "$T/plain" share -- /usr/bin/sha256sum "$LIBC"
  debug_create
  [[ "$log" == *"REG: store: environment cache miss, $hashed files hashed ("*" bytes), 0 found equal to an object (not hashed), 0 identity-cache hits, 0 files of lower layers, $hashed files copied, $hashed new objects, 1 environments built"* ]]
  [ "$hashed" -ge 3 ]
  rt delete --force "$C"
  bundle "$T/plain" share -- /usr/bin/sha256sum "$LIBC"
  debug_create
  [[ "$log" == *"REG: store: environment cache hit, 0 files hashed (0 bytes), 0 found equal to an object (not hashed), 0 identity-cache hits, 0 files of lower layers, 0 files copied, 0 new objects, 0 environments built"* ]]
}

@test "a new copy of an image with a warm store: its files are found equal to their objects, none is hashed or copied (share and minimal)" {
  layer_image "$T/orig"
  for mode in share minimal; do
    rm -rf "$T/copy"
    bundle "$T/orig" "$mode" false /data.txt -- /usr/bin/sha256sum "$LIBC" /data.txt
    debug_create
    rt delete --force "$C"
    cp -a "$T/orig" "$T/copy"
    bundle "$T/copy" "$mode" false /data.txt -- /usr/bin/sha256sum "$LIBC" /data.txt
    debug_create
    rt delete --force "$C"
    [ "$hashed" -eq 0 ]
    [ "$equal" -gt 0 ]
    [ "$copied" -eq 0 ]
    [ -z "$(ls "$T/store/tmp")" ]
  done
}

@test "a copy whose file differs after its first page, with the size, mtime, mode and owner kept: hashed, its own object, read inside" {
  layer_image "$T/orig"
  # 64 KiB beside the program, in minimal's environment (share takes ELF
  # files only: test_candidate covers both)
  head -c 65536 /dev/urandom >"$T/orig/big.bin"
  for mode in minimal; do
    rm -rf "$T/copy"
    bundle "$T/orig" "$mode" false /big.bin -- /usr/bin/sha256sum /big.bin
    debug_create
    rt delete --force "$C"
    cp -a "$T/orig" "$T/copy"
    # one byte at 40000 changed, the mtime put back
    printf 'Z' | dd of="$T/copy/big.bin" bs=1 seek=40000 conv=notrunc status=none
    touch -r "$T/orig/big.bin" "$T/copy/big.bin"
    [ "$(stat -c %s.%Y "$T/copy/big.bin")" = "$(stat -c %s.%Y "$T/orig/big.bin")" ]
    bundle "$T/copy" "$mode" false /big.bin -- /usr/bin/sha256sum /big.bin
    debug_create
    rt delete --force "$C"
    [ "$hashed" -eq 1 ]
    [ "$copied" -eq 1 ]
    bundle "$T/copy" "$mode" false /big.bin -- /usr/bin/sha256sum /big.bin
    crun
    echo "$mode: status $status, out: $output, err: $stderr"
    [ "$status" -eq 0 ]
    [ "$output" = "$(cd "$T/copy" && sha256sum big.bin | sed 's|  |  /|')" ]
  done
}
@test "an overlay per container (Podman, containerd): only the first create of its layers hashes (share and minimal)" {
  layer_image "$T/layer"
  for mode in share minimal; do
    # the first container of the image hashes its files ...
    overlay_root "$T/layer"
    bundle "$R" "$mode" false /data.txt -- /usr/bin/sha256sum "$LIBC" /data.txt
    debug_create
    [ "$hashed" -gt 0 ]
    rt delete --force "$C"
    # ... every later one, on an overlay of its own, none: its environment
    # is found by its layers
    overlay_root "$T/layer"
    bundle "$R" "$mode" false /data.txt -- /usr/bin/sha256sum "$LIBC" /data.txt
    debug_create
    [ "$hashed" -eq 0 ]
    [[ "$log" == *"REG: store: environment cache hit"* ]]
    rt delete --force "$C"
    # and runs with the layer's files
    overlay_root "$T/layer"
    bundle "$R" "$mode" false /data.txt -- /usr/bin/sha256sum "$LIBC" /data.txt
    crun
    echo "$mode: status $status, out: $output, err: $stderr"
    [ "$status" -eq 0 ]
    [ "$output" = "$(cd "$T/layer" && sha256sum "${LIBC#/}" data.txt | sed 's|  |  /|')" ]
  done
}

@test "a disk's image through a new bind mount at every create (Podman's storage binds its directory anew for each command): nothing is hashed again (share and minimal)" {
  command -v mkfs.ext4 >/dev/null || skip "needs e2fsprogs"
  # the engine's storage on a disk: the image's layer and the containers'
  # upper layers (overlay maps a file to its layer when all are on one)
  rm -rf "$T/disk"
  mkdir -p "$T/disk/ov"
  layer_image "$T/disk/layer"
  truncate -s 64M "$T/disk.img"
  mkfs.ext4 -q -d "$T/disk" "$T/disk.img"
  mkdir -p "$T/mnt"
  LOOP=$(losetup -f --show "$T/disk.img") || skip "no loop device"
  mount "$LOOP" "$T/mnt"
  OV_DIR=$T/mnt/ov
  for mode in share minimal; do
    rm -rf "$T/store"
    for i in 1 2; do
      b=$(mktemp -d "$T/bind.XXXXXX")
      mount --bind "$T/mnt/layer" "$b"
      OVERLAYS+=("$b")
      overlay_root "$b"
      bundle "$R" "$mode" false /data.txt -- /usr/bin/sha256sum "$LIBC" /data.txt
      debug_create
      rt delete --force "$C"
      umount "$R" "$b"
      echo "$mode, bind mount $i: $hashed files hashed"
      if [ "$i" -eq 1 ]; then
        [ "$hashed" -gt 0 ]
        [[ "$log" != *" 0 files of lower layers"* ]]
      else
        [ "$hashed" -eq 0 ]
        [[ "$log" == *"REG: store: environment cache hit"* ]]
      fi
    done
  done
}

@test "an overlay per container: what its upper layer holds is the container's own, hashed and shown as it is there" {
  layer_image "$T/layer2"
  mkdir "$T/layer2/app"
  echo a >"$T/layer2/app/a"
  overlay_root "$T/layer2"
  bundle "$R" minimal false /data.txt,/app -- /bin/busybox sh -c 'cat /data.txt; ls /app'
  crun
  [ "$output" = "$(printf 'layer\na')" ]
  # the engine (or a restarted container) has its own /data.txt above the layer
  overlay_root "$T/layer2"
  echo mine >"$U/data.txt"
  bundle "$R" minimal false /data.txt,/app -- /bin/busybox sh -c 'cat /data.txt; ls /app'
  debug_create
  rt delete --force "$C"
  [[ "$log" == *"REG: store: environment cache miss"* ]]
  [ "$hashed" -eq 1 ]
  bundle "$R" minimal false /data.txt,/app -- /bin/busybox sh -c 'cat /data.txt; ls /app'
  crun
  echo "status $status, out: $output, err: $stderr"
  [ "$output" = "$(printf 'mine\na')" ]
  # and a file of its own in a directory of the layer
  overlay_root "$T/layer2"
  mkdir "$U/app"
  echo b >"$U/app/b"
  bundle "$R" minimal false /data.txt,/app -- /bin/busybox sh -c 'cat /data.txt; ls /app'
  crun
  echo "status $status, out: $output, err: $stderr"
  [ "$output" = "$(printf 'layer\na\nb')" ]
}

@test "layers on a reused loop device: an overlay of the genuine image is not given the attacker's files (share and minimal)" {
  command -v mkfs.ext4 >/dev/null && command -v debugfs >/dev/null || skip "needs e2fsprogs"
  # the layer in img/ of each file system image, the containers' upper
  # layers next to it (one file system: the layers can be named)
  rm -rf "$T/good" "$T/evil"
  layer_image "$T/good/img"
  echo good >"$T/good/img/data.txt"
  cp -a "$T/good" "$T/evil"
  echo evil >"$T/evil/img/data.txt"
  # a libc of the same size that is not the genuine one
  off=$(grep -obUa 'GNU C Library' "$T/evil/img$LIBC" | head -1 | cut -d: -f1)
  printf 'X' | dd of="$T/evil/img$LIBC" bs=1 seek="$off" conv=notrunc status=none
  good_sums=$(cd "$T/good/img" && sha256sum "${LIBC#/}" data.txt | sed 's|  |  /|')
  ext4_image "$T/evil" "$T/evil.img"
  ext4_image "$T/good" "$T/good.img"
  mkdir -p "$T/mnt"
  OV_DIR=$T/mnt
  LOOP=$(losetup -f --show "$T/evil.img") || skip "no loop device"
  mount "$LOOP" "$T/mnt"
  (cd "$T/mnt/img" && find . -printf '%p %i %s %.9Y %.9Z\n' | sort) >"$T/evil.ids"
  for mode in share minimal; do
    overlay_root "$T/mnt/img"
    bundle "$R" "$mode" false /data.txt -- /usr/bin/sha256sum "$LIBC" /data.txt
    debug_create
    [[ "$log" != *" 0 files of lower layers"* ]]
    rt delete --force "$C"
    overlay_root "$T/mnt/img"
    bundle "$R" "$mode" false /data.txt -- /usr/bin/sha256sum "$LIBC" /data.txt
    crun
    [ "$status" -eq 0 ]
    [ "$output" != "$good_sums" ]
  done
  for m in "${OVERLAYS[@]}"; do umount "$m"; done
  OVERLAYS=()
  umount "$T/mnt"
  losetup -d "$LOOP"
  losetup "$LOOP" "$T/good.img" || skip "$LOOP was taken by someone else meanwhile"
  mount "$LOOP" "$T/mnt"
  (cd "$T/mnt/img" && find . -printf '%p %i %s %.9Y %.9Z\n' | sort) >"$T/good.ids"
  # the layer files have the attacker's inodes, sizes and times
  diff "$T/evil.ids" "$T/good.ids"
  for mode in share minimal; do
    overlay_root "$T/mnt/img"
    bundle "$R" "$mode" false /data.txt -- /usr/bin/sha256sum "$LIBC" /data.txt
    debug_create
    rt delete --force "$C"
    [[ "$log" != *" 0 files of lower layers"* ]]
    [ "$hashed" -gt 0 ]
    overlay_root "$T/mnt/img"
    bundle "$R" "$mode" false /data.txt -- /usr/bin/sha256sum "$LIBC" /data.txt
    crun
    echo "$mode: status $status, out: $output, err: $stderr"
    [ "$output" = "$good_sums" ]
  done
}
