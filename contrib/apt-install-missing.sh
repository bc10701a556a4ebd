# Sourced by install-deps.sh and install-client-deps.sh:
#   apt_install_missing NAME "APT-OPTIONS" PACKAGE...
# installs the packages that are not installed yet, non-interactively and
# without Recommends; nothing when all are present; without root, one line
# naming what is missing and exit 1.

apt_install_missing() {
  name=$1 options=$2
  shift 2
  missing=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "$name: need root to install:$missing" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $options $missing
}
