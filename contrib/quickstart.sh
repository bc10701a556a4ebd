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
echo "== reg-runc features (abridged)"
reg-runc features | python3 -c 'import json,sys; f=json.load(sys.stdin); print(json.dumps({k: f[k] for k in ("ociVersionMin","ociVersionMax","hooks","potentiallyUnsafeConfigAnnotations") if k in f}, indent=1))'
