# shellcheck shell=bash
# A real systemd to test the systemd cgroup driver against, on a machine whose
# init is not systemd: a Debian bookworm image with the `systemd` package,
# booted as PID 1 in a privileged Podman container with a cgroup namespace of
# its own, which sees the host's cgroup layout (v1, hybrid or v2) and owns its
# part of it.  Sourced by tests/integration/systemd.bats.
#
#   sdc_start NAME DIR [unified|clients]
#                        boot a container NAME with DIR bind-mounted at /t
#                        (read-write); SDC_ERROR says why on failure.
#                        unified: systemd on a cgroup2 hierarchy alone (the
#                        v2 layout), whatever the host's layout; on a v1 or
#                        hybrid host it has no controllers to delegate.
#                        clients: the image with Podman and containerd
#   sdc NAME CMD...      run CMD in it (podman exec), bounded in time
#   sdc_stop NAME        remove it and the cgroup directories it was given
#   sdc_sweep            remove those of test runs that are gone
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
# Every Podman call is bounded (a hung one fails the test naming what it
# waited for): SDC_TIMEOUT seconds for a command, SDC_BOOT_TIMEOUT for
# systemd to finish booting, SDC_BUILD_TIMEOUT for the image's import.
SDC_TIMEOUT=${SDC_TIMEOUT:-60}
SDC_BOOT_TIMEOUT=${SDC_BOOT_TIMEOUT:-90}
SDC_BUILD_TIMEOUT=${SDC_BUILD_TIMEOUT:-300}

# sdc_bounded SECONDS WHAT CMD...: CMD, killed after SECONDS (and KILLed 5 s
# later); when it was, "timed out after N s: WHAT" on stderr and status 124.
sdc_bounded() {
  local secs=$1 what=$2 rc=0 t0=$SECONDS
  shift 2
  timeout -k 5 "$secs" "$@" || rc=$?
  if { [ $rc = 124 ] || [ $rc = 137 ]; } && [ $((SECONDS - t0)) -ge "$secs" ]; then
    echo "timed out after $secs s: $what" >&2
    return 124
  fi
  return $rc
}

# sdc_podman ARGS: podman with the private configuration, bounded.
sdc_podman() {
  sdc_bounded "$SDC_TIMEOUT" "podman $*" podman "$@"
}

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
# Locks of its own, in tmp_dir: with the default (shm), the first command
# after tmp_dir is made frees every lock of the machine's one /libpod_lock
# segment (libpod's refresh), so another Podman's containers (the client
# suite's, the host's) and these could then share one.
lock_type = "file"
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
  local tar start
  sdc_podman image exists "$SDC_IMAGE" && return 0
  tar=$(bookworm_tar_path "${SDC_PACKAGES[@]}")
  start=$SECONDS
  if ! bookworm_build "$tar" "${SDC_PACKAGES[@]}"; then
    SDC_ERROR="the systemd image: $BOOKWORM_ERROR"
    return 1
  fi
  if ! sdc_bounded "$SDC_BUILD_TIMEOUT" "podman import of $tar" \
    podman import -q --change 'CMD ["/lib/systemd/systemd"]' "$tar" "$SDC_IMAGE" >/dev/null; then
    SDC_ERROR="podman import $tar failed"
    return 1
  fi
  # shellcheck disable=SC2034 # read by the callers
  SDC_IMAGE_BUILT=$((SECONDS - start))
}

# The image with Podman and containerd too (tests/integration/systemd-clients.bats),
# made from the one above with apt-get in a container on the host's network
# (debootstrap --include of podman fails configuring golang-github-containers-common).
# Their units are masked (Podman's fail at boot without a storage that
# works there); containerd runs, as on a node.
SDC_CLIENTS_IMAGE=localhost/reg-test/debian-systemd-clients:bookworm
SDC_CLIENT_PACKAGES=(podman containerd)

