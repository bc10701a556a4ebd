#!/bin/bash
# Build the client tests' images offline and import them into the private
# Podman storage (and, with --containerd ADDRESS, into a running private
# containerd):
#   - Debian bookworm minbase, debootstrapped from the apt mirror this machine
#     is configured with; the rootfs tarball is cached ($BOOKWORM_TAR), so a
#     machine builds it once;
#   - a busybox-static image (fast tests);
#   - Podman's pause image for pods (Podman builds it from catatonit).
# Usage: make-image.sh [--containerd ADDRESS NAMESPACE...]
# Idempotent: what is already there is kept.
set -euo pipefail
. "$(dirname "$0")/env.sh"
write_podman_conf

containerd_address=
containerd_namespaces=
if [ "${1:-}" = --containerd ]; then
  containerd_address=$2
  shift 2
  containerd_namespaces=$*
fi

log () { echo "make-image: $*" >&2; }

# The first Debian mirror apt is configured with (deb822 or one-line form).
apt_mirror () {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '/^URIs:/ {u=$2} /^Suites:/ {for (i=2;i<=NF;i++) if ($i=="bookworm") s=1}
         /^$/ {if (s && u) {print u; exit} u=""; s=0}
         END {if (s && u) print u}' "$f" | head -n1
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1=="deb" && $0 ~ / bookworm / {for (i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; exit}}' "$f"
  done
}

build_bookworm_tar () {
  [ -s "$BOOKWORM_TAR" ] && return 0
  local mirror tmp
  mirror=${DEBIAN_MIRROR:-$(apt_mirror | head -n1)}
  [ -n "$mirror" ] || { log "no bookworm mirror in apt's sources"; return 1; }
  mkdir -p "$(dirname "$BOOKWORM_TAR")"
  tmp=$(mktemp -d "$(dirname "$BOOKWORM_TAR")/debootstrap.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  log "debootstrap bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$tmp/rootfs" "$mirror" > "$tmp/log" 2>&1 \
    || { tail -20 "$tmp/log" >&2; return 1; }
  # No apt caches in the image.
  rm -rf "$tmp"/rootfs/var/cache/apt/*.bin "$tmp"/rootfs/var/lib/apt/lists/* "$tmp"/rootfs/var/cache/apt/archives/*.deb
  tar --numeric-owner --xattrs -C "$tmp/rootfs" -cf "$tmp/bookworm.tar" .
  mv "$tmp/bookworm.tar" "$BOOKWORM_TAR"
  rm -rf "$tmp"
  trap - EXIT
}

have_image () { podman image exists "$1"; }

import_bookworm () {
  have_image "$DEBIAN_IMAGE" && return 0
  log "podman import $DEBIAN_IMAGE"
  podman import -q --change 'CMD ["/bin/bash"]' "$BOOKWORM_TAR" "$DEBIAN_IMAGE" > /dev/null
}

import_busybox () {
  have_image "$BUSYBOX_IMAGE" && return 0
  local tmp
  tmp=$(mktemp -d)
  mkdir -p "$tmp"/rootfs/{bin,etc,proc,sys,dev,tmp,root}
  cp /bin/busybox "$tmp/rootfs/bin/busybox"
  local a
  for a in $("$tmp/rootfs/bin/busybox" --list); do
    [ -e "$tmp/rootfs/bin/$a" ] || ln -s busybox "$tmp/rootfs/bin/$a"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$tmp/rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$tmp/rootfs/etc/group"
  log "podman import $BUSYBOX_IMAGE"
  tar --numeric-owner -C "$tmp/rootfs" -c . |
    podman import -q --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' - "$BUSYBOX_IMAGE" > /dev/null
  rm -rf "$tmp"
}

# Podman builds localhost/podman-pause:VERSION from catatonit when the first
# pod is made; make it now, outside any test's time.
build_pause_image () {
  [ -n "$(podman images -q --filter reference=localhost/podman-pause)" ] && return 0
  log "podman pause image"
  podman pod create --name reg-test-make-pause > /dev/null
  podman pod rm -f reg-test-make-pause > /dev/null
}

# The same images, as OCI archives, into the private containerd (the OCI
# archives are cached too).
import_containerd () {
  local address=$1 ns=$2 img archive
  for img in "$DEBIAN_IMAGE" "$BUSYBOX_IMAGE" "$(podman images --format '{{.Repository}}:{{.Tag}}' | grep '^localhost/podman-pause:' | head -n1)"; do
    if ctr --address "$address" -n "$ns" images ls -q "name==$img" 2>/dev/null | grep -q .; then
      continue
    fi
    archive=$REG_RUNC_TEST_CACHE/$(echo "$img" | tr '/:' '__').oci.tar
    if [ ! -s "$archive" ]; then
      log "podman save $img"
      podman save --format oci-archive -o "$archive.tmp" "$img"
      mv "$archive.tmp" "$archive"
    fi
    log "ctr images import $img"
    ctr --address "$address" -n "$ns" images import "$archive" > /dev/null
  done
}

build_bookworm_tar
import_bookworm
import_busybox
build_pause_image
if [ -n "$containerd_address" ]; then
  for ns in $containerd_namespaces; do
    import_containerd "$containerd_address" "$ns"
  done
fi
