#!/bin/bash
# Build the client tests' images offline and import them into the private
# Podman storage (and, with --containerd ADDRESS, into a running private
# containerd):
#   - Debian bookworm minbase, debootstrapped from the apt mirror this machine
#     is configured with (tests/lib/bookworm.sh); the rootfs tarball is cached
#     ($BOOKWORM_TAR), so a machine builds it once;
#   - a busybox-static image (fast tests);
#   - Podman's pause image for pods (Podman builds it from catatonit).
# Usage: make-image.sh [--containerd ADDRESS NAMESPACE...]
# Idempotent: what is already there is kept.
set -euo pipefail
. "$(dirname "$0")/env.sh"
. "$(dirname "$0")/../lib/bookworm.sh"
write_podman_conf

containerd_address=
containerd_namespaces=
if [ "${1:-}" = --containerd ]; then
  containerd_address=$2
  shift 2
  containerd_namespaces=$*
fi

log () { echo "make-image: $*" >&2; }

build_bookworm_tar () {
  bookworm_build "$BOOKWORM_TAR" || { log "$BOOKWORM_ERROR"; return 1; }
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
