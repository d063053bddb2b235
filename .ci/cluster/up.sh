#!/usr/bin/env bash
# Brings up a real single-node Kubernetes cluster from the binaries build.sh
# cached: every component is a host process (setsid), its PID and log under
# the state dir ${DS_CLUSTER_STATE:-/run/ds-platform-cluster}. Servers listen on
# 127.0.0.1 or on the bridge this script creates; pods cannot route off the
# machine. Safe to call when the cluster is already up (it only reports).
# Ends by printing the admin kubeconfig's path (export KUBECONFIG=<it>).
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T0=$(date +%s)
PKI=$STATE/pki
ETC=$STATE/etc

log() { echo "up.sh: $*" >&2; }
# die REASON [COMPONENT]: one line saying why, then the tail of that component's log.
die() {
  echo "up.sh: FAILED: $1" >&2
  if [ -n "${2:-}" ] && [ -f "$STATE/logs/$2.log" ]; then
    echo "---- last lines of $STATE/logs/$2.log" >&2
    tail -n 20 "$STATE/logs/$2.log" | cut -c1-400 >&2
  fi
  echo "up.sh: the partial cluster is still there for inspection; remove it with: bash $CLUSTER_DIR/down.sh" >&2
  exit 1
}

# ---------------------------------------------------------------- processes
# alive NAME: the recorded PID runs the recorded executable (not a reused PID).
alive() {
  local pid exe
  pid=$(cat "$STATE/pids/$1.pid" 2>/dev/null) || return 1
  exe=$(cat "$STATE/pids/$1.exe" 2>/dev/null) || return 1
  [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$exe" ]
}

# start NAME BINARY ARGS...: a detached host process without the proxy
# variables (every address the cluster talks to is on this machine).
start() {
  local name=$1; shift
  setsid env -u HTTP_PROXY -u HTTPS_PROXY -u http_proxy -u https_proxy -u ALL_PROXY -u all_proxy \
    -u NO_PROXY -u no_proxy PATH="$CONTAINERD_BIN:$PATH" \
    "$@" >"$STATE/logs/$name.log" 2>&1 </dev/null &
  echo "$!" >"$STATE/pids/$name.pid"
  readlink -f "$1" >"$STATE/pids/$name.exe"
}

# wait_until SECONDS WHAT COMPONENT COMMAND...: polls COMMAND; fails early if
# the component's process died.
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

port_free() { ! ss -Hltn "sport = :$2" | awk '{print $4}' | grep -qE "^(\\[?::\\]?|0\\.0\\.0\\.0|\\*|$1):$2\$"; }

# ---------------------------------------------------------------- already up?
if [ -f "$STATE/up.done" ]; then
  all=1
  for p in "$STATE"/pids/*.pid; do
    alive "$(basename "$p" .pid)" || { all=0; break; }
  done
  if [ "$all" = 1 ] && kc get --raw=/readyz >/dev/null 2>&1; then
    log "cluster already up (state: $STATE)"
    echo "export KUBECONFIG=$STATE/kubeconfig"
    exit 0
  fi
fi
if [ -e "$STATE" ] || ip link show "$BRIDGE" >/dev/null 2>&1; then
  log "a partial or dead cluster is present: removing it first"
  bash "$CLUSTER_DIR/down.sh" >&2
fi

# ---------------------------------------------------------------- prerequisites
for b in "$K8S_BIN/kube-apiserver" "$K8S_BIN/kubelet" "$K8S_BIN/kubectl" "$ETCD_BIN/etcd" \
         "$CONTAINERD_BIN/containerd" "$RUNC_BIN/runc" "$CNI_BIN/bridge" "$COREDNS_BIN/coredns" \
         "$KUBE_ROUTER_BIN/kube-router" "$LPP_BIN/local-path-provisioner" "$REGISTRY_BIN/registry" \
         "$PAUSE_BIN/pause"; do
  [ -x "$b" ] || die "$b is missing: run bash $CLUSTER_DIR/build.sh first"
done
ensure_packages >/dev/null 2>&1 || die "could not install the Debian packages the cluster needs"
# shellcheck source=../lib/docker.sh
. "$CLUSTER_DIR/../lib/docker.sh"
ensure_docker || die "the docker engine (used to push the cluster's images) could not be started"
BASE_CACHE_DIR=$CACHE BASE_IMAGE_NAME=$BASE_IMAGE bash "$CLUSTER_DIR/../lib/base-image.sh" >/dev/null \
  || die "the base image $BASE_IMAGE could not be built"
for hp in 127.0.0.1:5000 127.0.0.1:2379 127.0.0.1:2380 127.0.0.1:6443 127.0.0.1:10257 127.0.0.1:10259; do
  port_free "${hp%:*}" "${hp##*:}" || die "port $hp is already in use by another process"
done

mkdir -p "$STATE"/{pids,logs,etc,pki,registry,etcd,kubelet,pod-logs,local-path,cni/net.d,cni/ipam,containerd/certs.d}
chmod 700 "$STATE" "$PKI"
# Host directories the kubelet and libcni create outside the state dir: those
# missing now are removed again by down.sh (deepest first).
for d in /var/lib/cni/results /var/lib/cni /var/log/containers; do
  [ -e "$d" ] || echo "$d" >>"$STATE/created-dirs"
done

# ---------------------------------------------------------------- network
# The bridge pods attach to; its address is the node IP and the gateway.
ip link add "$BRIDGE" type bridge
ip addr add "$GATEWAY_IP/${POD_CIDR#*/}" dev "$BRIDGE"
ip link set "$BRIDGE" up
# Forwarding and bridge netfilter (kube-proxy's DNAT and kube-router's policy
# chains must see bridged pod-to-pod traffic); old values restored by down.sh.
for k in net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables; do
  echo "$k=$(sysctl -n "$k")" >>"$STATE/sysctl.saved"
  sysctl -qw "$k=1"