sdc_clients_image() {
  local name=reg-sdtest-${BATS_ROOT_PID:-$$}-build rc=0 out
  sdc_podman image exists "$SDC_CLIENTS_IMAGE" && return 0
  sdc_image || return 1
  sdc_podman rm -f "$name" >/dev/null 2>&1
  # shellcheck disable=SC2016 # expanded in the container
  if ! out=$(sdc_bounded "$SDC_BUILD_TIMEOUT" "apt-get install ${SDC_CLIENT_PACKAGES[*]} in $name" \
    podman --runtime "$(sdc_runtime)" run --name "$name" --network host "$SDC_IMAGE" sh -c '
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -q >/tmp/apt.log 2>&1 && apt-get install -y -q --no-install-recommends "$@" >>/tmp/apt.log 2>&1 ||
        { tail -5 /tmp/apt.log; exit 1; }
      systemctl mask podman.service podman.socket podman-restart.service podman-auto-update.service \
        podman-auto-update.timer >/dev/null 2>&1
      rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /tmp/apt.log' sh "${SDC_CLIENT_PACKAGES[@]}" 2>&1); then
    SDC_ERROR="installing ${SDC_CLIENT_PACKAGES[*]} in the systemd image failed: $out"
    rc=1
  elif ! out=$(sdc_bounded "$SDC_BUILD_TIMEOUT" "podman commit $name" \
    podman commit -q --change 'CMD ["/lib/systemd/systemd"]' "$name" "$SDC_CLIENTS_IMAGE" 2>&1); then
    SDC_ERROR="podman commit of the clients image failed: $out"
    rc=1
  fi
  sdc_podman rm -f "$name" >/dev/null 2>&1
  return $rc
}

sdc() {
  local name=$1
  shift
  sdc_bounded "$SDC_TIMEOUT" "podman exec $name $*" podman exec "$name" "$@"
}

# sdc_sweep: remove the systemd containers of test runs that are gone (their
# bats process, the PID in the name, no longer runs): a run killed before
# its teardown (meson's timeout) leaves one booted.
sdc_sweep() {
  local name pid
  sdc_podman_conf
  for name in $(sdc_podman ps -a --format '{{.Names}}' 2>/dev/null); do
    case "$name" in
    reg-sdtest-*) ;;
    *) continue ;;
    esac
    pid=${name#reg-sdtest-}
    pid=${pid%%-*}
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && continue
    echo "removing $name, left by a test run that is gone" >&2
    sdc_stop "$name"
  done
}

# shellcheck disable=SC2034 # SDC_ERROR is read by the callers
sdc_start() {
  local name=$1 dir=$2 out state init=(/lib/systemd/systemd) image=$SDC_IMAGE
  SDC_ERROR=
  sdc_podman_conf
  sdc_image || return 1
  case "${3:-}" in
  unified)
    init=(/bin/sh -c 'umount -R /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec /lib/systemd/systemd')
    ;;
  clients)
    sdc_clients_image || return 1
    image=$SDC_CLIENTS_IMAGE
    ;;
  esac
  if ! out=$(sdc_podman --runtime "$(sdc_runtime)" run -d --name "$name" \
    --cgroup-parent "/$name" --cgroupns private --privileged --systemd always --network none \
    -v "$dir:/t" "$image" "${init[@]}" 2>&1); then
    SDC_ERROR="podman run of the systemd container failed: $out"
    return 1
  fi
  # Booted when the manager says so ("degraded": some unit of the image
  # failed, which a container's boot may well have).  --wait returns once
  # the boot is over; before systemd listens, it fails at once: retry.
  local t0=$SECONDS
  while :; do
    state=$(sdc_bounded "$SDC_BOOT_TIMEOUT" "systemd in $name to finish booting" \
      podman exec "$name" systemctl is-system-running --wait 2>&1)
    case "$state" in
    running | degraded) return 0 ;;
    esac
    if [ "$(sdc_podman inspect -f '{{.State.Status}}' "$name" 2>&1)" != running ]; then
      SDC_ERROR="the systemd container stopped while booting ($state): $(sdc_podman logs "$name" 2>&1 | tail -5)"
      return 1
    fi
    if [ $((SECONDS - t0)) -ge "$SDC_BOOT_TIMEOUT" ]; then
      SDC_ERROR="systemd in the container did not finish booting in $SDC_BOOT_TIMEOUT s (state '$state'; jobs: $(sdc "$name" systemctl list-jobs --no-legend 2>&1 | head -5 | tr '\n' ';')): $(sdc_podman logs "$name" 2>&1 | tail -5)"
      return 1
    fi
    sleep 0.2
  done
}

# sdc_stop NAME: remove the container and its cgroups; status 1 (and why on
# stderr) when something is left.
sdc_stop() {
  local name=$1 d rc=0
  sdc_podman_conf
  sdc_podman rm -f -t 0 "$name" >/dev/null 2>&1
  if sdc_podman container exists "$name"; then
    echo "the systemd container $name is still there after podman rm -f" >&2
    rc=1
  fi
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
    if [ -d "$d" ]; then
      echo "cgroup still in use: $d" >&2
      rc=1
    fi
  done
  return $rc
}
