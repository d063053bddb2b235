#!/usr/bin/env bash
# What the Spark and GPU end-to-end tier adds to the running CI cluster (up.sh):
#
#   - a GPU node, ds-platform-ci-gpu: a second kubelet with a containerd of its own, labelled
#     ds-platform.io/gpu-pool=$EXTRAS_GPU_POOL and hub.jupyter.org/node-purpose=user, tainted
#     nvidia.com/gpu=present:NoSchedule from its registration on, offering $EXTRAS_GPUS
#     nvidia.com/gpu through fake-gpu (fake-gpu/, a device plugin without hardware);
#   - a CPU worker node, ds-platform-ci-worker: the same without GPUs, labels or taints, so that
#     a notebook and more than one 1-core Spark executor fit beside the control plane's pods;
#   - a ReadWriteMany StorageClass, shared ($EXTRAS_SHARED_CLASS), for the Spark event-log volume
#     the history server reads: a second local-path-provisioner (the cached binary) whose volumes
#     are directories of one host directory, so that every node mounts the same files.
#
#   extras.sh up            start them (a no-op for what already runs); prints the node names
#   extras.sh pull REF...   pull images into the extra nodes' runtimes (the pre-puller's job)
#   extras.sh status        PASS:/FAIL: lines for each part; exits non-zero on a failure
#   extras.sh down          stop and remove them; run it before down.sh (if down.sh runs first,
#                           a watchdog started by "up" stops them once the first node's kubelet goes)
#
# Every extra node is a host process pair like the first node's: the kubelet (own node name,
# root dir, ports, cgroup root /ds-<node>) and containerd (own socket, root, state), both in a
# mount namespace of their own (the kubelet's device-plugin directory is a fixed path). They share
# the first node's bridge, CNI configuration and IP allocation, and its node IP (10.244.0.1): every
# pod is on this machine, kube-proxy's rules serve all of them, and kube-router (which guards the
# pods whose hostIP is its node's IP) enforces the NetworkPolicies on the extra nodes' pods too.
# Nothing listens beyond 127.0.0.1 and the bridge address. Each node keeps its own image store:
# about 4 GB of disk per node once the notebook image is pulled.
#
# Env: EXTRAS_GPUS (2), EXTRAS_GPU_POOL (ci-gpu), EXTRAS_WORKER (1; 0: no CPU worker),
#      EXTRAS_SHARED_CLASS (shared); DS_CLUSTER_STATE and DS_PLATFORM_CACHE as up.sh.
set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GPUS=${EXTRAS_GPUS:-2}
GPU_POOL=${EXTRAS_GPU_POOL:-ci-gpu}
WORKER=${EXTRAS_WORKER:-1}
SHARED_CLASS=${EXTRAS_SHARED_CLASS:-shared}
GPU_NODE=$NODE_NAME-gpu
WORKER_NODE=$NODE_NAME-worker
X=$STATE/extras
PKI=$STATE/pki
ETC=$STATE/etc
FAKE_GPU_SRC=$CLUSTER_DIR/fake-gpu
SHARED_NS=ds-shared-storage
SHARED_PROVISIONER=ds-platform.io/shared-path
# The node's kubelet port and healthz port, by node.
declare -A KUBELET_PORT=([$GPU_NODE]=10271 [$WORKER_NODE]=10272)
declare -A HEALTHZ_PORT=([$GPU_NODE]=10281 [$WORKER_NODE]=10282)

log() { echo "extras.sh: $*" >&2; }
die() {
  echo "extras.sh: FAILED: $1" >&2
  if [ -n "${2:-}" ] && [ -f "$X/logs/$2.log" ]; then
    echo "---- last lines of $X/logs/$2.log" >&2
    tail -n 25 "$X/logs/$2.log" >&2
  fi
  exit 1
}

nodes() {
  echo "$GPU_NODE"
  [ "$WORKER" = 0 ] || echo "$WORKER_NODE"
}

