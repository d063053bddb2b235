#!/usr/bin/env bash
# Smoke test of the running CI cluster (bring it up with up.sh first): a pod
# from an image pushed to the local registry by digest, DNS through kube-dns,
# a PVC of the default class, Service routing, and NetworkPolicy enforcement
# (a default-deny really blocks a pod-to-pod connection; an allow rule
# reopens it). Prints PASS:/FAIL: lines and "N passed, N failed".
# shellcheck disable=SC2317  # helpers run through wait_for and the EXIT trap
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
# shellcheck source=../lib/checks.sh
. "$HERE/../lib/checks.sh"

NS=ds-cluster-smoke
T0=$(now)

if ! kc get --raw=/readyz >/dev/null 2>&1; then
  fail "cluster is not up (no ready apiserver behind $STATE/kubeconfig): run bash $HERE/up.sh"
  finish
fi

# wait_for SECONDS COMMAND...: true once COMMAND succeeds, false on timeout.
wait_for() {
  local end=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || return 1
    sleep 1
  done
}
phase() { kc -n "$NS" get "$1" -o jsonpath='{.status.phase}' 2>/dev/null; }
is_phase() { [ "$(phase "$1")" = "$2" ]; }
ready() { kc -n "$NS" wait --for=condition=Ready "pod/$1" --timeout=2s; }
# connect FROM_POD HOST PORT: one bounded TCP exchange from inside a pod.
connect() {
  timeout 15 "$KUBECTL" --kubeconfig "$STATE/kubeconfig" -n "$NS" exec "$1" -- \
    timeout 3 bash -c "exec 3<>/dev/tcp/$2/$3 && head -n1 <&3" 2>/dev/null | grep -qx pong
}
# blocked_within SECONDS FROM HOST PORT: the connection fails (policies are
# programmed asynchronously, so retry until it does or time runs out).
blocked_within() {
  local end=$(( $(date +%s) + $1 ))
  while connect "$2" "$3" "$4"; do
    [ "$(date +%s)" -lt "$end" ] || return 1
    sleep 1
  done
}
cleanup() { kc delete namespace "$NS" --wait=false >/dev/null 2>&1 || true; }
trap cleanup EXIT

kc delete namespace "$NS" --ignore-not-found --wait=true >/dev/null
kc create namespace "$NS" >/dev/null

# ---- 1. an image pushed to the local registry, run by digest
# shellcheck source=/dev/null
. "$STATE/images.env"
tag="$REGISTRY/ds-platform/smoke:$(date +%s)"
ref=""
if "$DOCKER" tag "$BASE_IMAGE" "$tag" && "$DOCKER" push -q "$tag" >/dev/null 2>&1; then
  ref=$("$DOCKER" image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$tag" | grep -m1 "^${tag%:*}@sha256:" || true)
  "$DOCKER" image rm "$tag" >/dev/null 2>&1 || true
fi
if [ -n "$ref" ]; then
  pass "docker push to $REGISTRY ($ref)"
else
  fail "docker push to $REGISTRY"
  ref=$BASE_REF
fi

kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: server, namespace: $NS, labels: {app: server}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: server
    image: $ref
    # A one-line TCP server answering "pong" (perl is in the minbase image).
    command:
    - perl
    - -MIO::Socket::INET
    - -e
    - |
      \$s = IO::Socket::INET->new(LocalPort => 8080, Listen => 16, ReuseAddr => 1) or die;
      while (\$c = \$s->accept) { print \$c "pong\\n"; close \$c }
    ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: server, namespace: $NS}
spec:
  selector: {app: server}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: $NS, labels: {app: client}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: client
    image: $ref
    command: ["sleep", "infinity"]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: $NS}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 16Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: writer, namespace: $NS}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: writer
    image: $ref
    command: ["sh", "-c", "echo persisted > /data/file && cat /data/file"]
    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: data}
EOF

if wait_for 120 ready server && wait_for 60 ready client; then
  pass "pods run from $ref"
else
  fail "pods from $ref did not become Ready: $(kc -n "$NS" get pods --no-headers 2>&1 | tr '\n' ';')"
fi

# ---- 2. DNS through the kube-dns Service (a CoreDNS pod)
names=("kubernetes.default.svc.$CLUSTER_DOMAIN" "server.$NS.svc.$CLUSTER_DOMAIN" server)
for n in "${names[@]}"; do
  if out=$(timeout 20 "$KUBECTL" --kubeconfig "$STATE/kubeconfig" -n "$NS" exec client -- getent hosts "$n" 2>&1); then
    pass "DNS: $n -> ${out%% *}"
  else
    fail "DNS: $n did not resolve ($out)"
  fi
done

# ---- 3. a PVC of the default StorageClass binds and is writable
if wait_for 90 is_phase pvc/data Bound && wait_for 60 is_phase pod/writer Succeeded \
   && [ "$(kc -n "$NS" logs writer 2>/dev/null)" = persisted ]; then
  pass "PVC of the default class bound ($(kc -n "$NS" get pvc data -o jsonpath='{.spec.storageClassName}')) and written"
else
  fail "PVC: phase $(phase pvc/data), writer pod $(phase pod/writer)"
fi

# ---- 4. connections between pods, and NetworkPolicy enforcement
server_ip=$(kc -n "$NS" get pod server -o jsonpath='{.status.podIP}')
if wait_for 20 connect client "$server_ip" 8080; then
  pass "no policy: client reaches server pod $server_ip:8080"
else
  fail "no policy: client cannot reach server pod $server_ip:8080"
fi
if wait_for 20 connect client server 80; then
  pass "no policy: client reaches the server Service (kube-proxy)"
else
  fail "no policy: client cannot reach the server Service"
fi
if timeout 15 "$KUBECTL" --kubeconfig "$STATE/kubeconfig" -n "$NS" exec client -- \
     timeout 3 bash -c "exec 3<>/dev/tcp/$API_SERVICE_IP/443" >/dev/null 2>&1; then
  pass "pods reach the API server through the kubernetes Service ($API_SERVICE_IP:443)"
else
  fail "pods cannot reach the API server through $API_SERVICE_IP:443"
fi

kc apply -f - >/dev/null <<EOF
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: $NS}
spec:
  podSelector: {}
  policyTypes: [Ingress]
EOF
if blocked_within 30 client "$server_ip" 8080; then
  pass "default-deny: client -> server pod connection is blocked"
else
  fail "default-deny: client still reaches the server pod after 30s"
fi

kc apply -f - >/dev/null <<EOF
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-client, namespace: $NS}
spec:
  podSelector: {matchLabels: {app: server}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: 8080}]
EOF
if wait_for 30 connect client "$server_ip" 8080; then
  pass "allow rule: client reaches the server again under default-deny"
else
  fail "allow rule: client still blocked 30s after an allow policy"
fi

# ---- 5. pods cannot route off the machine (host-side rule; no probe traffic is sent)
if iptables -t mangle -C "$EGRESS_CHAIN" -s "$POD_CIDR" ! -o "$BRIDGE" -j DROP 2>/dev/null \
   && ! iptables -t nat -S POSTROUTING | grep -F -- "$POD_CIDR" | grep -q MASQUERADE; then
  pass "pod egress off the bridge is dropped and the pod CIDR is not masqueraded"
else
  fail "egress guard: the DROP rule is missing or the pod CIDR is masqueraded"
fi

note "smoke test took $(since "$T0")s"
finish
