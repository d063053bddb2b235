# Shared by build.sh, up.sh, down.sh and smoke.sh (source it): pinned
# versions, the cache and state layout, the cluster's addresses, and helpers.
# shellcheck shell=bash
# shellcheck disable=SC2034  # the variables are used by the scripts that source this
# shellcheck source-path=SCRIPTDIR

CLUSTER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$CLUSTER_DIR/versions.env"

CACHE=${DS_PLATFORM_CACHE:-/var/cache/ds-platform}
OUT=$CACHE/cluster
STATE=${DS_CLUSTER_STATE:-/run/ds-platform-cluster}

# Where build.sh puts each component (the version is the cache key).
K8S_BIN=$OUT/kubernetes-$K8S_VERSION/bin
ETCD_BIN=$OUT/etcd-$ETCD_VERSION/bin
CONTAINERD_BIN=$OUT/containerd-$CONTAINERD_VERSION/bin
RUNC_BIN=$OUT/runc-$RUNC_VERSION/bin
CNI_BIN=$OUT/cni-plugins-$CNI_PLUGINS_VERSION/bin
COREDNS_BIN=$OUT/coredns-$COREDNS_VERSION/bin
KUBE_ROUTER_BIN=$OUT/kube-router-$KUBE_ROUTER_VERSION/bin
LPP_BIN=$OUT/local-path-provisioner-$LOCAL_PATH_PROVISIONER_VERSION/bin
REGISTRY_BIN=$OUT/distribution-$DISTRIBUTION_VERSION/bin
PAUSE_BIN=$OUT/pause-$PAUSE_VERSION-$K8S_VERSION/bin

# Addresses. The bridge's gateway address is also the node IP and the
# apiserver's advertised address (EndpointSlices reject loopback); nothing of
# the cluster listens on any other non-loopback address.
BRIDGE=${DS_CLUSTER_BRIDGE:-dsk0}
GATEWAY_IP=10.244.0.1
POD_CIDR=10.244.0.0/16
SERVICE_CIDR=10.96.0.0/16
API_SERVICE_IP=10.96.0.1
DNS_SERVICE_IP=10.96.0.10
REGISTRY=127.0.0.1:5000
NODE_NAME=ds-platform-ci
CLUSTER_DOMAIN=cluster.local
# Images the cluster itself runs, pushed to the local registry by up.sh.
PAUSE_IMAGE=$REGISTRY/ds-platform/pause:$PAUSE_VERSION
BASE_IMAGE=${BASE_IMAGE_NAME:-ds-platform/base:bookworm}
REGISTRY_BASE_IMAGE=$REGISTRY/$BASE_IMAGE
COREDNS_IMAGE=$REGISTRY/ds-platform/coredns:$COREDNS_VERSION

DOCKER=${DOCKER:-/usr/bin/docker}
KUBECTL=$K8S_BIN/kubectl
CONTAINERD_SOCK=$STATE/containerd/containerd.sock
# Our own iptables chain names and ipset-free bookkeeping (down.sh removes them).
FWD_CHAIN=DSK-FORWARD
EGRESS_CHAIN=DSK-EGRESS

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  PATH="/usr/local/go/bin:$PATH"
fi

# ensure_packages: Debian packages the build and the running cluster need.
ensure_packages() {
  local need=() pair cmd pkg
  for pair in iptables:iptables ipset:ipset conntrack:conntrack socat:socat \
              openssl:openssl ip:iproute2 setsid:util-linux findmnt:util-linux \
              gcc:gcc pkg-config:pkg-config curl:curl; do
    cmd=${pair%%:*} pkg=${pair#*:}
    command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
  done
  # runc links libseccomp; gcc -static needs libc.a for the pause binary.
  [ -e /usr/include/seccomp.h ] || need+=(libseccomp-dev)
  [ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -e /usr/lib/aarch64-linux-gnu/libc.a ] || need+=(libc6-dev)
  [ ${#need[@]} -eq 0 ] && return 0
  echo "installing Debian packages: ${need[*]}" >&2
  local out
  out=$(mktemp)
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
         DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$out" 2>&1; then
    tail -n 20 "$out" >&2; rm -f "$out"; return 1
  fi
  rm -f "$out"
}

# kc: kubectl as the cluster admin.
kc() { "$KUBECTL" --kubeconfig "$STATE/kubeconfig" "$@"; }

# containerd_config FILE DIR SOCKET RUNC_ROOT: a node's containerd configuration (CRI, runc, the
# cluster's CNI and registry hosts), its root, state and temp under DIR. Every node uses the same.
containerd_config() {
  local file=$1 dir=$2 sock=$3 runc_root=$4
  cat >"$file" <<EOF
version = 3
root = "$dir/root"
state = "$dir/state"
temp = "$dir/tmp"
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins]
  [plugins.'io.containerd.internal.v1.opt']
    path = "$dir/opt"
  [plugins.'io.containerd.nri.v1.nri']
    disable = true
  [plugins.'io.containerd.grpc.v1.cri']
    stream_server_address = "127.0.0.1"
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = "overlayfs"
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = "$PAUSE_IMAGE"
    [plugins.'io.containerd.cri.v1.images'.registry]
      config_path = "$STATE/containerd/certs.d"
  [plugins.'io.containerd.cri.v1.runtime']
    netns_mounts_under_state_dir = true
    enable_cdi = false
    # Containers get an OOM score no lower than containerd's own: lowering it (pause -998,
    # Guaranteed pods -997) needs CAP_SYS_RESOURCE or an inherited minimum, which a process started
    # from some shells lacks, and runc then fails every sandbox.
    restrict_oom_score_adj = true
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = "runc"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          BinaryName = "$RUNC_BIN/runc"
          Root = "$runc_root"
          SystemdCgroup = false
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = ["$CNI_BIN"]
      conf_dir = "$STATE/cni/net.d"
EOF
}
