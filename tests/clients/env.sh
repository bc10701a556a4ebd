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

# The private Podman's only network, "regtest": a bridge of its own name (not
# cni-podman0, which the host's own Podman uses for its default network "podman",
# 10.88.0.0/16) on a /24 of 10.231.0.0/16 that nothing on this host uses, with
# the IPAM state under REG_RUNC_TEST_RUN (not /var/lib/cni).  The host's
# networks are never touched.
REGTEST_BRIDGE=reg-test0
export REGTEST_BRIDGE

# regtest_free_net: the first 10.231.N (of 10.231.N.0/24) that overlaps no route
# or address of this host (any table; our own bridge's aside) and no subnet of
# a CNI configuration in /etc/cni/net.d.
regtest_free_net () {
  {
    ip -4 route show table all 2> /dev/null | awk -v br="$REGTEST_BRIDGE" '
      { for (i = 1; i < NF; i++) if ($i == "dev" && $(i + 1) == br) next
        p = $1
        if (p ~ /^(local|broadcast|unicast|anycast|multicast|blackhole|unreachable|prohibit|throw|nat)$/) p = $2
        if (p != "default") print p }' || true
    for f in /etc/cni/net.d/*.conf /etc/cni/net.d/*.conflist; do
      [ -f "$f" ] && grep -o '"subnet" *: *"[0-9./]*"' "$f" | grep -o '[0-9][0-9./]*'
    done || true
  } | awk '
    function ip2n(a, o) { split(a, o, "."); return ((o[1] * 256 + o[2]) * 256 + o[3]) * 256 + o[4] }
    { split($0, f, "/"); n++; net[n] = ip2n(f[1]); len[n] = (f[2] == "" ? 32 : f[2] + 0) }
    END {
      for (c = 0; c < 256; c++) {
        cand = ip2n("10.231." c ".0"); free = 1
        for (i = 1; i <= n; i++) {
          l = len[i] < 24 ? len[i] : 24
          if (l == 0) continue
          if (int(cand / 2 ^ (32 - l)) == int(net[i] / 2 ^ (32 - l))) { free = 0; break }
        }
        if (free) { print "10.231." c; exit 0 }
      }
      exit 1
    }'
}

write_regtest_network () {
  REGTEST_NET=$(regtest_free_net) || {
    echo "env.sh: every /24 of 10.231.0.0/16 is in use on this host: no subnet for the test network" >&2
    return 1
  }
  REGTEST_SUBNET=$REGTEST_NET.0/24
  REGTEST_GATEWAY=$REGTEST_NET.1
  export REGTEST_NET REGTEST_SUBNET REGTEST_GATEWAY
  # What `podman network create` writes, with our bridge name and IPAM dir.
  cat > "$REG_RUNC_TEST_RUN/podman/networks/regtest.conflist.tmp" <<EOC
{
  "cniVersion": "0.4.0",
  "name": "regtest",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$REGTEST_BRIDGE",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$REG_RUNC_TEST_RUN/podman/cni-ipam",
        "routes": [{ "dst": "0.0.0.0/0" }],
        "ranges": [[{ "subnet": "$REGTEST_SUBNET", "gateway": "$REGTEST_GATEWAY" }]]
      },
      "capabilities": { "ips": true }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } },
    { "type": "firewall", "backend": "" },
    { "type": "tuning" }
  ]
}
EOC
  mv "$REG_RUNC_TEST_RUN/podman/networks/regtest.conflist.tmp" "$REG_RUNC_TEST_RUN/podman/networks/regtest.conflist"
}

write_podman_conf () {
  mkdir -p "$PODMAN_CONF_DIR" "$REG_RUNC_TEST_CACHE/podman/storage" \
    "$REG_RUNC_TEST_CACHE/podman/volumes" "$REG_RUNC_TEST_RUN/podman/runroot" \
    "$REG_RUNC_TEST_RUN/podman/tmp" "$REG_RUNC_TEST_RUN/podman/networks"
  write_regtest_network || return 1
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
