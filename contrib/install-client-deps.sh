#!/bin/sh
# Install the Debian packages that the end-to-end client tests (tests/clients/)
# need: Podman and conmon, containerd (ctr and the runc v2 shim), CNI plugins,
# catatonit (Podman's pause image and --init), debootstrap (the test image),
# util-linux `script` (a tty for -it), uidmap (newuidmap/newgidmap: rootless
# Podman; its storage uses the kernel's overlay in a user namespace, and the
# rootless tests run with --network none, so neither fuse-overlayfs nor
# slirp4netns is needed), and for the CRI test a Python gRPC
# client built from protoc.  Non-interactive and idempotent: packages already
# present are left alone, and nothing in the host's Podman/containerd
# configuration is changed (the tests use private configuration).
set -eu

PACKAGES="
  podman conmon containernetworking-plugins catatonit golang-github-containers-common uidmap
  containerd runc iptables
  debootstrap busybox-static util-linux bsdextrautils procps iproute2 jq bats
  python3 python3-grpcio python3-protobuf protobuf-compiler
"

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-client-deps: need root to install:$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Recommends are skipped: they would pull in slirp4netns, fuse-overlayfs,
# buildah and a few hundred MiB the tests do not use.
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confold $missing
