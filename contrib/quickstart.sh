#!/bin/bash
# The main job on a fresh Debian 12 machine: install build dependencies,
# build, install reg-runc and show what it does.  `meson install` puts the
# binary in PREFIX/sbin: /usr/local/sbin/reg-runc (prefix /usr/local); the
# script says where it went and whether `command -v reg-runc` finds it.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
bash "$src/contrib/install-deps.sh"
[ -f "$src/build/build.ninja" ] || meson setup "$src/build" "$src" --prefix=/usr/local
ninja -C "$src/build"
meson install -C "$src/build" --quiet
# Where meson installed it (a build dir set up earlier may have another prefix).
installed=$(meson introspect --installed "$src/build" |
  python3 -c 'import json, sys; print(next(v for k, v in json.load(sys.stdin).items() if k.endswith("/cmd/reg-runc")))')
echo "== reg-runc installed as $installed"
found=$(command -v reg-runc || true)
if [ "$found" != "$installed" ]; then
  echo "note: \`command -v reg-runc\` gives '${found:-nothing}': $(dirname "$installed") is not (first) in PATH" >&2
fi
echo "== reg-runc --version"
"$installed" --version
echo
# Two containers from two separate copies of one image, with REG share.
REG_RUNC=$installed bash "$src/contrib/demo.sh"
