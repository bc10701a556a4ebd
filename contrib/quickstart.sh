#!/bin/bash
# The main job on a fresh Debian 12 machine: install build dependencies,
# build, install reg-runc and show what it does.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
bash "$src/contrib/install-deps.sh"
[ -f "$src/build/build.ninja" ] || meson setup "$src/build" "$src" --prefix=/usr/local
ninja -C "$src/build"
meson install -C "$src/build" --quiet
echo "== reg-runc --version"
reg-runc --version
echo
# Two containers from two separate copies of one image, with REG share.
REG_RUNC=$(command -v reg-runc) bash "$src/contrib/demo.sh"
