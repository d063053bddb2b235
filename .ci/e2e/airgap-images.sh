#!/usr/bin/env bash
# Builds the third-party images that z2jh 4.4.0 runs or that a config value
# switches on, and the platform's in-cluster registry, from package registries
# (PyPI, npm, Debian, Go modules) and our own sources, on the base image of
# .ci/lib/base-image.sh, so no image registry is needed: see images/airgap/README.md.
#
# Each image is tagged ${REGISTRY}/ds-platform-airgap/<name>:<upstream version>.
# BuildKit's cache skips every step whose inputs did not change.
#
# Usage: airgap-images.sh [--push --out FILE] [--only NAME[,NAME...]]
#   (default)   build, then smoke-test each image of DEFAULT (all traffic on 127.0.0.1)
#   --push      also push each image to $REGISTRY and write FILE: a JSON object
#               mapping each image name to its digest reference
#   --only      build and check only the named images (any of ALL: registry, traefik too)
# Ends with "N passed, M failed" and exits non-zero if anything failed.
#
# Env: REGISTRY (127.0.0.1:5000), BASE_IMAGE (default: built by
#      .ci/lib/base-image.sh), BUILD_CA_BUNDLE (CA bundle passed to builds as
#      the "ca" secret; default: the system bundle), KUBE_SCHEDULER_BIN (a
#      kube-scheduler binary; default: the one .ci/cluster/build.sh leaves in
#      ${DS_PLATFORM_CACHE:-/var/cache/ds-platform}/cluster), DOCKER.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=.ci/lib/checks.sh
source "$ROOT/.ci/lib/checks.sh"
# shellcheck source=.ci/lib/docker.sh
source "$ROOT/.ci/lib/docker.sh"
cd "$ROOT" || exit 1

DOCKER=${DOCKER:-/usr/bin/docker}
REGISTRY=${REGISTRY:-127.0.0.1:5000}
CA_BUNDLE=${BUILD_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
CACHE=${DS_PLATFORM_CACHE:-/var/cache/ds-platform}
export DOCKER_BUILDKIT=1
# The packaged chart whose own hub configuration the hub and proxy images are run with.
CHART_TGZ=${CHART_TGZ:-$ROOT/../shared/charts/jupyterhub-4.4.0.tgz}

# The cluster's Kubernetes version is the user-scheduler's version.
K8S_VERSION=v1.35.4
if [ -f "$ROOT/.ci/cluster/versions.env" ]; then
  K8S_VERSION=$(sed -n 's/^K8S_VERSION=//p' "$ROOT/.ci/cluster/versions.env")
fi

ALL=(hub proxy user-scheduler pause network-tools secret-sync registry traefik)
# What a run without --only builds: all but registry and traefik, whose cold
# builds compile them and their dependencies from Go modules (see
# images/airgap/README.md).
DEFAULT=(hub proxy user-scheduler pause network-tools secret-sync)
# Upstream version each image replaces (its tag), and the build args that pin it.
declare -A VERSION=(
  [hub]=4.4.0
  [proxy]=5.2.0
  [user-scheduler]=$K8S_VERSION
  [pause]=3.10.1
  [network-tools]=4.4.0
  [registry]=2.8.3
  [secret-sync]=4.4.0
  [traefik]=v3.6.12
)
# The upstream image each one replaces, as z2jh 4.4.0's values.yaml names it.
declare -A UPSTREAM=(
  [hub]=quay.io/jupyterhub/k8s-hub:4.4.0
  [proxy]=quay.io/jupyterhub/configurable-http-proxy:5.2.0
  [user-scheduler]="registry.k8s.io/kube-scheduler (chart pins v1.30.14; ours follows the cluster)"
  [pause]=registry.k8s.io/pause:3.10.1
  [network-tools]=quay.io/jupyterhub/k8s-network-tools:4.4.0
  [registry]="registry:2.8.3 (the platform's registry.image, not the chart's)"
  [secret-sync]=quay.io/jupyterhub/k8s-secret-sync:4.4.0
  [traefik]=traefik:v3.6.12
)
declare -A ARGS=(
  [hub]=""
  [proxy]=""
  [user-scheduler]="KUBE_SCHEDULER_VERSION=$K8S_VERSION"
  [pause]="PAUSE_VERSION=${VERSION[pause]}"
  [network-tools]=""
  [registry]="DISTRIBUTION_VERSION=v${VERSION[registry]}"
  [secret-sync]=""
  [traefik]="TRAEFIK_VERSION=${VERSION[traefik]}"
)

usage() { sed -n '10,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

PUSH=0 OUT="" ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --push) PUSH=1 ;;
    --out) OUT=${2:-}; shift ;;
    --out=*) OUT=${1#--out=} ;;
    --only) ONLY=${2:-}; shift ;;
    --only=*) ONLY=${1#--only=} ;;
    -h|--help) usage; exit 0 ;;
    *) echo "airgap-images.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
if [ "$PUSH" = 1 ] && [ -z "$OUT" ]; then
  echo "airgap-images.sh: --push needs --out FILE (where the digest references go)" >&2
  exit 2
fi
NAMES=("${DEFAULT[@]}")
if [ -n "$ONLY" ]; then
  IFS=, read -r -a NAMES <<<"$ONLY"
  for n in "${NAMES[@]}"; do
    [ -n "${VERSION[$n]+x}" ] || { echo "airgap-images.sh: no image named $n (known: ${ALL[*]})" >&2; exit 2; }
  done
fi
for n in "${ALL[@]}"; do
  if [ -z "$ONLY" ] && [[ " ${DEFAULT[*]} " != *" $n "* ]]; then
    echo "SKIP: $n: not in the default list (its build is long); build it with --only $n"
  fi
done

PREFIX="dsp-airgap-$$"
WORK=$(mktemp -d)
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  remove_containers "$PREFIX"
  "$DOCKER" network rm "$PREFIX-net" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tag_of() { echo "$REGISTRY/ds-platform-airgap/$1:${VERSION[$1]}"; }

ensure_docker || { fail "docker engine could not be started"; finish; }
if [ -z "${BASE_IMAGE:-}" ]; then
  BASE_IMAGE=$(bash "$ROOT/.ci/lib/base-image.sh") || { fail "base image could not be built"; finish; }
fi
note "base image $BASE_IMAGE, registry $REGISTRY"

# Build args common to every image. No revision label: an image whose inputs
# did not change keeps its digest from commit to commit. Proxy variables are
# Docker's predefined build args: RUN steps see them, but they stay out of the
# image's config and history.
COMMON=(--build-arg "BASE_IMAGE=$BASE_IMAGE")
if [ -s "$CA_BUNDLE" ]; then
  COMMON+=(--secret "id=ca,src=$CA_BUNDLE")
fi
for v in HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy; do
  if [ -n "${!v:-}" ]; then COMMON+=(--build-arg "$v"); fi
done

# kube_scheduler_bin: the kube-scheduler binary to package, or nothing.
kube_scheduler_bin() {
  local bin=${KUBE_SCHEDULER_BIN:-$CACHE/cluster/kubernetes-$K8S_VERSION/bin/kube-scheduler}
  if [ -x "$bin" ]; then echo "$bin"; fi
}

# context_of NAME: the build context; for user-scheduler a staged copy holding
# the binary. Empty output: the image cannot be built yet.
context_of() {
  local name=$1 bin
  if [ "$name" != user-scheduler ]; then
    echo "images/airgap/$name"
    return
  fi
  bin=$(kube_scheduler_bin)
  [ -n "$bin" ] || return 0
  mkdir -p "$WORK/user-scheduler"
  cp images/airgap/user-scheduler/Dockerfile "$WORK/user-scheduler/"
  install -m 0755 "$bin" "$WORK/user-scheduler/kube-scheduler"
  echo "$WORK/user-scheduler"
}

