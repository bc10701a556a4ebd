#!/bin/sh
# Install every Debian package that building and testing reg-runc needs.
# Non-interactive and idempotent: packages already present are left alone.
set -eu

PACKAGES="
  meson ninja-build pkg-config gcc
  libseccomp-dev libcap-dev libyajl-dev libmount-dev libelf-dev libssl-dev libsystemd-dev
  libcmocka-dev bats busybox-static python3 python3-jsonschema jq
  iproute2 util-linux procps
  clang libclang-rt-14-dev clang-format
  crun runc gnuplot-nox time debootstrap
"

. "$(dirname "$0")/apt-install-missing.sh"
# shellcheck disable=SC2086
apt_install_missing install-deps "" $PACKAGES
