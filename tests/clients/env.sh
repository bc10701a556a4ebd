# Test-private environment for the client tests (sourced by make-image.sh and
# the bats helpers; POSIX sh).  Nothing here touches the host's Podman or
# containerd configuration: Podman reads CONTAINERS_CONF/CONTAINERS_STORAGE_CONF
# written below, containerd is a private instance (containerd.bats).
#
#   REG_RUNC_TEST_CACHE   images and Podman storage kept between runs
#                         (default /var/cache/reg-runc-tests)
#   REG_RUNC_TEST_RUN     runtime state of the private Podman (default
#                         /run/reg-runc-tests, a tmpfs: gone at reboot)

CLIENTS_DIR=${CLIENTS_DIR:-$(cd "$(dirname "${BASH_SOURCE:-$0}")" && pwd)}
SRCDIR=${SRCDIR:-$(cd "$CLIENTS_DIR/../.." && pwd)}
REG_RUNC_TEST_CACHE=${REG_RUNC_TEST_CACHE:-/var/cache/reg-runc-tests}
REG_RUNC_TEST_RUN=${REG_RUNC_TEST_RUN:-/run/reg-runc-tests}
BOOKWORM_TAR=${BOOKWORM_TAR:-$REG_RUNC_TEST_CACHE/bookworm.tar}
DEBIAN_IMAGE=localhost/reg-test/debian:bookworm
BUSYBOX_IMAGE=localhost/reg-test/busybox:latest
export CLIENTS_DIR SRCDIR REG_RUNC_TEST_CACHE REG_RUNC_TEST_RUN BOOKWORM_TAR DEBIAN_IMAGE BUSYBOX_IMAGE

# Private Podman: storage under the cache (images survive between runs), run
# state and libpod's tmp dir under /run, networks in a private directory.
PODMAN_CONF_DIR=$REG_RUNC_TEST_RUN/podman-conf
CONTAINERS_CONF=$PODMAN_CONF_DIR/containers.conf
CONTAINERS_STORAGE_CONF=$PODMAN_CONF_DIR/storage.conf
CONTAINERS_REGISTRIES_CONF=$PODMAN_CONF_DIR/registries.conf
export CONTAINERS_CONF CONTAINERS_STORAGE_CONF CONTAINERS_REGISTRIES_CONF
# Podman as root ignores XDG_RUNTIME_DIR; unset it so the runtime's default
# root is used, as on a real host.
unset XDG_RUNTIME_DIR

write_podman_conf () {
  mkdir -p "$PODMAN_CONF_DIR" "$REG_RUNC_TEST_CACHE/podman/storage" \
    "$REG_RUNC_TEST_CACHE/podman/volumes" "$REG_RUNC_TEST_RUN/podman/runroot" \
    "$REG_RUNC_TEST_RUN/podman/tmp" "$REG_RUNC_TEST_RUN/podman/networks"
  cat > "$CONTAINERS_STORAGE_CONF" <<EOC
[storage]
driver = "overlay"
graphroot = "$REG_RUNC_TEST_CACHE/podman/storage"
runroot = "$REG_RUNC_TEST_RUN/podman/runroot"
EOC
  # No registry is reachable: nothing is ever pulled.
  cat > "$CONTAINERS_REGISTRIES_CONF" <<EOC
unqualified-search-registries = []
EOC
  # contrib/podman/containers.conf registers reg-runc; the test settings go
  # into its tables (CALLS.md: no systemd here, and the hard RLIMIT_NOFILE is
  # 20000, so Podman's default nofile limit would make setrlimit fail).
  {
    cat <<EOC
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
log_driver = "k8s-file"

[network]
network_backend = "cni"
network_config_dir = "$REG_RUNC_TEST_RUN/podman/networks"
default_network = "regtest"
default_subnet = "10.231.0.0/24"

EOC
    sed '/^\[engine\]$/r /dev/stdin' "$SRCDIR/contrib/podman/containers.conf" <<EOC
cgroup_manager = "cgroupfs"
events_logger = "file"
pull_policy = "never"
tmp_dir = "$REG_RUNC_TEST_RUN/podman/tmp"
volume_path = "$REG_RUNC_TEST_CACHE/podman/volumes"
EOC
  } > "$CONTAINERS_CONF"
}
