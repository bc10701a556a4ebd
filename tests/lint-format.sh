#!/bin/sh
# The C sources follow .clang-format: every .c and .h of the tree, checked
# with clang-format (no file is rewritten); the ones that differ are named.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src" || exit 1
if ! command -v clang-format >/dev/null; then
  echo "lint-format: clang-format is not installed (contrib/install-deps.sh installs it)" >&2
  exit 1
fi
files=$(find cmd common libreg oci-spec tests contrib -name '*.[ch]' -type f | sort)
bad=0
for f in $files; do
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f (clang-format -i $f)" >&2
    bad=$((bad + 1))
  fi
done
echo "lint-format: $(echo "$files" | wc -l) files, $bad not formatted"
[ "$bad" = 0 ]