# ---------------------------------------------------------------- processes (as up.sh)
alive() {
  local pid exe
  pid=$(cat "$X/pids/$1.pid" 2>/dev/null) || return 1
  exe=$(cat "$X/pids/$1.exe" 2>/dev/null) || return 1
  [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$exe" ]
}

# start NAME EXE COMMAND...: COMMAND detached, ending as EXE (it may exec EXE through unshare or
# nsenter: the PID stays, the recorded executable is EXE's).
start() {
  local name=$1 exe=$2; shift 2
  alive "$name" && return 0
  setsid env -u HTTP_PROXY -u HTTPS_PROXY -u http_proxy -u https_proxy -u ALL_PROXY -u all_proxy \
    -u NO_PROXY -u no_proxy PATH="$CONTAINERD_BIN:$PATH" \
    "$@" >"$X/logs/$name.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$X/pids/$name.pid"
  readlink -f "$exe" >"$X/pids/$name.exe"
  for _ in $(seq 1 50); do
    alive "$name" && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  alive "$name" || die "$name did not start" "$name"
}

# stop NAME: SIGTERM, up to 15 s, then SIGKILL (by recorded PID only).
stop() {
  local pid
  alive "$1" || { rm -f "$X/pids/$1.pid" "$X/pids/$1.exe"; return 0; }
  pid=$(cat "$X/pids/$1.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$X/pids/$1.pid" "$X/pids/$1.exe"
  log "stopped $1 ($pid)"
}

wait_until() {
  local secs=$1 what=$2 comp=$3; shift 3
  local end=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    if [ "$comp" != - ] && ! alive "$comp"; then
      die "$comp exited while waiting for $what" "$comp"
    fi
    [ "$(date +%s)" -lt "$end" ] || die "timed out after ${secs}s waiting for $what" "$comp"
    sleep 1
  done
}

ctr_of() { "$CONTAINERD_BIN/ctr" --address "$X/$1/containerd/containerd.sock" --namespace k8s.io "${@:2}"; }

# ---------------------------------------------------------------- fake-gpu build
# Built into the cache, keyed by the hash of its sources; a static binary, also under the name
# nvidia-smi (what it acts as when called so).
FAKE_GPU_BIN=""
build_fake_gpu() {
  local key dir
  key=$(cat "$FAKE_GPU_SRC"/go.mod "$FAKE_GPU_SRC"/go.sum "$FAKE_GPU_SRC"/*.go | sha256sum | cut -c1-16)
  dir=$OUT/fake-gpu-$key/bin
  if [ ! -x "$dir/nvidia-smi" ]; then
    command -v go >/dev/null 2>&1 || die "Go toolchain not found (needed to build fake-gpu)"
    mkdir -p "$dir" "$CACHE/go/mod" "$CACHE/go/build"
    log "building fake-gpu ($key)"
    (cd "$FAKE_GPU_SRC" && GOMODCACHE=$CACHE/go/mod GOCACHE=$CACHE/go/build GOFLAGS="-modcacherw -buildvcs=false" \
      GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$dir/fake-gpu" .) >"$X/logs/fake-gpu-build.log" 2>&1 \
      || die "building fake-gpu failed" fake-gpu-build
    cp "$dir/fake-gpu" "$dir/nvidia-smi"
  fi
  FAKE_GPU_BIN=$dir
}

# ---------------------------------------------------------------- certificates (as up.sh)
mkcert() {
  local n=$1 cn=$2 o=$3 eku=$4 san=${5:-} subj
  subj="/CN=$cn"; [ -z "$o" ] || subj="/O=$o$subj"
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$n.key" 2>/dev/null
  openssl req -new -key "$PKI/$n.key" -subj "$subj" -out "$PKI/$n.csr" 2>/dev/null
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [ -z "$san" ] || echo "subjectAltName=$san"
  } >"$PKI/$n.ext"
  openssl x509 -req -in "$PKI/$n.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 30 -sha256 -extfile "$PKI/$n.ext" -out "$PKI/$n.crt" 2>/dev/null
  rm -f "$PKI/$n.csr" "$PKI/$n.ext"
}

kubeconfig() {
  cat >"$2" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: ds-platform-ci
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
- name: $1
  user:
    client-certificate-data: $(base64 -w0 "$PKI/$1.crt")
    client-key-data: $(base64 -w0 "$PKI/$1.key")
contexts:
- name: ds-platform-ci
  context: {cluster: ds-platform-ci, user: $1}
current-context: ds-platform-ci
EOF
  chmod 600 "$2"
}

# ---------------------------------------------------------------- cgroups
cgroup_root() { echo "/ds-$1"; }
make_cgroups() {
  local root h
  root=$(cgroup_root "$1")
  for h in /sys/fs/cgroup/*/; do
    [ -f "$h/cgroup.procs" ] || continue
    mkdir -p "$h$root"
    # A new cpuset takes no task until it has CPUs and memory nodes: its parent's.
    if [ -f "$h/cpuset.cpus" ]; then
      [ -n "$(cat "$h$root/cpuset.cpus")" ] || cat "$h/cpuset.cpus" >"$h$root/cpuset.cpus"
      [ -n "$(cat "$h$root/cpuset.mems")" ] || cat "$h/cpuset.mems" >"$h$root/cpuset.mems"
    fi
  done
}
remove_cgroups() {
  local root h
  root=$(cgroup_root "$1")
  for h in /sys/fs/cgroup/*/; do
    [ -d "$h$root" ] || continue
    find "$h$root" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
}
cgroup_pids() {
  local root
  root=$(cgroup_root "$1")
  find /sys/fs/cgroup/*"$root" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u || true
}

# ---------------------------------------------------------------- one extra node
node_up() {
  local node=$1 d=$X/$1 labels="" taints="" port=${KUBELET_PORT[$1]} hz=${HEALTHZ_PORT[$1]}
  mkdir -p "$d"/{containerd,kubelet,pod-logs,runc}
  if [ "$node" = "$GPU_NODE" ]; then
    labels="ds-platform.io/gpu-pool=$GPU_POOL,hub.jupyter.org/node-purpose=user"
    taints="nvidia.com/gpu=present:NoSchedule"
  fi
  [ -f "$PKI/$node.crt" ] || mkcert "$node" "system:node:$node" system:nodes clientAuth
  [ -f "$PKI/$node-serving.crt" ] || mkcert "$node-serving" "$node" "" serverAuth "IP:$GATEWAY_IP,DNS:$node"
  kubeconfig "$node" "$d/kubelet.kubeconfig"

  local sock=$d/containerd/containerd.sock
  containerd_config "$d/containerd.toml" "$d/containerd" "$sock" "$d/runc"
  # The kubelet keeps its device-plugin sockets and checkpoint in a fixed directory,
  # /var/lib/kubelet/device-plugins (not under --root-dir), and empties it when it starts. So each
  # extra node's containerd and kubelet run in a mount namespace of their own, where that path is
  # the node's own directory; the first node's stays untouched. Both processes share the namespace,
  # so the volumes the kubelet mounts are the ones containerd gives the containers. The host's
  # root mount is private: nothing mounted in there shows outside, and it all goes with them.
  mkdir -p "$d/device-plugins"
  # shellcheck disable=SC2016  # expanded by that sh, with $0 = the node's directory
  start "$node-containerd" "$CONTAINERD_BIN/containerd" unshare --mount --propagation private \
    sh -c 'mkdir -p /var/lib/kubelet/device-plugins && mount --bind "$0" /var/lib/kubelet/device-plugins && exec "$@"' \
    "$d/device-plugins" "$CONTAINERD_BIN/containerd" --config "$d/containerd.toml"
  wait_until 30 "containerd of $node" "$node-containerd" "$CONTAINERD_BIN/ctr" --address "$sock" version
  local mntns
  mntns=/proc/$(cat "$X/pids/$node-containerd.pid")/ns/mnt

  make_cgroups "$node"
  cat >"$d/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
# Its own cgroup tree: a kubelet removes pod cgroups under its root that are not its pods'.
cgroupRoot: $(cgroup_root "$node")
failSwapOn: false
containerRuntimeEndpoint: unix://$sock
address: $GATEWAY_IP
port: $port
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $hz
tlsCertFile: $PKI/$node-serving.crt
tlsPrivateKeyFile: $PKI/$node-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
clusterDNS: [$DNS_SERVICE_IP]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: $ETC/resolv.conf
podLogsDir: $d/pod-logs
volumePluginDir: $d/kubelet/volume-plugins
serializeImagePulls: false
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
EOF
  if [ -n "$taints" ]; then
    printf 'registerWithTaints:\n- {key: %s, value: %s, effect: %s}\n' \
      "${taints%%=*}" "$(cut -d= -f2 <<<"${taints%%:*}")" "${taints##*:}" >>"$d/kubelet.yaml"
  fi
  start "$node-kubelet" "$K8S_BIN/kubelet" nsenter --mount="$mntns" -- \
    "$K8S_BIN/kubelet" --config="$d/kubelet.yaml" --kubeconfig="$d/kubelet.kubeconfig" \
    --root-dir="$d/kubelet" --hostname-override="$node" --node-ip="$GATEWAY_IP" \
    ${labels:+--node-labels="$labels"}
  wait_until 60 "node $node to register" "$node-kubelet" kc get node "$node"

  if [ "$node" = "$GPU_NODE" ]; then
    # The plugin runs outside the namespace and reaches the kubelet's socket through its real path.
    wait_until 30 "the device-plugin socket of $node" "$node-kubelet" test -S "$d/device-plugins/kubelet.sock"
    start "$node-fake-gpu" "$FAKE_GPU_BIN/fake-gpu" "$FAKE_GPU_BIN/fake-gpu" --device-plugin-dir="$d/device-plugins" \
      --resource=nvidia.com/gpu --count="$GPUS" --node="$node" --nvidia-smi="$FAKE_GPU_BIN/nvidia-smi"
    gpu_capacity() { [ "$(kc get node "$GPU_NODE" -o jsonpath='{.status.allocatable.nvidia\.com/gpu}')" = "$GPUS" ]; }
    wait_until 60 "node $node to offer $GPUS nvidia.com/gpu" "$node-fake-gpu" gpu_capacity
  fi
  node_ready() { [ "$(kc get node "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]; }
  wait_until 90 "node $node Ready" "$node-kubelet" node_ready "$node"
}

node_down() {
  local node=$1 d=$X/$1 sock left t
  sock=$d/containerd/containerd.sock
  stop "$node-fake-gpu"
  # The node's pods first, through its kubelet (so the CNI releases their addresses), bounded.
  if alive "$node-kubelet" && kc get node "$node" >/dev/null 2>&1; then
    kc delete pods --all-namespaces --field-selector "spec.nodeName=$node" --grace-period=1 \
      --wait=true --timeout=60s >/dev/null 2>&1 || true
  fi
  stop "$node-kubelet"
  if alive "$node-containerd"; then
    for t in $(ctr_of "$node" tasks ls -q 2>/dev/null); do
      ctr_of "$node" tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true
      for _ in $(seq 1 20); do ctr_of "$node" tasks delete "$t" >/dev/null 2>&1 && break; sleep 0.5; done
    done
  fi
  left=$(cgroup_pids "$node")
  # shellcheck disable=SC2086
  if [ -n "$left" ]; then
    kill -KILL $left 2>/dev/null || true
    log "killed $(wc -w <<<"$left") leftover process(es) of $node"
  fi
  stop "$node-containerd"
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/exe" 2>/dev/null)" = "$CONTAINERD_BIN/containerd-shim-runc-v2" ] || continue
    tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$sock" || continue
    if kill -KILL "${p#/proc/}" 2>/dev/null; then log "killed leftover shim ${p#/proc/}"; fi
  done
  if [ -d "$d" ]; then
    { findmnt -rn -o TARGET | grep -F -- "$d/" || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  fi
  remove_cgroups "$node"
  kc delete node "$node" --ignore-not-found --timeout=30s >/dev/null 2>&1 || true
  rm -f "$PKI/$node".{crt,key} "$PKI/$node-serving".{crt,key}
  rm -rf "$d"
}

# ---------------------------------------------------------------- the shared (RWX) class
shared_up() {
  local base_ref
  base_ref=$(sed -n 's/^BASE_REF=//p' "$STATE/images.env")
  [ -n "$base_ref" ] || die "$STATE/images.env names no BASE_REF"
  mkdir -p "$X/shared"
  kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: $SHARED_NS}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: shared-path-helper, namespace: $SHARED_NS}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: shared-path-config, namespace: $SHARED_NS}
data:
  # One directory of this machine, the same on every node: volumes any pod on any node can share.
  config.json: |-
    {"sharedFileSystemPath": "$X/shared"}
  setup: |-
    #!/bin/sh
    set -eu
    mkdir -m 0777 -p "\$VOL_DIR"
  teardown: |-
    #!/bin/sh
    set -eu
    rm -rf "\$VOL_DIR"
  helperPod.yaml: |-
    apiVersion: v1
    kind: Pod
    metadata:
      name: helper-pod
    spec:
      containers:
      - name: helper-pod
        image: $base_ref
        imagePullPolicy: IfNotPresent
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: $SHARED_CLASS}
provisioner: $SHARED_PROVISIONER
volumeBindingMode: Immediate
reclaimPolicy: Delete
EOF
  start shared-path-provisioner "$LPP_BIN/local-path-provisioner" "$LPP_BIN/local-path-provisioner" start \
    --kubeconfig="$ETC/local-path.kubeconfig" --namespace="$SHARED_NS" --configmap-name=shared-path-config \
    --service-account-name=shared-path-helper --helper-image="$base_ref" --provisioner-name="$SHARED_PROVISIONER"
}

shared_down() {
  # Claims of the class go first (their volumes are deleted by the provisioner while it runs).
  if kc get storageclass "$SHARED_CLASS" >/dev/null 2>&1 && alive shared-path-provisioner; then
    local pvs
    pvs=$(kc get pv -o jsonpath="{range .items[?(@.spec.storageClassName==\"$SHARED_CLASS\")]}{.metadata.name}{\"\\n\"}{end}" 2>/dev/null || true)
    [ -z "$pvs" ] || log "volumes of class $SHARED_CLASS still there: $(tr '\n' ' ' <<<"$pvs")(their claims outlived this run)"
  fi
  stop shared-path-provisioner
  kc delete storageclass "$SHARED_CLASS" --ignore-not-found --timeout=30s >/dev/null 2>&1 || true
  kc delete namespace "$SHARED_NS" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  rm -rf "$X/shared"
}

# ---------------------------------------------------------------- watchdog
# down.sh knows nothing of the extras: if the cluster is taken down while they run (down.sh alone,
# or an e2e run's clean-up without "extras.sh down"), the watchdog stops them as soon as the first
# node's kubelet is gone (down.sh stops it first), before down.sh removes the state directory. It
# keeps the recorded PIDs in memory, since the files go with that directory, and calls no API.
declare -A WATCHED_PID=() WATCHED_EXE=()
remember() {
  local f name
  for f in "$X"/pids/*.pid; do
    [ -f "$f" ] || continue
    name=$(basename "$f" .pid)
    [ "$name" = watchdog ] && continue
    WATCHED_PID[$name]=$(cat "$f" 2>/dev/null || true)
    WATCHED_EXE[$name]=$(cat "$X/pids/$name.exe" 2>/dev/null || true)
  done
}
kill_remembered() {
  local name pid
  for name in "$@"; do
    pid=${WATCHED_PID[$name]:-}
    if [ -z "$pid" ] || [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" != "${WATCHED_EXE[$name]}" ]; then continue; fi
    kill -KILL "$pid" 2>/dev/null || true
  done
}
cmd_watch() {
  local main_pid main_exe n left
  main_pid=$(cat "$STATE/pids/kubelet.pid") main_exe=$(cat "$STATE/pids/kubelet.exe")
  while [ "$(readlink "/proc/$main_pid/exe" 2>/dev/null)" = "$main_exe" ]; do
    # Stopped by "extras.sh down": nothing to do.
    [ "$(cat "$X/pids/watchdog.pid" 2>/dev/null)" = "$$" ] || exit 0
    remember
    sleep 1
  done
  remember
  echo "extras.sh watch: the cluster's kubelet is gone: stopping the extras" >&2
  kill_remembered shared-path-provisioner "$GPU_NODE-fake-gpu" "$GPU_NODE-kubelet" "$WORKER_NODE-kubelet"
  kill_remembered "$GPU_NODE-containerd" "$WORKER_NODE-containerd"
  for n in "$GPU_NODE" "$WORKER_NODE"; do
    left=$(cgroup_pids "$n")
    # shellcheck disable=SC2086
    [ -z "$left" ] || kill -KILL $left 2>/dev/null || true
  done
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/exe" 2>/dev/null)" = "$CONTAINERD_BIN/containerd-shim-runc-v2" ] || continue
    tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$X/" || continue
    kill -KILL "${p#/proc/}" 2>/dev/null || true
  done
  sleep 1
  for n in "$GPU_NODE" "$WORKER_NODE"; do remove_cgroups "$n"; done
  rm -rf "$X" 2>/dev/null || true
}

# ---------------------------------------------------------------- commands
cmd_up() {
  if ! [ -f "$STATE/up.done" ] || ! kc get --raw=/readyz >/dev/null 2>&1; then
    die "the cluster is not up: run bash $CLUSTER_DIR/up.sh first"
  fi
  mkdir -p "$X"/{pids,logs}
  build_fake_gpu
  local n t0
  for n in $(nodes); do
    t0=$(date +%s)
    node_up "$n"
    log "node $n Ready in $(( $(date +%s) - t0 ))s"
  done
  shared_up
  if ! [ "$(readlink "/proc/$(cat "$X/pids/watchdog.pid" 2>/dev/null)/exe" 2>/dev/null)" = "$(readlink -f "$BASH")" ]; then
    setsid "$BASH" "$CLUSTER_DIR/extras.sh" watch >>"$X/logs/watchdog.log" 2>&1 </dev/null &
    echo "$!" >"$X/pids/watchdog.pid"
  fi
  # The helper image, on every extra node before a claim needs it there.
  cmd_pull "$(sed -n 's/^BASE_REF=//p' "$STATE/images.env")" >/dev/null
  log "up: nodes $(nodes | tr '\n' ' ')(GPU pool $GPU_POOL, $GPUS fake nvidia.com/gpu), StorageClass $SHARED_CLASS (ReadWriteMany)"
  nodes
}

# cmd_pull REF...: each image into each extra node's runtime, from the local registry (as the
# node's own pulls, through the registry host configuration of the first node).
cmd_pull() {
  local n ref
  for n in $(nodes); do
    alive "$n-containerd" || die "node $n is not up"
    for ref in "$@"; do
      ctr_of "$n" images pull --local --hosts-dir "$STATE/containerd/certs.d" "$ref" >"$X/logs/pull.log" 2>&1 \
        || die "pulling $ref into $n failed" pull
      log "pulled $ref into $n"
    done
  done
}

cmd_status() {
  local n bad=0
  for n in $(nodes); do
    if [ "$(kc get node "$n" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]; then
      echo "PASS: node $n Ready"
    else
      echo "FAIL: node $n is not Ready"; bad=1
    fi
  done
  if [ "$(kc get node "$GPU_NODE" -o jsonpath='{.status.allocatable.nvidia\.com/gpu}' 2>/dev/null)" = "$GPUS" ]; then
    echo "PASS: node $GPU_NODE offers $GPUS nvidia.com/gpu"
  else
    echo "FAIL: node $GPU_NODE does not offer $GPUS nvidia.com/gpu"; bad=1
  fi
  if alive shared-path-provisioner && kc get storageclass "$SHARED_CLASS" >/dev/null 2>&1; then
    echo "PASS: StorageClass $SHARED_CLASS and its provisioner"
  else
    echo "FAIL: StorageClass $SHARED_CLASS or its provisioner is missing"; bad=1
  fi
  return "$bad"
}

cmd_down() {
  local n
  [ -d "$X" ] || { log "nothing to remove"; return 0; }
  local wd
  wd=$(cat "$X/pids/watchdog.pid" 2>/dev/null || true)
  rm -f "$X/pids/watchdog.pid"
  [ -z "$wd" ] || kill "$wd" 2>/dev/null || true
  shared_down
  for n in "$GPU_NODE" "$WORKER_NODE"; do
    [ -d "$X/$n" ] || [ -f "$X/pids/$n-kubelet.pid" ] || continue
    node_down "$n"
    log "removed node $n"
  done
  rm -rf "$X"
  log "down"
}

case "${1:-}" in
  up) cmd_up ;;
  pull) shift; cmd_pull "$@" ;;
  status) cmd_status ;;
  down) cmd_down ;;
  # exit here: bash reads a script as it runs, and this one may have been edited meanwhile.
  watch) cmd_watch; exit 0 ;;
  *) echo "usage: $0 up|pull REF...|status|down" >&2; exit 2 ;;
esac