# build NAME: builds and tags one image; returns non-zero on failure.
declare -A BUILT=()
build() {
  local name=$1 ctx t0 log=$WORK/build-$1.log a extra=()
  ctx=$(context_of "$name")
  if [ -z "$ctx" ]; then
    echo "SKIP: $name: no kube-scheduler binary yet (looked for ${KUBE_SCHEDULER_BIN:-$CACHE/cluster/kubernetes-$K8S_VERSION/bin/kube-scheduler}; build it with .ci/cluster/build.sh or set KUBE_SCHEDULER_BIN)"
    return 2
  fi
  for a in ${ARGS[$name]}; do extra+=(--build-arg "$a"); done
  t0=$(now)
  if "$DOCKER" build --progress=plain "${COMMON[@]}" "${extra[@]}" -t "$(tag_of "$name")" "$ctx" >"$log" 2>&1; then
    local size
    size=$("$DOCKER" image inspect --format '{{.Size}}' "$(tag_of "$name")")
    if [ "$size" -ge 1000000 ]; then size="$((size / 1000000)) MB"; else size="$((size / 1000)) kB"; fi
    pass "$name: built $(tag_of "$name") in $(since "$t0") s ($size)"
    BUILT[$name]=1
  else
    fail "$name: build failed after $(since "$t0") s; last lines of the build log:"
    tail -n 25 "$log" | sed 's/^/    /'
    return 1
  fi
}

# config NAME GO-TEMPLATE EXPECTED: an image config field has the expected value.
config() {
  local name=$1 got
  got=$("$DOCKER" image inspect --format "$2" "$(tag_of "$name")" 2>&1)
  if [ "$got" = "$3" ]; then pass "$name: $2 = $3"; else fail "$name: $2 is '$got', expected '$3'"; fi
}

# expect NAME DESCRIPTION PATTERN CMD...: the command succeeds and its output matches PATTERN.
expect() {
  local name=$1 what=$2 pattern=$3 out
  shift 3
  if out=$("$@" 2>&1) && grep -qE -- "$pattern" <<<"$out"; then
    pass "$name: $what ($(head -n 1 <<<"$out"))"
  else
    fail "$name: $what; output:"
    tail -n 15 <<<"$out" | sed 's/^/    /'
  fi
}

