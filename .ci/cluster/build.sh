#!/usr/bin/env bash
# Builds every component of the CI cluster from source (the Go module proxy and
# Debian's packages are all this machine can reach) into one persistent cache:
#   ${DS_PLATFORM_CACHE:-/var/cache/ds-platform}/cluster/<component>-<version>/
# A component whose directory carries a .complete stamp is skipped, so a rerun
# with everything cached takes seconds. Prints each component's build time; on
# failure exits 1 with one line naming the component and the reason.
# Usage: build.sh [component ...]   (default: all)
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LOGS=$OUT/logs
# One module and build cache for every Go build under the cache root (shared
# with other builds there), so a partial rebuild only compiles what changed.
export GOMODCACHE=$CACHE/go/mod GOCACHE=$CACHE/go/build
export GOFLAGS="-modcacherw -buildvcs=false -mod=mod" GOTOOLCHAIN=local

log() { echo "build.sh: $*" >&2; }
die() { echo "build.sh: FAILED: $*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || die "Go toolchain not found (need Go >= 1.25 on PATH or at /usr/local/go)"
mkdir -p "$OUT" "$LOGS" "$GOMODCACHE" "$GOCACHE"
ensure_packages || die "could not install the Debian packages the cluster needs (apt-get failed)"

# ---------------------------------------------------------------- helpers
# module_dir MODULE VERSION: downloads a module, prints its module-cache
# directory; on failure prints the proxy's reason (e.g. "not available").
module_dir() {
  local json dir err
  json=$(go mod download -json "$1@$2" 2>&1) || true
  dir=$(sed -n 's/^\t"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    err=$(sed -n 's/^\t"Error": "\(.*\)",\{0,1\}$/\1/p' <<<"$json" | sed 's/\\n\\tserver response: */: /; s/\\n.*//')
    echo "go mod download $1@$2 failed: ${err:-$(tail -n1 <<<"$json")}"
    return 1
  fi
  echo "$dir"
}

# module_src MODULE VERSION DEST: a writable copy of a module's source from the
# module cache. Building inside it keeps the module's own go.mod, go.sum and
# replace directives (which `go install pkg@version` refuses).
module_src() {
  local dir
  dir=$(module_dir "$1" "$2") || { echo "$dir"; return 1; }
  rm -rf "$3"; cp -r "$dir" "$3"; chmod -R u+w "$3"
}

# wrapper_module DIR MODULE@VERSION: a throwaway main module requiring one
# module, for modules whose go.mod replaces to directories outside the module.
wrapper_module() {
  rm -rf "$1"; mkdir -p "$1"
  printf 'module ds-platform-ci/wrapper\n\ngo 1.25.0\n' > "$1/go.mod"
  (cd "$1" && go mod edit -require="$2")
}

# ---------------------------------------------------------------- components
# Kubernetes: a wrapper module requiring k8s.io/kubernetes, with each staging
# module (replaced by ./staging/... in kubernetes' own go.mod, which the
# module zip does not contain) pointed at its published v0 tag instead.
build_kubernetes() {
  local d=$1 src=$1/src mod staging m c p out
  wrapper_module "$src" "k8s.io/kubernetes@$K8S_VERSION"
  out=$(module_dir k8s.io/kubernetes "$K8S_VERSION") || { echo "$out"; return 1; }
  mod="$GOMODCACHE/cache/download/k8s.io/kubernetes/@v/$K8S_VERSION.mod"
  staging=$(awk '$2 == "=>" && $3 ~ /^\.\/staging\// {print $1}' "$mod")
  [ -n "$staging" ] || { echo "no staging modules found in $mod"; return 1; }
  for m in $staging; do
    (cd "$src" && go mod edit -replace="$m=$m@$K8S_STAGING_VERSION")
  done
  local pkgs=()
  for c in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do
    pkgs+=("k8s.io/kubernetes/cmd/$c")
  done
  (cd "$src" && go get "${pkgs[@]/%/@$K8S_VERSION}" && go mod download)
  local maj=${K8S_VERSION#v} min
  min=${maj#*.}; min=${min%%.*}; maj=${maj%%.*}
  # --version must report the real version (the apiserver's discovery too).
  local ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=$maj -X $p.gitMinor=$min"
    ld+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  mkdir -p "$d/bin"
  # One go build for all commands: shared packages compile once, in parallel.
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "$ld" -o "$d/bin/" "${pkgs[@]}")
}

# etcd 3.6: the server module's root package is the etcd command; its go.mod
# replaces api/client with ../ directories, hence the wrapper module.
build_etcd() {
  local d=$1 src=$1/src
  wrapper_module "$src" "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  (cd "$src" && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" && go mod download)
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$d/bin/etcd" go.etcd.io/etcd/server/v3)
}

build_containerd() {
  local d=$1 src=$1/src p=github.com/containerd/containerd/v2
  module_src "$p" "$CONTAINERD_VERSION" "$src"
  # No btrfs/devmapper/zfs snapshotters (cgo, unused: overlayfs is used).
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -tags "no_btrfs no_devmapper no_zfs" \
    -ldflags "-s -w -X $p/version.Version=$CONTAINERD_VERSION -X $p/version.Package=$p" \
    -o "$d/bin/" ./cmd/containerd ./cmd/containerd-shim-runc-v2 ./cmd/ctr)
}

# runc needs cgo (its nsenter C code) and libseccomp for seccomp profiles.
build_runc() {
  local d=$1 src=$1/src
  module_src github.com/opencontainers/runc "$RUNC_VERSION" "$src"
  (cd "$src" && CGO_ENABLED=1 go build -trimpath -tags seccomp \
    -ldflags "-s -w -X main.version=${RUNC_VERSION#v}" -o "$d/bin/runc" .)
}

build_cni_plugins() {
  local d=$1 src=$1/src
  module_src github.com/containernetworking/plugins "$CNI_PLUGINS_VERSION" "$src"
  (cd "$src" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=$CNI_PLUGINS_VERSION" \
    -o "$d/bin/" ./plugins/main/bridge ./plugins/main/loopback ./plugins/ipam/host-local ./plugins/meta/portmap)
}

build_coredns() {
  local d=$1 src=$1/src
  module_src github.com/coredns/coredns "$COREDNS_VERSION" "$src"
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$d/bin/coredns" .)
}

build_kube_router() {
  local d=$1 src=$1/src p=github.com/cloudnativelabs/kube-router
  module_src "$p" "$KUBE_ROUTER_VERSION" "$src"
  (cd "$src" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X $p/pkg/version.Version=$KUBE_ROUTER_VERSION" \
    -o "$d/bin/kube-router" ./cmd/kube-router)
}

build_local_path_provisioner() {
  local d=$1 src=$1/src
  module_src github.com/rancher/local-path-provisioner "$LOCAL_PATH_PROVISIONER_VERSION" "$src"
  (cd "$src" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X main.VERSION=$LOCAL_PATH_PROVISIONER_VERSION" -o "$d/bin/local-path-provisioner" .)
}

build_distribution() {
  local d=$1 src=$1/src p=github.com/distribution/distribution/v3
  module_src "$p" "$DISTRIBUTION_VERSION" "$src"
  (cd "$src" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X $p/version.version=$DISTRIBUTION_VERSION" -o "$d/bin/registry" ./cmd/registry)
}

# The sandbox image's one binary, from kubernetes' own pause.c in the module
# cache (no image registry is reachable to pull registry.k8s.io/pause).
build_pause() {
  local d=$1 dir
  dir=$(module_dir k8s.io/kubernetes "$K8S_VERSION") || { echo "$dir"; return 1; }
  [ -f "$dir/build/pause/linux/pause.c" ] || { echo "pause.c not found in k8s.io/kubernetes@$K8S_VERSION"; return 1; }
  mkdir -p "$d/bin"
  gcc -Os -Wall -Werror -static -DVERSION="v$PAUSE_VERSION" -o "$d/bin/pause" "$dir/build/pause/linux/pause.c"
  strip "$d/bin/pause"
}

# ---------------------------------------------------------------- driver
ALL=(kubernetes etcd containerd runc cni-plugins coredns kube-router local-path-provisioner distribution pause)
declare -A DIR_OF=(
  [kubernetes]=kubernetes-$K8S_VERSION
  [etcd]=etcd-$ETCD_VERSION
  [containerd]=containerd-$CONTAINERD_VERSION
  [runc]=runc-$RUNC_VERSION
  [cni-plugins]=cni-plugins-$CNI_PLUGINS_VERSION
  [coredns]=coredns-$COREDNS_VERSION
  [kube-router]=kube-router-$KUBE_ROUTER_VERSION
  [local-path-provisioner]=local-path-provisioner-$LOCAL_PATH_PROVISIONER_VERSION
  [distribution]=distribution-$DISTRIBUTION_VERSION
  [pause]=pause-$PAUSE_VERSION-$K8S_VERSION
)

want=("$@")
[ ${#want[@]} -gt 0 ] || want=("${ALL[@]}")
total0=$(date +%s)
for c in "${want[@]}"; do
  [ -n "${DIR_OF[$c]:-}" ] || die "unknown component '$c' (known: ${ALL[*]})"
  d=$OUT/${DIR_OF[$c]}
  if [ -e "$d/.complete" ]; then
    log "${DIR_OF[$c]}: cached"
    continue
  fi
  rm -rf "$d"; mkdir -p "$d/bin"
  lf=$LOGS/${DIR_OF[$c]}.log
  log "${DIR_OF[$c]}: building (log: $lf)"
  t0=$(date +%s)
  # A background subshell keeps set -e in force inside the build function
  # (calling it as an `if` condition would switch errexit off).
  ( "build_${c//-/_}" "$d" ) >"$lf" 2>&1 &
  if ! wait "$!"; then
    rm -rf "$d"
    # The last line of a go/gcc failure that is not a continuation, a download
    # note or a blank is usually the reason.
    reason=$(grep -vE '^([[:space:]]|\(|go: downloading|$)' "$lf" | tail -1 || true)
    die "could not build ${DIR_OF[$c]}: ${reason:-no output} (full log: $lf)"
  fi
  # The sources are only needed to build: keep the cache to binaries.
  rm -rf "$d/src"
  touch "$d/.complete"
  log "${DIR_OF[$c]}: built in $(( $(date +%s) - t0 ))s"
done
log "ready in $(( $(date +%s) - total0 ))s: ${want[*]} (under $OUT)"
