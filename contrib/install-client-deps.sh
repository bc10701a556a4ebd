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

. "$(dirname "$0")/apt-install-missing.sh"
# Recommends are skipped (apt_install_missing): they would pull in
# slirp4netns, fuse-overlayfs, buildah and a few hundred MiB the tests do
# not use.  The host's configuration files are kept as they are.
# shellcheck disable=SC2086
apt_install_missing install-client-deps "-o Dpkg::Options::=--force-confold" $PACKAGES