done
# Pods never leave the machine: anything from the pod CIDR routed out of any
# interface but the bridge is dropped (mangle table: no other component
# reorders it), and there is no MASQUERADE for the pod CIDR.
iptables -t mangle -N "$EGRESS_CHAIN"
iptables -t mangle -A "$EGRESS_CHAIN" -s "$POD_CIDR" ! -o "$BRIDGE" -j DROP
iptables -t mangle -I FORWARD 1 -j "$EGRESS_CHAIN"
# Docker sets the FORWARD policy to DROP: accept pod-to-pod traffic on the
# bridge, appended so kube-router's policy chains (inserted first) decide first.
iptables -N "$FWD_CHAIN"
iptables -A "$FWD_CHAIN" -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
iptables -A FORWARD -j "$FWD_CHAIN"

# ---------------------------------------------------------------- certificates
openssl_q() { openssl "$@" 2>/dev/null; }
openssl_q ecparam -name prime256v1 -genkey -noout -out "$PKI/ca.key"
openssl_q req -x509 -new -key "$PKI/ca.key" -subj "/CN=ds-platform-ci-ca" -days 30 -sha256 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
  -out "$PKI/ca.crt"
# mkcert NAME CN ORG EKU [SANS]: an EC key and a certificate signed by the CA.
mkcert() {
  local n=$1 cn=$2 o=$3 eku=$4 san=${5:-} subj
  subj="/CN=$cn"; [ -z "$o" ] || subj="/O=$o$subj"
  openssl_q ecparam -name prime256v1 -genkey -noout -out "$PKI/$n.key"
  openssl_q req -new -key "$PKI/$n.key" -subj "$subj" -out "$PKI/$n.csr"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [ -z "$san" ] || echo "subjectAltName=$san"
  } >"$PKI/$n.ext"
  openssl_q x509 -req -in "$PKI/$n.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 30 -sha256 -extfile "$PKI/$n.ext" -out "$PKI/$n.crt"
  rm -f "$PKI/$n.csr" "$PKI/$n.ext"
}
mkcert apiserver kube-apiserver "" serverAuth \
  "IP:127.0.0.1,IP:$GATEWAY_IP,IP:$API_SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN"
mkcert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters clientAuth
mkcert admin kubernetes-admin system:masters clientAuth
mkcert controller-manager system:kube-controller-manager "" clientAuth
mkcert scheduler system:kube-scheduler "" clientAuth
mkcert kubelet "system:node:$NODE_NAME" system:nodes clientAuth
mkcert kubelet-serving "$NODE_NAME" "" serverAuth "IP:$GATEWAY_IP,DNS:$NODE_NAME"
mkcert kube-proxy system:kube-proxy "" clientAuth
# Cluster add-ons run as host processes (trusted like the control plane).
mkcert kube-router ds-platform-ci:kube-router system:masters clientAuth
mkcert local-path ds-platform-ci:local-path-provisioner system:masters clientAuth
openssl_q genrsa -out "$PKI/sa.key" 2048
openssl_q rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub"

