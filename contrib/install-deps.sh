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

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: need root to install:$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