# no_build_secrets NAME: neither the proxy variables nor the CA end up in the image.
no_build_secrets() {
  local name=$1 img env hist
  img=$(tag_of "$name")
  env=$("$DOCKER" image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$img")
  hist=$("$DOCKER" history --no-trunc --format '{{.CreatedBy}}' "$img")
  if grep -qiE '^(https?|no)_proxy=' <<<"$env" || grep -q 'BEGIN CERTIFICATE' <<<"$hist"; then
    fail "$name: proxy variables or a certificate are in the image config or history"
  else
    pass "$name: no proxy variables or CA in the image config or history"
  fi
}

# run ARGS...: a one-shot container without network (passed to expect as a command).
# shellcheck disable=SC2317 # invoked through expect's "$@"
run() { timeout 120 "$DOCKER" run --rm --network none "$@"; }

smoke_hub() {
  local img
  img=$(tag_of hub)
  config hub '{{.Config.User}}' 1000
  config hub '{{.Config.WorkingDir}}' /srv/jupyterhub
  config hub '{{json .Config.Entrypoint}}' '["tini","--"]'
  config hub '{{json .Config.Cmd}}' '["jupyterhub","--config","/usr/local/etc/jupyterhub/jupyterhub_config.py"]'
  expect hub "jupyterhub --version is 5.5.0" '^5\.5\.0$' run "$img" jupyterhub --version
  expect hub "KubeSpawner and SharedPasswordAuthenticator import" '^ok$' \
    run "$img" python -c "import kubespawner, jupyterhub.authenticators.shared; print('ok')"
  # What z2jh's jupyterhub_config.py and z2jh.py import, the curl HTTP client
  # it configures, the authenticators and database drivers the image carries,
  # and the idle culler the chart starts with "python3 -m".
  expect hub "z2jh config imports, authenticators and drivers load" '^ok$' \
    run "$img" python3 -c "
import yaml, kubernetes_asyncio.client, tornado.curl_httpclient, pycurl, psycopg2, pymysql
import oauthenticator, oauthenticator.google, oauthenticator.mediawiki, ldapauthenticator, ltiauthenticator
import firstuseauthenticator, nativeauthenticator, tmpauthenticator, hmacauthenticator, sqlalchemy_cockroachdb, statsd
from tornado.httpclient import AsyncHTTPClient
AsyncHTTPClient.configure('tornado.curl_httpclient.CurlAsyncHTTPClient')
print('ok')"
  expect hub "python3 -m jupyterhub_idle_culler runs" 'cull' run "$img" python3 -m jupyterhub_idle_culler --help
}

smoke_proxy() {
  local img name=proxy port=18763 api=18764 code routes i
  img=$(tag_of proxy)
  config proxy '{{.Config.User}}' 65534
  config proxy '{{json .Config.Entrypoint}}' '["/srv/configurable-http-proxy/chp-docker-entrypoint"]'
  expect proxy "configurable-http-proxy --version is 5.2.0" '^5\.2\.0$' run "$img" configurable-http-proxy --version
  # Started through the image's entrypoint with the token in a file, as a
  # secret mount would give it; proxy and API on loopback only.
  printf 'airgap-smoke-token' > "$WORK/token"
  chmod 0644 "$WORK/token"
  if ! "$DOCKER" run -d --name "$PREFIX-$name" --network host \
      -v "$WORK/token:/etc/chp/token:ro" -e CONFIGPROXY_AUTH_TOKEN_FILE=/etc/chp/token \
      "$img" --ip=127.0.0.1 --port="$port" --api-ip=127.0.0.1 --api-port="$api" \
      --default-target=http://127.0.0.1:9 >/dev/null; then
    fail "proxy: container did not start"
    return
  fi
  for ((i = 0; i < 30; i++)); do
    code=$(curl -s -o "$WORK/routes" -w '%{http_code}' -H 'Authorization: token airgap-smoke-token' \
      "http://127.0.0.1:$api/api/routes" 2>/dev/null || true)
    [ "$code" = 200 ] && break
    sleep 0.5
  done
  routes=$(cat "$WORK/routes" 2>/dev/null)
  if [ "$code" = 200 ] && grep -q '"/"' <<<"$routes"; then
    pass "proxy: API on 127.0.0.1:$api answers GET /api/routes with the default route: $routes"
  else
    fail "proxy: GET /api/routes gave HTTP ${code:-none}: $routes; container log:"
    "$DOCKER" logs "$PREFIX-$name" 2>&1 | tail -n 15 | sed 's/^/    /'
  fi
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$api/api/routes" 2>/dev/null || true)
  if [ "$code" = 403 ]; then pass "proxy: API refuses a request without the token (403)"; else fail "proxy: API without token gave HTTP $code, expected 403"; fi
  "$DOCKER" rm -f "$PREFIX-$name" >/dev/null 2>&1
}

smoke_user_scheduler() {
  config user-scheduler '{{json .Config.Entrypoint}}' '["/usr/local/bin/kube-scheduler"]'
  expect user-scheduler "kube-scheduler --version is $K8S_VERSION" "Kubernetes $K8S_VERSION\$" \
    run "$(tag_of user-scheduler)" --version
}

smoke_pause() {
  local img t0 rc secs
  img=$(tag_of pause)
  config pause '{{.Config.User}}' 65535:65535
  config pause '{{json .Config.Entrypoint}}' '["/pause"]'
  if ! "$DOCKER" run -d --name "$PREFIX-pause" --network none "$img" >/dev/null; then
    fail "pause: container did not start"
    return
  fi
  sleep 1
  if [ "$("$DOCKER" inspect -f '{{.State.Running}}' "$PREFIX-pause")" != true ]; then
    fail "pause: container is not running after 1 s"
    return
  fi
  t0=$(now)
  "$DOCKER" kill --signal TERM "$PREFIX-pause" >/dev/null
  rc=$(timeout 5 "$DOCKER" wait "$PREFIX-pause" 2>/dev/null || echo timeout)
  secs=$(since "$t0")
  if [ "$rc" = 0 ] && awk -v s="$secs" 'BEGIN { exit !(s < 2) }'; then
    pass "pause: ran, then stopped on SIGTERM with exit 0 in $secs s"
  else
    fail "pause: after SIGTERM: exit '$rc' in $secs s (expected 0 within 2 s)"
  fi
  "$DOCKER" rm -f "$PREFIX-pause" >/dev/null 2>&1
}

smoke_network_tools() {
  local img
  img=$(tag_of network-tools)
  config network-tools '{{.Config.User}}' ''
  expect network-tools "iptables --version (legacy mode, as upstream)" 'iptables v1\.8\.9 \(legacy\)' run "$img" iptables --version
  expect network-tools "image puller's /bin/sh -c command runs" '^Pulling complete$' run "$img" /bin/sh -c 'echo "Pulling complete"'
}

# The htpasswd line of smoke_registry: user airgap-smoke, password airgap-smoke-password, hashed
# with golang.org/x/crypto/bcrypt at cost 10 ($2a$10$), as the Pulumi random provider's bcryptHash
# that components/registry/registry.ts puts in its htpasswd Secret.
REGISTRY_SMOKE_USER=airgap-smoke
REGISTRY_SMOKE_PASSWORD=airgap-smoke-password
# shellcheck disable=SC2016 # a bcrypt hash: its $ are not expansions
REGISTRY_SMOKE_HTPASSWD='airgap-smoke:$2a$10$0QGkB1RYpDx0kpCnE6gm1uCPLhF741NlQ2d1ETrcoUfQWeF5N4ULa'

# smoke_registry: the registry image run as components/registry/registry.ts runs it: the image's
# own entrypoint and command, its settings as REGISTRY_* variables (TLS certificate and key from a
# Secret volume, htpasswd auth, filesystem storage, deletion on), user 1000 with the volumes' group
# (fsGroup), read-only root, no capabilities. The one difference: it listens on 127.0.0.1 only
# (host network), not on :5000. The certificate is an ECDSA P-256 server certificate signed by a
# throwaway CA, as the platform makes them. An image is then pushed and pulled through it by the
# Docker engine, with a throwaway client config.
smoke_registry() {
  local img name=registry port=18770 dir=$WORK/registry code out i ref id0 id1 digest hdr
  img=$(tag_of registry)
  config registry '{{.Config.User}}' ''
  config registry '{{json .Config.Entrypoint}}' '["/entrypoint.sh"]'
  config registry '{{json .Config.Cmd}}' '["/etc/docker/registry/config.yml"]'
  config registry '{{json .Config.ExposedPorts}}' '{"5000/tcp":{}}'
  config registry '{{json .Config.Volumes}}' '{"/var/lib/registry":{}}'
  expect registry "registry --version is ${VERSION[registry]} (through the entrypoint)" \
    "^registry github\.com/docker/distribution ${VERSION[registry]//./\\.}\$" run "$img" --version
  # shellcheck disable=SC2016 # awk's $2
  expect registry "default config file: filesystem storage in /var/lib/registry, :5000" '^/var/lib/registry :5000 $' \
    run --entrypoint awk "$img" '/^ +(rootdirectory|addr):/ { printf "%s ", $2 }' /etc/docker/registry/config.yml

  mkdir -p "$dir/certs" "$dir/auth" "$dir/data" "$dir/docker" "$dir/layer"
  if ! (cd "$dir/certs" \
      && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
        -subj /CN=airgap-smoke-ca -keyout ca.key -out ca.crt \
      && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj /CN=localhost -keyout tls.key -out tls.csr \
      && printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > ext.cnf \
      && openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 \
        -extfile ext.cnf -out tls.crt) >/dev/null 2>&1; then
    fail "registry: could not make the test certificate with openssl"
    return
  fi
  printf '%s\n' "$REGISTRY_SMOKE_HTPASSWD" > "$dir/auth/htpasswd"
  # As the Secret volumes (defaultMode 0440) and the data volume appear to the pod under fsGroup 1000.
  chgrp 1000 "$dir/certs/tls.crt" "$dir/certs/tls.key" "$dir/auth/htpasswd"
  chmod 0440 "$dir/certs/tls.crt" "$dir/certs/tls.key" "$dir/auth/htpasswd"
  chown 1000:1000 "$dir/data"
  if ! "$DOCKER" run -d --name "$PREFIX-$name" --network host \
      --user 1000:1000 --read-only --cap-drop ALL --security-opt no-new-privileges --tmpfs /tmp \
      -v "$dir/data:/var/lib/registry" -v "$dir/certs:/certs:ro" -v "$dir/auth:/auth:ro" \
      -e REGISTRY_HTTP_ADDR="127.0.0.1:$port" \
      -e REGISTRY_HTTP_TLS_CERTIFICATE=/certs/tls.crt -e REGISTRY_HTTP_TLS_KEY=/certs/tls.key \
      -e REGISTRY_AUTH=htpasswd -e "REGISTRY_AUTH_HTPASSWD_REALM=ds-platform registry" \
      -e REGISTRY_AUTH_HTPASSWD_PATH=/auth/htpasswd \
      -e REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=/var/lib/registry -e REGISTRY_STORAGE_DELETE_ENABLED=true \
      "$img" >/dev/null; then
    fail "registry: container did not start"
    return
  fi
  local base=https://127.0.0.1:$port curlc=(curl -sS --max-time 10 --cacert "$dir/certs/ca.crt")
  for ((i = 0; i < 30; i++)); do
    code=$("${curlc[@]}" -o /dev/null -w '%{http_code}' "$base/v2/" 2>/dev/null || true)
    [ "$code" = 401 ] && break
    [ "$("$DOCKER" inspect -f '{{.State.Running}}' "$PREFIX-$name" 2>/dev/null)" = true ] || break
    sleep 0.5
  done
  out=$("$DOCKER" exec "$PREFIX-$name" cat /proc/1/cmdline 2>/dev/null | tr '\0' ' ')
  if [ "$out" = "registry serve /etc/docker/registry/config.yml " ]; then
    pass "registry: the image's entrypoint and command run: $out(user $("$DOCKER" exec "$PREFIX-$name" id -u))"
  else
    fail "registry: process 1 is '$out', expected 'registry serve /etc/docker/registry/config.yml'; log:"
    "$DOCKER" logs "$PREFIX-$name" 2>&1 | tail -n 15 | sed 's/^/    /'
    return
  fi
  hdr=$("${curlc[@]}" -o /dev/null -D - "$base/v2/" 2>&1 | tr -d '\r')
  if [ "$code" = 401 ] && grep -qi '^www-authenticate: Basic realm="ds-platform registry"' <<<"$hdr"; then
    pass "registry: HTTPS on 127.0.0.1:$port (certificate checked against its CA): GET /v2/ without credentials is 401 with Basic realm=\"ds-platform registry\""
  else
    fail "registry: GET /v2/ without credentials gave HTTP ${code:-none}; headers: $(head -n 5 <<<"$hdr" | tr '\n' ' ')"
  fi
  code=$("${curlc[@]}" -o /dev/null -w '%{http_code}' -u "$REGISTRY_SMOKE_USER:wrong-password" "$base/v2/" 2>/dev/null || true)
  if [ "$code" = 401 ]; then pass "registry: a wrong password is refused (401)"; else fail "registry: a wrong password gave HTTP $code, expected 401"; fi
  hdr=$("${curlc[@]}" -o /dev/null -D - -u "$REGISTRY_SMOKE_USER:$REGISTRY_SMOKE_PASSWORD" "$base/v2/" 2>&1 | tr -d '\r')
  if grep -q '^HTTP/[0-9.]* 200' <<<"$hdr" && grep -qi '^docker-distribution-api-version: registry/2.0' <<<"$hdr"; then
    pass "registry: GET /v2/ with the htpasswd user's password is 200 (registry/2.0)"
  else
    fail "registry: GET /v2/ with credentials: $(head -n 3 <<<"$hdr" | tr '\n' ' ')"
  fi

  # Push and pull through the Docker engine, which takes 127.0.0.0/8 registries without trusting
  # their CA. A one-file image made here (docker import), so nothing is pulled from elsewhere.
  ref=127.0.0.1:$port/airgap-smoke/hello:1
  head -c 65536 /dev/urandom > "$dir/layer/payload"
  if ! tar -C "$dir/layer" -c payload | "$DOCKER" import - "$ref" >/dev/null \
      || ! id0=$("$DOCKER" image inspect -f '{{.Id}}' "$ref"); then
    fail "registry: could not make the test image"
    return
  fi
  if ! out=$(DOCKER_CONFIG=$dir/docker "$DOCKER" login -u "$REGISTRY_SMOKE_USER" --password-stdin "127.0.0.1:$port" \
        <<<"$REGISTRY_SMOKE_PASSWORD" 2>&1); then
    fail "registry: docker login failed: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
  elif ! out=$(DOCKER_CONFIG=$dir/docker timeout 120 "$DOCKER" push "$ref" 2>&1); then
    fail "registry: docker push failed: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
  else
    digest=$(grep -oE 'digest: sha256:[0-9a-f]{64}' <<<"$out" | cut -d' ' -f2)
    "$DOCKER" rmi "$ref" >/dev/null 2>&1
    if ! out=$(DOCKER_CONFIG=$dir/docker timeout 120 "$DOCKER" pull "$ref" 2>&1); then
      fail "registry: docker pull failed: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
    else
      id1=$("$DOCKER" image inspect -f '{{.Id}}' "$ref" 2>/dev/null)
      if [ -n "$digest" ] && [ "$id1" = "$id0" ] && grep -q "$digest" <<<"$out"; then
        pass "registry: docker push then pull (after removing the local image) of $ref: manifest $digest, same image $id1"
      else
        fail "registry: pulled image $id1 (pushed $id0), manifest '$digest'; pull said: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
      fi
    fi
  fi
  out=$("${curlc[@]}" -u "$REGISTRY_SMOKE_USER:$REGISTRY_SMOKE_PASSWORD" "$base/v2/airgap-smoke/hello/tags/list" 2>&1)
  if [ "$out" = '{"name":"airgap-smoke/hello","tags":["1"]}' ] \
      && [ -n "$(find "$dir/data/docker/registry/v2/blobs" -type f -user 1000 -name data 2>/dev/null)" ]; then
    pass "registry: the API lists the pushed tag ($out), blobs are on the data volume, owned by 1000"
  else
    fail "registry: tags/list gave '$out', or no blobs owned by 1000 under the data volume"
  fi
  if [ -n "${digest:-}" ]; then
    code=$("${curlc[@]}" -o /dev/null -w '%{http_code}' -X DELETE -u "$REGISTRY_SMOKE_USER:$REGISTRY_SMOKE_PASSWORD" \
      "$base/v2/airgap-smoke/hello/manifests/$digest" 2>/dev/null || true)
    if [ "$code" = 202 ]; then pass "registry: deleting the manifest by digest is accepted (202: storage.delete enabled)"; else fail "registry: DELETE manifest gave HTTP $code, expected 202"; fi
  fi
  if "$DOCKER" logs "$PREFIX-$name" 2>&1 | grep -qE 'level=(fatal|panic)|panic:'; then
    fail "registry: fatal errors in its log:"
    "$DOCKER" logs "$PREFIX-$name" 2>&1 | grep -E 'level=(fatal|panic)|panic:' | head -n 5 | sed 's/^/    /'
  fi
  "$DOCKER" rmi "$ref" >/dev/null 2>&1
  "$DOCKER" rm -f "$PREFIX-$name" >/dev/null 2>&1
}

# The fake Kubernetes API of smoke_secret_sync: HTTPS on 127.0.0.1 with a self-signed certificate
# (the service account's ca.crt), the service account's bearer token required, and only the Secret
# calls of the chart's Role (get, create, patch). Secrets live in DIR/secrets.json; after each change
# every key is written decoded to DIR/out/<namespace>_<name>_<key> and the labels to
# DIR/out/<namespace>_<name>.labels; each request is logged to DIR/requests.log with its status.
# Run with the secret-sync image's python3: fake-api.py PORT DIR.
write_fake_kube_api() {
  cat > "$1" <<'PY'
import base64, binascii, json, os, ssl, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

port, root = int(sys.argv[1]), sys.argv[2]
state_file, out = os.path.join(root, "secrets.json"), os.path.join(root, "out")
with open(os.path.join(root, "sa", "token")) as f:
    token = f.read().strip()


def merge(target, patch):  # RFC 7386 JSON merge patch
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        elif isinstance(v, dict) and isinstance(target.get(k), dict):
            merge(target[k], v)
        else:
            target[k] = v


def store(state):
    with open(state_file, "w") as f:
        json.dump(state, f)
    for n in os.listdir(out):
        os.remove(os.path.join(out, n))
    for key, secret in state.items():
        base = os.path.join(out, key.replace("/", "_"))
        with open(base + ".labels", "w") as f:
            f.writelines(f"{k}={v}\n" for k, v in sorted((secret["metadata"].get("labels") or {}).items()))
        for k, v in (secret.get("data") or {}).items():
            with open(f"{base}_{k}", "wb") as f:
                f.write(base64.b64decode(v, validate=True))


class Handler(BaseHTTPRequestHandler):
    def reply(self, code, obj):
        with open(os.path.join(root, "requests.log"), "a") as f:
            f.write(f"{self.command} {self.path} {self.headers.get('Content-Type', '-')} {code}\n")
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def status(self, code, reason, message):
        self.reply(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                          "reason": reason, "message": message, "code": code})

    def serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        if self.headers.get("Authorization") != f"Bearer {token}":
            return self.status(401, "Unauthorized", "Unauthorized")
        parts = self.path.split("?")[0].split("/")
        if parts[:4] != ["", "api", "v1", "namespaces"] or len(parts) not in (6, 7) or parts[5] != "secrets":
            return self.status(404, "NotFound", "the server could not find the requested resource")
        ns, name = parts[4], (parts[6] if len(parts) == 7 else None)
        state = {}
        if os.path.exists(state_file):
            with open(state_file) as f:
                state = json.load(f)
        try:
            for v in ((body or {}).get("data") or {}).values():
                base64.b64decode(v, validate=True)
        except (binascii.Error, AttributeError, TypeError):
            return self.status(400, "BadRequest", "data values must be base64")
        if self.command == "GET" and name:
            if f"{ns}/{name}" not in state:
                return self.status(404, "NotFound", f'secrets "{name}" not found')
            return self.reply(200, state[f"{ns}/{name}"])
        if self.command == "POST" and not name:
            name = body["metadata"]["name"]
            if f"{ns}/{name}" in state:
                return self.status(409, "AlreadyExists", f'secrets "{name}" already exists')
            body["metadata"]["namespace"] = ns
            state[f"{ns}/{name}"] = body
            store(state)
            return self.reply(201, body)
        if self.command == "PATCH" and name:
            if self.headers.get("Content-Type") not in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
                return self.status(415, "UnsupportedMediaType", "unsupported patch type")
            if f"{ns}/{name}" not in state:
                return self.status(404, "NotFound", f'secrets "{name}" not found')
            merge(state[f"{ns}/{name}"], body)
            store(state)
            return self.reply(200, state[f"{ns}/{name}"])
        return self.status(405, "MethodNotAllowed", f"{self.command} is not allowed here")

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = serve

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", port), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(os.path.join(root, "server.crt"), os.path.join(root, "server.key"))
server.socket = context.wrap_socket(server.socket, server_side=True)
print(f"fake API on https://127.0.0.1:{port}", flush=True)
server.serve_forever()
PY
}