# kubeconfig NAME FILE: a kubeconfig for the NAME client certificate.
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
kubeconfig admin "$STATE/kubeconfig"
for n in controller-manager scheduler kubelet kube-proxy kube-router local-path; do
  kubeconfig "$n" "$ETC/$n.kubeconfig"
done

# ---------------------------------------------------------------- registry + images
cat >"$ETC/registry.yml" <<EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $STATE/registry}
  delete: {enabled: true}
http:
  addr: $REGISTRY
EOF
OTEL_TRACES_EXPORTER=none start registry "$REGISTRY_BIN/registry" serve "$ETC/registry.yml"
wait_until 30 "the registry on $REGISTRY" registry curl -fsS --noproxy '*' "http://$REGISTRY/v2/"

# push_image LOCAL REMOTE: pushes and prints the remote by digest.
push_image() {
  "$DOCKER" tag "$1" "$2"
  "$DOCKER" push -q "$2" >/dev/null || die "docker push $2 failed"
  "$DOCKER" image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$2" | grep -m1 "^${2%:*}@sha256:"
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$PAUSE_BIN/pause" "$work/pause"
tar -C "$work" -c pause | "$DOCKER" import --change 'ENTRYPOINT ["/pause"]' - "ds-platform/pause:$PAUSE_VERSION" >/dev/null
push_image "ds-platform/pause:$PAUSE_VERSION" "$PAUSE_IMAGE" >/dev/null
BASE_REF=$(push_image "$BASE_IMAGE" "$REGISTRY_BASE_IMAGE")
# CoreDNS image: the base image plus the coredns binary (no builder needed).
cid=$("$DOCKER" create "$BASE_IMAGE" true)
"$DOCKER" cp "$COREDNS_BIN/coredns" "$cid:/coredns" >/dev/null
"$DOCKER" commit --change 'ENTRYPOINT ["/coredns"]' "$cid" "ds-platform/coredns:$COREDNS_VERSION" >/dev/null
"$DOCKER" rm "$cid" >/dev/null
COREDNS_REF=$(push_image "ds-platform/coredns:$COREDNS_VERSION" "$COREDNS_IMAGE")
printf 'BASE_REF=%s\nCOREDNS_REF=%s\n' "$BASE_REF" "$COREDNS_REF" >"$STATE/images.env"
log "images pushed: $PAUSE_IMAGE, $BASE_REF, $COREDNS_REF"

# ---------------------------------------------------------------- control plane
# Plain http on loopback only; fsync off: a throwaway CI cluster.
start etcd "$ETCD_BIN/etcd" --name=default --data-dir="$STATE/etcd" \
  --listen-client-urls=http://127.0.0.1:2379 --advertise-client-urls=http://127.0.0.1:2379 \
  --listen-peer-urls=http://127.0.0.1:2380 --initial-advertise-peer-urls=http://127.0.0.1:2380 \
  --initial-cluster=default=http://127.0.0.1:2380 --unsafe-no-fsync --log-level=warn
wait_until 60 "etcd on 127.0.0.1:2379" etcd curl -fsS --noproxy '*' http://127.0.0.1:2379/health

start kube-apiserver "$K8S_BIN/kube-apiserver" \
  --bind-address=127.0.0.1 --secure-port=6443 --advertise-address="$GATEWAY_IP" \
  --etcd-servers=http://127.0.0.1:2379 \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --client-ca-file="$PKI/ca.crt" --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority="$PKI/ca.crt" --kubelet-preferred-address-types=InternalIP \
  --service-account-issuer="https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
  --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
  --allow-privileged=true --profiling=false
wait_until 90 "kube-apiserver /readyz" kube-apiserver kc get --raw=/readyz
# Pods reach the API through the kubernetes Service, whose endpoint is the
# advertised gateway address: forward gateway:6443 to the loopback apiserver.
start apiserver-forward "$(command -v socat)" \
  "TCP-LISTEN:6443,bind=$GATEWAY_IP,reuseaddr,fork" TCP:127.0.0.1:6443

start kube-controller-manager "$K8S_BIN/kube-controller-manager" \
  --kubeconfig="$ETC/controller-manager.kubeconfig" --bind-address=127.0.0.1 --leader-elect=false \
  --use-service-account-credentials=true --service-account-private-key-file="$PKI/sa.key" \
  --root-ca-file="$PKI/ca.crt" --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
  --allocate-node-cidrs=true --cluster-cidr="$POD_CIDR" --node-cidr-mask-size="${POD_CIDR#*/}" \
  --service-cluster-ip-range="$SERVICE_CIDR" --profiling=false
start kube-scheduler "$K8S_BIN/kube-scheduler" \
  --kubeconfig="$ETC/scheduler.kubeconfig" --bind-address=127.0.0.1 --leader-elect=false --profiling=false

# ---------------------------------------------------------------- node: containerd
C=$STATE/containerd
# Every registry host resolves to the local registry over plain http (its own
# entry for 127.0.0.1:5000, the _default entry for any other name), so no image
# pull ever leaves the machine.
for h in "$REGISTRY" _default; do
  mkdir -p "$C/certs.d/$h"
  cat >"$C/certs.d/$h/hosts.toml" <<EOF
server = "http://$REGISTRY"
[host."http://$REGISTRY"]
  capabilities = ["pull", "resolve"]
EOF
done
containerd_config "$ETC/containerd.toml" "$C" "$CONTAINERD_SOCK" "$STATE/runc"
# Pod network: the bridge above, addresses from the pod CIDR above the gateway.
cat >"$STATE/cni/net.d/10-dsk.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "dsk-pods",
  "plugins": [
    {
      "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$STATE/cni/ipam",
        "ranges": [[{"subnet": "$POD_CIDR", "rangeStart": "${GATEWAY_IP%.*}.10", "gateway": "$GATEWAY_IP"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
start containerd "$CONTAINERD_BIN/containerd" --config "$ETC/containerd.toml"
wait_until 30 "containerd on $CONTAINERD_SOCK" containerd "$CONTAINERD_BIN/ctr" --address "$CONTAINERD_SOCK" version

# ---------------------------------------------------------------- node: kubelet
printf 'nameserver %s\n' "$DNS_SERVICE_IP" >"$ETC/resolv.conf"
cat >"$ETC/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This machine has cgroup v1, which kubelet 1.35 refuses unless told.
failCgroupV1: false
cgroupDriver: cgroupfs
failSwapOn: false
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
address: $GATEWAY_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
clusterDNS: [$DNS_SERVICE_IP]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: $ETC/resolv.conf
podLogsDir: $STATE/pod-logs
volumePluginDir: $STATE/kubelet/volume-plugins
serializeImagePulls: false
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
EOF
start kubelet "$K8S_BIN/kubelet" --config="$ETC/kubelet.yaml" --kubeconfig="$ETC/kubelet.kubeconfig" \
  --root-dir="$STATE/kubelet" --hostname-override="$NODE_NAME" --node-ip="$GATEWAY_IP"
wait_until 60 "node $NODE_NAME to register" kubelet kc get node "$NODE_NAME"

# ---------------------------------------------------------------- node: services + policy
cat >"$ETC/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: $ETC/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
clusterCIDR: $POD_CIDR
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# NodePorts only on the node (bridge) address, never on the host's interfaces.
nodePortAddresses: ["$GATEWAY_IP/32"]
# Zero: leave the host's conntrack sysctls as they are.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {minSyncPeriod: 1s, syncPeriod: 30s}
EOF
start kube-proxy "$K8S_BIN/kube-proxy" --config="$ETC/kube-proxy.yaml"
# kube-router: only the NetworkPolicy firewall (no routing, no service proxy,
# no CNI config of its own, no health/metrics listeners; it logs the disabled
# metrics port as an error, which is expected).
start kube-router "$KUBE_ROUTER_BIN/kube-router" --kubeconfig="$ETC/kube-router.kubeconfig" \
  --hostname-override="$NODE_NAME" --run-firewall=true --run-router=false --run-service-proxy=false \
  --enable-cni=false --health-port=0 --metrics-port=0 --service-cluster-ip-range="$SERVICE_CIDR"

# ---------------------------------------------------------------- add-ons
kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: ServiceAccount
metadata: {name: coredns, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:coredns"}
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
subjects:
- {kind: ServiceAccount, name: coredns, namespace: kube-system}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  # Only the cluster's own names: no forward plugin, so no query leaves the machine.
  Corefile: |
    .:53 {
        errors
        health {
            lameduck 5s
        }
        ready
        kubernetes $CLUSTER_DOMAIN in-addr.arpa ip6.arpa {
            pods insecure
            fallthrough in-addr.arpa ip6.arpa
            ttl 30
        }
        cache 30
        loop
        reload
        loadbalance
    }
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  replicas: 1
  selector:
    matchLabels: {k8s-app: kube-dns}
  template:
    metadata:
      labels: {k8s-app: kube-dns}
    spec:
      serviceAccountName: coredns
      priorityClassName: system-cluster-critical
      dnsPolicy: Default
      tolerations:
      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoSchedule}
      containers:
      - name: coredns
        image: $COREDNS_REF
        args: ["-conf", "/etc/coredns/Corefile"]
        ports:
        - {name: dns, containerPort: 53, protocol: UDP}
        - {name: dns-tcp, containerPort: 53, protocol: TCP}
        - {name: metrics, containerPort: 9153, protocol: TCP}
        resources:
          requests: {cpu: 50m, memory: 70Mi}
          limits: {memory: 170Mi}
        volumeMounts:
        - {name: config, mountPath: /etc/coredns, readOnly: true}
        livenessProbe:
          httpGet: {path: /health, port: 8080}
          initialDelaySeconds: 10
        readinessProbe:
          httpGet: {path: /ready, port: 8181}
          periodSeconds: 2
      volumes:
      - name: config
        configMap: {name: coredns}
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns, kubernetes.io/name: CoreDNS}
spec:
  clusterIP: $DNS_SERVICE_IP
  selector: {k8s-app: kube-dns}
  ports:
  - {name: dns, port: 53, targetPort: 53, protocol: UDP}
  - {name: dns-tcp, port: 53, targetPort: 53, protocol: TCP}
  - {name: metrics, port: 9153, targetPort: 9153, protocol: TCP}
---
apiVersion: v1
kind: Namespace
metadata: {name: local-path-storage}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: local-path-provisioner-service-account, namespace: local-path-storage}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: local-path-config, namespace: local-path-storage}
data:
  config.json: |-
    {"nodePathMap": [{"node": "DEFAULT_PATH_FOR_NON_LISTED_NODES", "paths": ["$STATE/local-path"]}]}
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
      priorityClassName: system-node-critical
      tolerations:
      - {key: node.kubernetes.io/disk-pressure, operator: Exists, effect: NoSchedule}
      containers:
      - name: helper-pod
        image: $BASE_REF
        imagePullPolicy: IfNotPresent
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: rancher.io/local-path
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
EOF
# Out of cluster with its own kubeconfig; helper pods use the base image.
start local-path-provisioner "$LPP_BIN/local-path-provisioner" start \
  --kubeconfig="$ETC/local-path.kubeconfig" --namespace=local-path-storage \
  --helper-image="$BASE_REF" --provisioner-name=rancher.io/local-path

# ---------------------------------------------------------------- readiness
node_ready() { [ "$(kc get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]; }
wait_until 90 "node $NODE_NAME Ready" kubelet node_ready
wait_until 90 "the CoreDNS deployment to be available" kubelet \
  kc -n kube-system wait --for=condition=Available deployment/coredns --timeout=5s
wait_until 60 "the default ServiceAccount" kube-controller-manager kc -n default get serviceaccount default

# A throwaway pod resolves the API service's name through kube-dns, and
# mounts a PVC of the default class (so it must bind).
kc delete namespace ds-cluster-up --ignore-not-found --wait=true >/dev/null
kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: ds-cluster-up}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: probe, namespace: ds-cluster-up}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 16Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: probe, namespace: ds-cluster-up}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: probe
    image: $BASE_REF
    command: ["sh", "-c", "until getent hosts kubernetes.default.svc.$CLUSTER_DOMAIN; do sleep 1; done; echo ok > /data/ok"]
    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: probe}
EOF
pvc_bound() { [ "$(kc -n ds-cluster-up get pvc probe -o jsonpath='{.status.phase}')" = Bound ]; }
wait_until 90 "the probe PVC to bind (local-path-provisioner)" local-path-provisioner pvc_bound
pod_done() { [ "$(kc -n ds-cluster-up get pod probe -o jsonpath='{.status.phase}')" = Succeeded ]; }
wait_until 90 "a pod to resolve kubernetes.default.svc.$CLUSTER_DOMAIN via CoreDNS" kubelet pod_done
kc delete namespace ds-cluster-up --wait=false >/dev/null

touch "$STATE/up.done"
log "cluster up in $(( $(date +%s) - T0 ))s: node $NODE_NAME ($GATEWAY_IP on $BRIDGE), pods $POD_CIDR, services $SERVICE_CIDR, registry $REGISTRY"
log "kubeconfig: $STATE/kubeconfig"
echo "export KUBECONFIG=$STATE/kubeconfig"
