# shellcheck shell=bash
# A real systemd to test the systemd cgroup driver against, on a machine whose
# init is not systemd: a Debian bookworm image with the `systemd` package,
# booted as PID 1 in a privileged Podman container with a cgroup namespace of
# its own, which sees the host's cgroup layout (v1, hybrid or v2) and owns its
# part of it.  Sourced by tests/integration/systemd.bats.
#
#   sdc_start NAME DIR [unified]
#                        boot a container NAME with DIR bind-mounted at /t
#                        (read-write); SDC_ERROR says why on failure.
#                        unified: systemd on a cgroup2 hierarchy alone (the
#                        v2 layout), whatever the host's layout; on a v1 or
#                        hybrid host it has no controllers to delegate
#   sdc NAME CMD...      run CMD in it (podman exec), bounded in time
#   sdc_stop NAME        remove it and the cgroup directories it was given
#
# Podman's configuration and storage are private (nothing of the host's
# Podman is read or changed): storage under the test cache (the image is
# built once: bookworm_build + podman import), run state under /run, no
# network.  The container's cgroup parent is a name of its own, so no other
# suite's sweep of Podman's default parent (libpod_parent) touches it.

# shellcheck source=tests/lib/bookworm.sh
. "$(dirname "${BASH_SOURCE[0]}")/bookworm.sh"

SDC_IMAGE=localhost/reg-test/debian-systemd:bookworm
# What the image has besides minbase: systemd and D-Bus, and the libraries
# reg-runc is linked with (it is copied in from the build).
SDC_PACKAGES=(systemd dbus libyajl2 libelf1 libseccomp2 libssl3 libcap2)
SDC_RUN=${REG_RUNC_TEST_RUN:-/run/reg-runc-tests}/podman-systemd
SDC_STORAGE=$REG_RUNC_TEST_CACHE/podman-systemd
# shellcheck disable=SC2034 # read by the callers
SDC_ERROR=
SDC_TIMEOUT=${SDC_TIMEOUT:-60}

sdc_podman_conf() {
  mkdir -p "$SDC_RUN/conf" "$SDC_RUN/runroot" "$SDC_RUN/tmp" "$SDC_RUN/networks" "$SDC_STORAGE/storage"
  cat >"$SDC_RUN/conf/storage.conf" <<EOC
[storage]
driver = "overlay"
graphroot = "$SDC_STORAGE/storage"
runroot = "$SDC_RUN/runroot"
EOC
  cat >"$SDC_RUN/conf/registries.conf" <<EOC
unqualified-search-registries = []
EOC
  # The hard RLIMIT_NOFILE/NPROC of this machine are below Podman's
  # defaults (see tests/clients/env.sh).
  cat >"$SDC_RUN/conf/containers.conf" <<EOC
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
log_driver = "k8s-file"

[network]
network_backend = "cni"
network_config_dir = "$SDC_RUN/networks"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
pull_policy = "never"
tmp_dir = "$SDC_RUN/tmp"
EOC
  export CONTAINERS_CONF=$SDC_RUN/conf/containers.conf
  export CONTAINERS_STORAGE_CONF=$SDC_RUN/conf/storage.conf
  export CONTAINERS_REGISTRIES_CONF=$SDC_RUN/conf/registries.conf
  unset XDG_RUNTIME_DIR
}

# The outer runtime: runc, which runs a cgroup namespace on a hybrid host
# (crun 1.8 refuses: "cgroups in hybrid mode not supported").
sdc_runtime() {
  command -v runc || echo crun
}

sdc_image() {
  local tar
  podman image exists "$SDC_IMAGE" && return 0
  tar=$(bookworm_tar_path "${SDC_PACKAGES[@]}")
  if ! bookworm_build "$tar" "${SDC_PACKAGES[@]}"; then
    SDC_ERROR="the systemd image: $BOOKWORM_ERROR"
    return 1
  fi
  if ! podman import -q --change 'CMD ["/lib/systemd/systemd"]' "$tar" "$SDC_IMAGE" >/dev/null; then
    SDC_ERROR="podman import $tar failed"
    return 1
  fi
}

sdc() {
  local name=$1
  shift
  timeout "$SDC_TIMEOUT" podman exec "$name" "$@"
}

# shellcheck disable=SC2034 # SDC_ERROR is read by the callers
sdc_start() {
  local name=$1 dir=$2 out state init=(/lib/systemd/systemd)
  SDC_ERROR=
  sdc_podman_conf
  sdc_image || return 1
  if [ "${3:-}" = unified ]; then
    init=(/bin/sh -c 'umount -R /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec /lib/systemd/systemd')
  fi
  if ! out=$(timeout "$SDC_TIMEOUT" podman --runtime "$(sdc_runtime)" run -d --name "$name" \
    --cgroup-parent "/$name" --cgroupns private --privileged --systemd always --network none \
    -v "$dir:/t" "$SDC_IMAGE" "${init[@]}" 2>&1); then
    SDC_ERROR="podman run of the systemd container failed: $out"
    return 1
  fi
  # Booted when the manager says so ("degraded": some unit of the image
  # failed, which a container's boot may well have).
  for _ in $(seq 100); do
    state=$(sdc "$name" systemctl is-system-running 2>/dev/null)
    case "$state" in
    running | degraded) return 0 ;;
    esac
    sleep 0.2
  done
  SDC_ERROR="systemd in the container did not finish booting (state '$state'): $(podman logs "$name" 2>&1 | tail -5)"
  return 1
}

sdc_stop() {
  local name=$1 d
  sdc_podman_conf
  timeout "$SDC_TIMEOUT" podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
  # The parent Podman made for --cgroup-parent (its child went with the
  # container), in every hierarchy; conmon's own cgroup below it empties a
  # moment after podman rm returns.
  for d in /sys/fs/cgroup/"$name" /sys/fs/cgroup/*/"$name"; do
    [ -d "$d" ] || continue
    for _ in $(seq 50); do
      find "$d" -depth -mindepth 1 -type d -exec rmdir {} \; 2>/dev/null || true
      rmdir "$d" 2>/dev/null && break
      sleep 0.1
    done
    [ -d "$d" ] && echo "# cgroup still in use: $d" >&2
  done
  return 0
}