# acme_json FILE [DOMAIN CERT KEY]: traefik's acme.json for the resolver "default" (the chart's),
# with no certificate yet, or with one for DOMAIN (CERT and KEY: PEM files).
acme_json() {
  local certs=null
  if [ $# -gt 1 ]; then
    certs="[{\"domain\": {\"main\": \"$2\"}, \"certificate\": \"$(base64 -w0 "$3")\", \"key\": \"$(base64 -w0 "$4")\", \"Store\": \"default\"}]"
  fi
  printf '{\n  "default": {\n    "Account": {"Email": "admin@example.org", "Registration": null, "PrivateKey": null, "KeyType": "4096"},\n    "Certificates": %s\n  }\n}\n' \
    "$certs" > "$1"
}

# self_signed CN CERT KEY [SAN]: a self-signed P-256 certificate.
self_signed() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 60 \
    -subj "/CN=$1" -addext "subjectAltName=${4:-DNS:$1}" -keyout "$3" -out "$2" 2>/dev/null
}

# wait_for SECS CMD...: polls CMD every 0.5 s until it succeeds; fails after SECS.
wait_for() {
  local end=$(($(date +%s) + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || return 1
    sleep 0.5
  done
}

# smoke_secret_sync: the image runs both of the chart's modes (templates/proxy/autohttps/deployment.yaml:
# the "load-acme" init container and the "secret-sync" sidecar, their args, user 65534, the
# certificates emptyDir at /etc/acme) against a fake in-cluster API server on 127.0.0.1, reached as a
# pod reaches its API: KUBERNETES_SERVICE_HOST/PORT, the service account's token, ca.crt and namespace.
smoke_secret_sync() {
  local img kube=$WORK/kube acme=$WORK/acme port=18765 secret=proxy-public-tls-acme token out rc t0 secs
  local stored=$WORK/kube/out/airgap_proxy-public-tls-acme_acme.json
  img=$(tag_of secret-sync)
  config secret-sync '{{.Config.User}}' ''
  config secret-sync '{{json .Config.Entrypoint}}' '["tini","--","/usr/local/bin/acme-secret-sync.py"]'
  expect secret-sync "--help names the chart's modes load and watch-save" 'load,watch-save' run "$img" --help

  mkdir -p "$kube/sa" "$kube/sa-other" "$kube/out" "$acme"
  if ! { self_signed fake-kube-apiserver "$kube/server.crt" "$kube/server.key" IP:127.0.0.1 \
      && self_signed other-cluster "$kube/sa-other/ca.crt" "$kube/other.key" IP:127.0.0.1 \
      && self_signed hub.example.org "$kube/hub.crt" "$kube/hub.key"; }; then
    fail "secret-sync: openssl could not make the test certificates"
    return
  fi
  cp "$kube/server.crt" "$kube/sa/ca.crt"
  token=$(openssl rand -hex 24)
  printf '%s' "$token" > "$kube/sa/token"
  printf 'airgap' > "$kube/sa/namespace"
  cp "$kube/sa/token" "$kube/sa/namespace" "$kube/sa-other/"
  chmod -R a+rX "$kube"
  chmod 0777 "$acme" # an emptyDir
  write_fake_kube_api "$kube/fake-api.py"
  if ! "$DOCKER" run -d --name "$PREFIX-kube" --network host -v "$kube:/kube" --entrypoint python3 \
      "$img" /kube/fake-api.py "$port" /kube >/dev/null; then
    fail "secret-sync: the fake API server did not start"
    return
  fi
  if ! wait_for 20 curl -sf --cacert "$kube/sa/ca.crt" -H "Authorization: Bearer $token" \
      "https://127.0.0.1:$port/api/v1/namespaces/airgap/secrets" -o /dev/null -w '%{http_code}' -X POST \
      -H 'Content-Type: application/json' -d '{"metadata": {"name": "probe"}, "data": {}}'; then
    fail "secret-sync: the fake API server does not answer on 127.0.0.1:$port; its log:"
    "$DOCKER" logs "$PREFIX-kube" 2>&1 | tail -n 10 | sed 's/^/    /'
    return
  fi
  : > "$kube/requests.log"

  # As the pod runs it: the chart's user and env, the service account, the certificates volume.
  local pod=(--network host --user 65534:65534 -e PYTHONUNBUFFERED=True
    -e KUBERNETES_SERVICE_HOST=127.0.0.1 -e "KUBERNETES_SERVICE_PORT=$port" -v "$acme:/etc/acme")
  local sa=(-v "$kube/sa:/var/run/secrets/kubernetes.io/serviceaccount:ro")
  local load=(load "$secret" acme.json /etc/acme/acme.json)

  # load on a first start: no Secret yet, nothing written, exit 0 (the init container succeeds).
  out=$(timeout 60 "$DOCKER" run --rm "${pod[@]}" "${sa[@]}" "$img" "${load[@]}" 2>&1)
  rc=$?
  if [ "$rc" = 0 ] && [ ! -e "$acme/acme.json" ] && grep -q 'does not exist' <<<"$out"; then
    pass "secret-sync: load with no Secret yet exits 0 and writes no acme.json"
  else
    fail "secret-sync: load with no Secret: exit $rc, acme.json $( [ -e "$acme/acme.json" ] && echo written || echo absent); output:"
    tail -n 5 <<<"$out" | sed 's/^/    /'
  fi
  # The API server's certificate is checked against the service account's ca.crt.
  out=$(timeout 60 "$DOCKER" run --rm "${pod[@]}" -v "$kube/sa-other:/var/run/secrets/kubernetes.io/serviceaccount:ro" \
    "$img" "${load[@]}" 2>&1)
  rc=$?
  if [ "$rc" != 0 ] && grep -q 'CERTIFICATE_VERIFY_FAILED' <<<"$out"; then
    pass "secret-sync: load refuses an API server that the service account's ca.crt does not sign (exit $rc)"
  else
    fail "secret-sync: load against an untrusted API server: exit $rc; output:"
    tail -n 5 <<<"$out" | sed 's/^/    /'
  fi

  # load with the Secret in place: acme.json is the Secret's key, mode 0600 (traefik refuses a
  # more open one), owned by the pod's user. The chart gives this init container traefik's
  # extraEnv: a proxy meant for the ACME server must not carry the API calls.
  acme_json "$WORK/acme-a.json" hub.example.org "$kube/hub.crt" "$kube/hub.key"
  printf '{"airgap/%s": {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "%s", "namespace": "airgap"}, "data": {"acme.json": "%s"}}}\n' \
    "$secret" "$secret" "$(base64 -w0 "$WORK/acme-a.json")" > "$kube/secrets.json"
  out=$(timeout 60 "$DOCKER" run --rm "${pod[@]}" "${sa[@]}" -e HTTPS_PROXY=http://127.0.0.1:9 -e https_proxy=http://127.0.0.1:9 \
    "$img" "${load[@]}" 2>&1)
  rc=$?
  if [ "$rc" = 0 ] && cmp -s "$WORK/acme-a.json" "$acme/acme.json" \
      && [ "$(stat -c '%a %u' "$acme/acme.json")" = "600 65534" ]; then
    pass "secret-sync: load writes the Secret's acme.json to /etc/acme/acme.json, mode 600, user 65534 (a proxy in the env is not used)"
  else
    fail "secret-sync: load with the Secret: exit $rc, file $(stat -c '%a %u %s bytes' "$acme/acme.json" 2>&1); output:"
    tail -n 5 <<<"$out" | sed 's/^/    /'
  fi

  # watch-save as the sidecar (the chart's args; --interval 1 instead of 30 s), from a first start.
  rm -f "$kube/secrets.json" "$acme/acme.json" "$kube/out/"*
  acme_json "$acme/acme.json"
  chown 65534:65534 "$acme/acme.json" && chmod 0600 "$acme/acme.json"
  if ! "$DOCKER" run -d --name "$PREFIX-sync" "${pod[@]}" "${sa[@]}" "$img" watch-save \
      --label=app.kubernetes.io/name=jupyterhub --label=app.kubernetes.io/instance=airgap \
      --label=helm.sh/chart=jupyterhub-4.4.0 --label=app.kubernetes.io/managed-by=secret-sync \
      --interval 1 "$secret" acme.json /etc/acme/acme.json >/dev/null; then
    fail "secret-sync: watch-save container did not start"
    return
  fi
  sleep 3
  if [ ! -e "$stored" ] && "$DOCKER" logs "$PREFIX-sync" 2>&1 | grep -q 'No certificate detected'; then
    pass "secret-sync: watch-save does not save an acme.json without certificates"
  else
    fail "secret-sync: watch-save with no certificate yet; its log:"
    "$DOCKER" logs "$PREFIX-sync" 2>&1 | tail -n 5 | sed 's/^/    /'
  fi
  # traefik got a certificate: the Secret is created with the chart's labels.
  cp "$WORK/acme-a.json" "$acme/acme.json.new" && chown 65534:65534 "$acme/acme.json.new" && chmod 0600 "$acme/acme.json.new"
  mv "$acme/acme.json.new" "$acme/acme.json"
  if wait_for 15 cmp -s "$WORK/acme-a.json" "$stored" \
      && [ "$(cat "$kube/out/airgap_$secret.labels")" = "app.kubernetes.io/instance=airgap
app.kubernetes.io/managed-by=secret-sync
app.kubernetes.io/name=jupyterhub
helm.sh/chart=jupyterhub-4.4.0" ]; then
    pass "secret-sync: watch-save creates Secret $secret with acme.json and the chart's 4 labels"
  else
    fail "secret-sync: watch-save did not create the Secret with acme.json and the labels; its log:"
    "$DOCKER" logs "$PREFIX-sync" 2>&1 | tail -n 5 | sed 's/^/    /'
  fi
  # A renewed certificate: the Secret's key is patched with the new file.
  self_signed hub.example.org "$kube/hub2.crt" "$kube/hub2.key"
  acme_json "$WORK/acme-b.json" hub.example.org "$kube/hub2.crt" "$kube/hub2.key"
  cp "$WORK/acme-b.json" "$acme/acme.json.new" && chown 65534:65534 "$acme/acme.json.new" && chmod 0600 "$acme/acme.json.new"
  mv "$acme/acme.json.new" "$acme/acme.json"
  if wait_for 15 cmp -s "$WORK/acme-b.json" "$stored"; then
    pass "secret-sync: watch-save writes a changed acme.json back into the Secret"
  else
    fail "secret-sync: the Secret did not get the changed acme.json; its log:"
    "$DOCKER" logs "$PREFIX-sync" 2>&1 | tail -n 5 | sed 's/^/    /'
  fi
  sleep 2
  local posts patches refused
  posts=$(grep -c '^POST ' "$kube/requests.log")
  patches=$(grep -c '^PATCH .* application/merge-patch+json 200$' "$kube/requests.log")
  refused=$(grep -cv ' 20[01]$\|^GET .* 404$' "$kube/requests.log")
  if [ "$posts" = 1 ] && [ "$patches" = 1 ] && [ "$refused" = 0 ]; then
    pass "secret-sync: one create, one merge patch, none while unchanged, every call authorized ($(wc -l < "$kube/requests.log") API calls)"
  else
    fail "secret-sync: API calls: $posts creates, $patches patches, $refused refused; the log:"
    tail -n 10 "$kube/requests.log" | sed 's/^/    /'
  fi
  # The kubelet's SIGTERM stops the sidecar at once.
  t0=$(now)
  "$DOCKER" stop -t 10 "$PREFIX-sync" >/dev/null
  secs=$(since "$t0")
  rc=$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$PREFIX-sync" 2>/dev/null)
  if [ "$rc" = 0 ] && awk -v s="$secs" 'BEGIN { exit !(s < 3) }'; then
    pass "secret-sync: watch-save stops on SIGTERM with exit 0 in $secs s"
  else
    fail "secret-sync: watch-save after SIGTERM: exit '$rc' in $secs s (expected 0 within 3 s)"
  fi
  "$DOCKER" rm -f "$PREFIX-sync" "$PREFIX-kube" >/dev/null 2>&1
}

# smoke_traefik: traefik as the chart's autohttps pod runs it: no command or args (the image's CMD),
# user 65534, the static traefik.yaml and the dynamic.yaml in /etc/traefik, the certificates
# emptyDir at /etc/acme with an acme.json as secret-sync's load leaves it (mode 600). The two files
# follow the chart's (templates/proxy/autohttps/_configmap-*.yaml: entrypoints http and https, the
# "default" ACME resolver storing /etc/acme/acme.json, the hsts/scheme/redirect middlewares, the
# TLS options) with these changes: every entrypoint on 127.0.0.1, the ACME server a closed port on
# 127.0.0.1, a ping entrypoint, the ping endpoint as the backend in place of the hub's proxy, and
# no version check (traefik's default asks a server on the internet at start).
# The certificate in acme.json is one for hub.example.org, so traefik serves it without asking the
# ACME server for one.
smoke_traefik() {
  local img dir=$WORK/traefik http=18780 ping=18781 https=18782 out code
  img=$(tag_of traefik)
  config traefik '{{.Config.User}}' ''
  config traefik '{{json .Config.Entrypoint}}' '["/entrypoint.sh"]'
  config traefik '{{json .Config.Cmd}}' '["traefik"]'
  expect traefik "traefik version is ${VERSION[traefik]} (through the entrypoint)" "Version: +${VERSION[traefik]//./\\.}\$" \
    run "$img" version
  expect traefik "the entrypoint runs any other command as given" '^ok$' run "$img" /bin/sh -c 'echo ok'

  mkdir -p "$dir/etc" "$dir/acme"
  self_signed hub.example.org "$dir/hub.crt" "$dir/hub.key" || { fail "traefik: openssl could not make the test certificate"; return; }
  acme_json "$dir/acme/acme.json" hub.example.org "$dir/hub.crt" "$dir/hub.key"
  chown -R 65534:65534 "$dir/acme" && chmod 0600 "$dir/acme/acme.json"
  cat > "$dir/etc/traefik.yaml" <<EOF
accessLog:
  filters:
    statusCodes: ["500-599"]
certificatesResolvers:
  default:
    acme:
      caServer: https://127.0.0.1:9/directory
      email: admin@example.org
      httpChallenge:
        entryPoint: http
      storage: /etc/acme/acme.json
entryPoints:
  http:
    address: "127.0.0.1:$http"
  https:
    address: "127.0.0.1:$https"
    transport:
      respondingTimeouts:
        idleTimeout: 10m0s
  ping:
    address: "127.0.0.1:$ping"
global:
  checkNewVersion: false
  sendAnonymousUsage: false
ping:
  entryPoint: ping
log:
  level: INFO
  noColor: true
providers:
  file:
    filename: /etc/traefik/dynamic.yaml
EOF
  cat > "$dir/etc/dynamic.yaml" <<EOF
http:
  middlewares:
    hsts:
      headers:
        stsIncludeSubdomains: false
        stsPreload: false
        stsSeconds: 15724800
    redirect:
      redirectScheme:
        permanent: true
        scheme: https
    scheme:
      headers:
        customRequestHeaders:
          X-Scheme: https
  routers:
    default:
      entrypoints: ["https"]
      middlewares: ["hsts", "scheme"]
      rule: PathPrefix(\`/\`)
      service: default
      tls:
        certResolver: default
        domains:
          - main: hub.example.org
        options: default
    insecure:
      entrypoints: ["http"]
      middlewares: ["redirect"]
      rule: PathPrefix(\`/\`)
      service: default
  services:
    default:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:$ping/"
tls:
  options:
    default:
      cipherSuites:
        - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
        - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
        - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        - TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305
        - TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305
      minVersion: VersionTLS12
      sniStrict: true
EOF
  chmod -R a+rX "$dir/etc"
  if ! "$DOCKER" run -d --name "$PREFIX-traefik" --network host --user 65534:65534 \
      -v "$dir/etc:/etc/traefik:ro" -v "$dir/acme:/etc/acme" "$img" >/dev/null; then
    fail "traefik: container did not start"
    return
  fi
  if wait_for 30 curl -sf "http://127.0.0.1:$ping/ping"; then
    pass "traefik: started on the image's CMD with /etc/traefik/traefik.yaml; ping entrypoint on 127.0.0.1:$ping answers: $(curl -s "http://127.0.0.1:$ping/ping")"
  else
    fail "traefik: no answer on 127.0.0.1:$ping/ping within 30 s; container log:"
    "$DOCKER" logs "$PREFIX-traefik" 2>&1 | tail -n 15 | sed 's/^/    /'
    return
  fi
  out=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H 'Host: hub.example.org' "http://127.0.0.1:$http/hub/" 2>&1)
  if [ "$out" = "301 https://hub.example.org/hub/" ]; then
    pass "traefik: the http entrypoint redirects to https as the chart's dynamic.yaml says: $out"
  else
    fail "traefik: http://hub.example.org/hub/ gave '$out', expected '301 https://hub.example.org/hub/'"
  fi
  # --cacert: only the certificate stored in acme.json is trusted for hub.example.org.
  out=$(curl -s -D "$dir/headers" --resolve "hub.example.org:$https:127.0.0.1" --cacert "$dir/hub.crt" \
    "https://hub.example.org:$https/ping" 2>&1)
  if [ "$out" = OK ] && grep -qi '^strict-transport-security: max-age=15724800' "$dir/headers"; then
    pass "traefik: https entrypoint serves acme.json's certificate for hub.example.org and proxies with the hsts middleware"
  else
    fail "traefik: https://hub.example.org:$https/ping gave '$out'; headers: $(tr -d '\r' < "$dir/headers" 2>/dev/null | head -n 3 | tr '\n' ' '); log:"
    "$DOCKER" logs "$PREFIX-traefik" 2>&1 | tail -n 10 | sed 's/^/    /'
  fi
  code=$(curl -s -o /dev/null -w '%{http_code}' -k --resolve "other.example.org:$https:127.0.0.1" \
    "https://other.example.org:$https/ping" 2>/dev/null)
  if [ "$code" = 000 ]; then
    pass "traefik: the chart's sniStrict TLS options refuse a handshake for another host name"
  else
    fail "traefik: https for other.example.org gave HTTP $code, expected a refused handshake (sniStrict)"
  fi
  "$DOCKER" logs "$PREFIX-traefik" > "$dir/log" 2>&1
  if grep -qE 'too open| (ERR|FTL|PNC) ' "$dir/log"; then
    fail "traefik: errors in its log:"
    grep -E 'too open| (ERR|FTL|PNC) ' "$dir/log" | head -n 10 | sed 's/^/    /'
  else
    pass "traefik: no errors in its log (acme.json read, no certificate requested)"
  fi
  "$DOCKER" rm -f "$PREFIX-traefik" >/dev/null 2>&1
}

# smoke_chart: the hub and proxy images run as z2jh 4.4.0's templates run them: the chart's own
# jupyterhub_config.py and z2jh.py, its default values as the hub Secret's values.yaml, the
# resource names of its ConfigMap, the same commands, users and environment. The two containers
# share an internal Docker network (no route out, nothing published on the host); the hub starts
# the idle culler service as the chart configures it, then answers through the proxy.
smoke_chart() {
  local etc=$WORK/chart-etc net=$PREFIX-net token n code i
  if [ ! -s "$CHART_TGZ" ]; then
    echo "SKIP: chart: $CHART_TGZ not found (set CHART_TGZ) for the hub+proxy run on the chart's configuration"
    return
  fi
  mkdir -p "$etc/config" "$etc/secret" "$WORK/chart"
  if ! tar -xzf "$CHART_TGZ" -C "$WORK/chart" jupyterhub/files/hub jupyterhub/values.yaml jupyterhub/Chart.yaml; then
    fail "chart: could not unpack $CHART_TGZ"
    return
  fi
  cp "$WORK/chart/jupyterhub/files/hub/jupyterhub_config.py" "$WORK/chart/jupyterhub/files/hub/z2jh.py" "$etc/"
  # The ConfigMap's resource names (templates/_helpers-names.tpl), each named after its key here.
  for n in fullname fullname-dash hub hub-serviceaccount hub-existing-secret hub-existing-secret-or-default \
      hub-pvc proxy proxy-api proxy-http proxy-public proxy-public-tls proxy-public-manual-tls autohttps \
      autohttps-serviceaccount user-scheduler-deploy user-scheduler-serviceaccount user-scheduler-lock \
      user-placeholder image-puller-priority hook-image-awaiter hook-image-awaiter-serviceaccount \
      hook-image-puller hook-image-puller-serviceaccount continuous-image-puller \
      continuous-image-puller-serviceaccount singleuser image-pull-secret ingress priority \
      user-placeholder-priority user-scheduler; do
    printf '%s' "$n" > "$etc/config/$n"
  done
  # The hub Secret: values.yaml (the chart's values plus Chart and Release, as templates/hub/secret.yaml
  # writes it) and the generated secrets.
  token=$(openssl rand -hex 32)
  printf '%s' "$token" > "$etc/secret/hub.config.ConfigurableHTTPProxy.auth_token"
  openssl rand -hex 32 | tr -d '\n' > "$etc/secret/hub.config.JupyterHub.cookie_secret"
  openssl rand -hex 32 | tr -d '\n' > "$etc/secret/hub.config.CryptKeeper.keys"
  if ! run -v "$WORK/chart/jupyterhub:/chart:ro" "$(tag_of hub)" python3 -c '
import yaml
values = yaml.safe_load(open("/chart/values.yaml"))
chart = yaml.safe_load(open("/chart/Chart.yaml"))
values["Chart"] = {"Name": chart["name"], "Version": chart["version"], "AppVersion": chart["appVersion"]}
values["Release"] = {"Name": "airgap", "Namespace": "airgap", "Service": "Helm"}
print(yaml.safe_dump(values))' > "$etc/secret/values.yaml"; then
    fail "chart: could not write the hub's values.yaml"
    return
  fi
  chmod -R a+rX "$etc"

  "$DOCKER" network create --internal "$net" >/dev/null || { fail "chart: could not create network $net"; return; }
  # templates/proxy/deployment.yaml: the command replaces the entrypoint; user 65534.
  "$DOCKER" run -d --name "$PREFIX-chp" --network "$net" --network-alias proxy-api --network-alias proxy-public \
    --user 65534:65534 -e CONFIGPROXY_AUTH_TOKEN="$token" --entrypoint configurable-http-proxy "$(tag_of proxy)" \
    --ip= --api-ip= --api-port=8001 --default-target=http://hub:8081 --error-target=http://hub:8081/hub/error \
    --port=8000 >/dev/null || { fail "chart: proxy container did not start"; return; }
  # templates/hub/deployment.yaml: the image's entrypoint with the chart's args; user 1000.
  "$DOCKER" run -d --name "$PREFIX-hub" --network "$net" --network-alias hub --user 1000:1000 \
    -e PYTHONUNBUFFERED=1 -e HELM_RELEASE_NAME=airgap -e POD_NAMESPACE=airgap -e CONFIGPROXY_AUTH_TOKEN="$token" \
    -e HUB_SERVICE_PORT=8081 -e PROXY_API_SERVICE_PORT=8001 -v "$etc:/usr/local/etc/jupyterhub:ro" \
    "$(tag_of hub)" jupyterhub --config /usr/local/etc/jupyterhub/jupyterhub_config.py --upgrade-db \
    >/dev/null || { fail "chart: hub container did not start"; return; }
  for ((i = 0; i < 90; i++)); do
    code=$("$DOCKER" exec "$PREFIX-hub" python3 -c '
import urllib.request
print(urllib.request.urlopen("http://proxy-public:8000/hub/api/", timeout=5).read().decode())' 2>/dev/null || true)
    [ -n "$code" ] && break
    [ "$("$DOCKER" inspect -f '{{.State.Running}}' "$PREFIX-hub" 2>/dev/null)" = true ] || break
    sleep 1
  done
  if grep -q '"version": *"5.5.0"' <<<"$code"; then
    pass "chart: hub on the chart's jupyterhub_config.py answers through the proxy: GET /hub/api/ = $code"
  else
    fail "chart: no answer from the hub through the proxy (${code:-nothing}); hub log:"
    "$DOCKER" logs "$PREFIX-hub" 2>&1 | tail -n 25 | sed 's/^/    /'
    "$DOCKER" logs "$PREFIX-chp" 2>&1 | tail -n 5 | sed 's/^/    proxy: /'
    return
  fi
  # The culler queries the hub's API right after it starts: its request in the hub's log shows it
  # ran (python3 from the venv, on PATH) and authenticated with its service token.
  for ((i = 0; i < 30; i++)); do
    "$DOCKER" logs "$PREFIX-hub" 2>&1 | grep -q '200 GET /hub/api/users.*(jupyterhub-idle-culler@' && break
    sleep 1
  done
  if [ "$i" -lt 30 ]; then
    pass "chart: the chart's idle-culler service (python3 -m jupyterhub_idle_culler) runs and reads the hub's API"
  else
    fail "chart: no API request from the idle-culler service; hub log:"
    "$DOCKER" logs "$PREFIX-hub" 2>&1 | grep -i cull | tail -n 10 | sed 's/^/    /'
  fi
  if "$DOCKER" logs "$PREFIX-hub" 2>&1 | grep -qE 'Traceback|\[E '; then
    fail "chart: errors in the hub's log:"
    "$DOCKER" logs "$PREFIX-hub" 2>&1 | grep -E -A3 'Traceback|\[E ' | head -n 20 | sed 's/^/    /'
  else
    pass "chart: no errors in the hub's log"
  fi
  remove_containers "$PREFIX"
  "$DOCKER" network rm "$net" >/dev/null 2>&1 || true
}

# push NAME: pushes one image; prints its digest reference.
push() {
  local name=$1 tag out digest
  tag=$(tag_of "$name")
  if ! out=$("$DOCKER" push "$tag" 2>&1); then
    echo "$out" | tail -n 5 >&2
    return 1
  fi
  digest=$(grep -oE 'digest: sha256:[0-9a-f]{64}' <<<"$out" | tail -n 1 | cut -d' ' -f2)
  if [ -z "$digest" ]; then
    digest=$("$DOCKER" image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$tag" \
      | grep -F "${tag%:*}@" | head -n 1 | cut -d@ -f2)
  fi
  [ -n "$digest" ] || return 1
  echo "${tag%:*}@$digest"
}

for name in "${NAMES[@]}"; do
  note "$name ${VERSION[$name]}, replaces ${UPSTREAM[$name]}"
  build "$name"
  rc=$?
  if [ "$rc" = 2 ] && [ "$PUSH" = 1 ]; then
    fail "$name: cannot be pushed: it was not built"
  fi
  [ "$rc" = 0 ] || continue
  no_build_secrets "$name"
  case "$name" in
    hub) smoke_hub ;;
    proxy) smoke_proxy ;;
    user-scheduler) smoke_user_scheduler ;;
    pause) smoke_pause ;;
    network-tools) smoke_network_tools ;;
    registry) smoke_registry ;;
    secret-sync) smoke_secret_sync ;;
    traefik) smoke_traefik ;;
  esac
done

if [ -n "${BUILT[hub]:-}" ] && [ -n "${BUILT[proxy]:-}" ]; then
  note "hub + proxy on z2jh 4.4.0's own hub configuration"
  smoke_chart
fi

if [ "$PUSH" = 1 ]; then
  note "push to $REGISTRY"
  json="{"
  sep=""
  for name in "${NAMES[@]}"; do
    [ -n "${BUILT[$name]:-}" ] || continue
    if ref=$(push "$name"); then
      pass "$name: pushed $ref"
      json+="$sep
  \"$name\": \"$ref\""
      sep=","
    else
      fail "$name: push of $(tag_of "$name") failed"
    fi
  done
  json+="
}"
  mkdir -p "$(dirname "$OUT")"
  printf '%s\n' "$json" > "$OUT"
  echo "  wrote $OUT"
fi

finish
