# shellcheck shell=bash
# Debian bookworm minbase rootfs tarballs for the tests, debootstrapped from
# the apt mirror this machine is configured with and cached, so a machine
# builds each once.  Sourced by tests/clients/make-image.sh and by the
# integration tests that need a real distribution image (reg-volume.bats).
#
#   bookworm_tar_path [PKG...]   the cache path of the tarball with PKG...
#                                (debootstrap --include) on top of minbase:
#                                $REG_RUNC_TEST_CACHE/bookworm.tar for none,
#                                bookworm+PKG1+PKG2.tar (sorted) otherwise
#   bookworm_build TAR [PKG...]  build TAR unless it is there; on failure
#                                BOOKWORM_ERROR says why (for a skip)
#   bookworm_apt_mirror          the first bookworm mirror of apt's sources
#
# DEBIAN_MIRROR overrides the mirror.  Concurrent builders of one tarball
# (two test files, two CI jobs) wait for each other on a lock next to it.
# Both are bounded: debootstrap by BOOKWORM_TIMEOUT seconds (600), the wait
# for another builder by as long; past it BOOKWORM_ERROR says which.

REG_RUNC_TEST_CACHE=${REG_RUNC_TEST_CACHE:-/var/cache/reg-runc-tests}
BOOKWORM_TIMEOUT=${BOOKWORM_TIMEOUT:-600}
# shellcheck disable=SC2034 # read by the callers
BOOKWORM_ERROR=

bookworm_log() { echo "bookworm: $*" >&2; }

# The first Debian mirror apt is configured with (deb822 or one-line form).
bookworm_apt_mirror() {
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

bookworm_tar_path() {
  local name=bookworm p
  for p in $(printf '%s\n' "$@" | sort -u); do
    name=$name+$p
  done
  echo "$REG_RUNC_TEST_CACHE/$name.tar"
}

# shellcheck disable=SC2034 # BOOKWORM_ERROR is read by the callers
bookworm_build() {
  local tar=$1 mirror tmp lock start rc=0
  shift
  BOOKWORM_ERROR=
  [ -s "$tar" ] && return 0
  if ! command -v debootstrap >/dev/null; then
    BOOKWORM_ERROR="debootstrap is not installed (apt-get install debootstrap)"
    return 1
  fi
  mirror=${DEBIAN_MIRROR:-$(bookworm_apt_mirror | head -n1)}
  if [ -z "$mirror" ]; then
    BOOKWORM_ERROR="no bookworm mirror in apt's sources (set DEBIAN_MIRROR)"
    return 1
  fi
  mkdir -p "$(dirname "$tar")"
  lock=$tar.lock
  exec {lockfd}>"$lock"
  if ! flock -w "$BOOKWORM_TIMEOUT" "$lockfd"; then
    exec {lockfd}>&-
    BOOKWORM_ERROR="another build of $tar held $lock for more than $BOOKWORM_TIMEOUT s"
    return 1
  fi
  if [ -s "$tar" ]; then # another builder finished meanwhile
    exec {lockfd}>&-
    return 0
  fi
  tmp=$(mktemp -d "$(dirname "$tar")/debootstrap.XXXXXX")
  local include=()
  [ $# -gt 0 ] && include=(--include="$(
    IFS=,
    echo "$*"
  )")
  bookworm_log "debootstrap --variant=minbase ${include[*]} bookworm from $mirror (once; cached as $tar)"
  start=$(date +%s)
  if ! timeout -k 10 "$BOOKWORM_TIMEOUT" debootstrap --variant=minbase "${include[@]}" bookworm "$tmp/rootfs" \
    "$mirror" >"$tmp/log" 2>&1; then
    tail -20 "$tmp/log" >&2
    BOOKWORM_ERROR="debootstrap from $mirror failed: $(grep -m1 -E 'E:|W: Failure' "$tmp/log" || tail -1 "$tmp/log")"
    [ $(($(date +%s) - start)) -ge "$BOOKWORM_TIMEOUT" ] &&
      BOOKWORM_ERROR="debootstrap from $mirror did not finish in $BOOKWORM_TIMEOUT s (BOOKWORM_TIMEOUT)"
    rc=1
  else
    bookworm_log "debootstrap took $(($(date +%s) - start)) s"
    # What image builders drop: apt's caches and package lists.
    rm -rf "$tmp"/rootfs/var/cache/apt/*.bin "$tmp"/rootfs/var/lib/apt/lists/* \
      "$tmp"/rootfs/var/cache/apt/archives/*.deb
    if tar --numeric-owner --xattrs -C "$tmp/rootfs" -cf "$tmp/image.tar" .; then
      mv "$tmp/image.tar" "$tar"
    else
      BOOKWORM_ERROR="tar of the debootstrapped rootfs failed"
      rc=1
    fi
  fi
  # A debootstrap cut short leaves its /proc and /sys mounted in the rootfs.
  findmnt -rn -o TARGET | grep -F "$tmp/" | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf --one-file-system "$tmp"
  exec {lockfd}>&-
  return $rc
}
