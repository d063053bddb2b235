#!/usr/bin/env bash
# Stops the cluster up.sh started and removes everything it left: its
# processes (by recorded PID, never by name: docker's own containerd runs on
# this machine too), the pods' containers, mounts, cgroups, the bridge and
# veths, the iptables rules/chains and ipsets, sysctls, and the state dir.
# The build cache is kept. Idempotent: safe to run when nothing is up.
# shellcheck source-path=SCRIPTDIR
set -uo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

log() { echo "down.sh: $*" >&2; }
CTR=("$CONTAINERD_BIN/ctr" --address "$CONTAINERD_SOCK" --namespace k8s.io)

pid_of() {
  local pid exe
  pid=$(cat "$STATE/pids/$1.pid" 2>/dev/null) || return 1
  exe=$(cat "$STATE/pids/$1.exe" 2>/dev/null) || return 1
  # Only a PID still running the binary we started (PIDs get reused).
  [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$exe" ] || return 1
  echo "$pid"
}

running() { [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# stop NAME...: SIGTERM to all, up to 15 s for them to exit, then SIGKILL.
stop() {
  local n pid i names=() pids=()
  for n in "$@"; do
    pid=$(pid_of "$n") || continue
    kill -TERM "$pid" 2>/dev/null
    names+=("$n"); pids+=("$pid")
  done
  for i in "${!pids[@]}"; do
    for _ in $(seq 1 60); do
      running "${pids[$i]}" || break
      sleep 0.25
    done
    if running "${pids[$i]}"; then
      kill -KILL "${pids[$i]}" 2>/dev/null
      log "killed ${names[$i]} (${pids[$i]})"
    else
      log "stopped ${names[$i]} (${pids[$i]})"
    fi
  done
}

# 1. The node agent first, so nothing restarts the pods' containers.
stop local-path-provisioner kubelet

# 2. The pods' containers, through our own containerd while it still runs.
if pid_of containerd >/dev/null; then
  tasks=$("${CTR[@]}" tasks ls -q 2>/dev/null)
  for t in $tasks; do "${CTR[@]}" tasks kill -s SIGKILL "$t" >/dev/null 2>&1; done
  for _ in $(seq 1 40); do
    "${CTR[@]}" tasks ls 2>/dev/null | awk 'NR > 1 && $3 != "STOPPED"' | grep -q . || break
    sleep 0.25
  done
  for t in $tasks; do "${CTR[@]}" tasks delete --force "$t" >/dev/null 2>&1; done
  [ -z "$tasks" ] || log "killed $(wc -w <<<"$tasks") pod container(s)"
fi

# 3. Whatever still runs in the pods' cgroups (if containerd had died): the
# cgroup, not a process name, says these are ours.
pod_pids() { cat /sys/fs/cgroup/*/kubepods/cgroup.procs /sys/fs/cgroup/*/kubepods/*/cgroup.procs \
  /sys/fs/cgroup/*/kubepods/*/*/cgroup.procs /sys/fs/cgroup/*/kubepods/*/*/*/cgroup.procs 2>/dev/null | sort -u; }
left=$(pod_pids)
if [ -n "$left" ]; then
  # shellcheck disable=SC2086
  kill -KILL $left 2>/dev/null
  log "killed $(wc -w <<<"$left") leftover pod process(es)"
fi

# 4. The host processes, in reverse order of start.
stop kube-router kube-proxy containerd kube-scheduler kube-controller-manager apiserver-forward
stop kube-apiserver
stop etcd registry
# Shims of our containerd (identified by our binary and our socket) that
# outlived it.
for d in /proc/[0-9]*; do
  [ "$(readlink "$d/exe" 2>/dev/null)" = "$CONTAINERD_BIN/containerd-shim-runc-v2" ] || continue
  tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -qF -- "$CONTAINERD_SOCK" || continue
  kill -KILL "${d#/proc/}" 2>/dev/null && log "killed leftover shim ${d#/proc/}"
done

# 5. Service and policy rules: kube-proxy's own cleanup; kube-router's
# NetworkPolicy chains and ipsets (its --cleanup-config also flushes every IPVS
# service on the host, so it only runs when no IPVS service exists).
if [ -x "$K8S_BIN/kube-proxy" ] && iptables-save 2>/dev/null | grep -q '^:KUBE-'; then
  "$K8S_BIN/kube-proxy" --cleanup >/dev/null 2>&1 && log "kube-proxy --cleanup done"
fi
if [ -x "$KUBE_ROUTER_BIN/kube-router" ] && iptables-save 2>/dev/null | grep -qE '^:KUBE-(ROUTER|POD-FW|NWPLCY)'; then
  if [ "$(wc -l </proc/net/ip_vs 2>/dev/null || echo 0)" -le 3 ]; then
    "$KUBE_ROUTER_BIN/kube-router" --cleanup-config >/dev/null 2>&1 && log "kube-router --cleanup-config done"
  fi
fi
# del_chains TABLE REGEX: removes every jump to and every chain matching REGEX.
del_chains() {
  local table=$1 re=$2 rule chain
  iptables -t "$table" -S 2>/dev/null | grep -E -- "^-A .* -j ($re)( |\$)" | while read -r rule; do
    # iptables -S quotes comments the way the shell does: eval re-reads them.
    eval "iptables -t $table ${rule/#-A/-D}" 2>/dev/null
  done
  for chain in $(iptables -t "$table" -S 2>/dev/null | sed -n 's/^-N //p' | grep -E -- "^($re)\$"); do
    iptables -t "$table" -F "$chain" 2>/dev/null
  done
  for chain in $(iptables -t "$table" -S 2>/dev/null | sed -n 's/^-N //p' | grep -E -- "^($re)\$"); do
    iptables -t "$table" -X "$chain" 2>/dev/null
  done
}
# Ours, kube-router's policy chains, the CNI portmap plugin's chains, and any
# KUBE- chain kube-proxy's cleanup left (no other Kubernetes runs here).
del_chains mangle "$EGRESS_CHAIN|KUBE-.*"
del_chains filter "$FWD_CHAIN|KUBE-.*"
del_chains nat "KUBE-.*|CNI-.*"
for s in $(ipset list -n 2>/dev/null | grep -E '^(KUBE-|kube-router)'); do
  ipset destroy "$s" 2>/dev/null
done

# 6. Mounts under the state dir (netns, pod volumes, overlay snapshots), deepest first.
if [ -d "$STATE" ]; then
  findmnt -rn -o TARGET | grep -F -- "$STATE/" | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
fi

# 7. The pods' cgroups (kubelet's cgroupfs driver makes kubepods/ in every hierarchy).
for root in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
  [ -d "$root" ] || continue
  find "$root" -depth -type d -exec rmdir {} \; 2>/dev/null
done

# 8. Network: veths on the bridge (their pods' netns are gone), the bridge.
if ip link show "$BRIDGE" >/dev/null 2>&1; then
  for v in $(ip -o link show master "$BRIDGE" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
    ip link del "$v" 2>/dev/null
  done
  ip link del "$BRIDGE" && log "removed bridge $BRIDGE"
fi
if [ -f "$STATE/sysctl.saved" ]; then
  while IFS='=' read -r k v; do sysctl -qw "$k=$v"; done <"$STATE/sysctl.saved"
fi

# 9. Files the kubelet and CNI write outside the state dir.
for l in /var/log/containers/*; do
  [ -L "$l" ] && [[ $(readlink "$l") == "$STATE/"* ]] && rm -f "$l"
done
# libcni's result cache (only this cluster's containerd uses CNI here).
rm -f /var/lib/cni/results/dsk-pods-* /var/lib/cni/results/cni-loopback-* 2>/dev/null
# Directories up.sh found missing (so the kubelet or CNI made them), if empty.
if [ -f "$STATE/created-dirs" ]; then
  while read -r d; do rmdir "$d" 2>/dev/null; done <"$STATE/created-dirs"
fi

# 10. The images up.sh tagged in docker (the base image itself stays).
if [ -x "$DOCKER" ] && "$DOCKER" info >/dev/null 2>&1; then
  for i in "$PAUSE_IMAGE" "$REGISTRY_BASE_IMAGE" "$COREDNS_IMAGE" "ds-platform/pause:$PAUSE_VERSION" "ds-platform/coredns:$COREDNS_VERSION"; do
    "$DOCKER" image rm "$i" >/dev/null 2>&1
  done
fi

if [ -d "$STATE" ]; then
  rm -rf "$STATE" || { log "FAILED: could not remove $STATE (still mounted?)"; exit 1; }
  log "removed $STATE"
fi
log "cluster down"
