#!/usr/bin/env bash
# Notebook image benchmarks (npm run bench:image). Prints figures next to
# their targets; never fails on a target, only on a broken build.
#
#   cold build        docker build --no-cache of the cpu target (layer cache
#                     off; BuildKit download cache mounts stay as they are)
#   code-only rebuild rebuild after editing entrypoint.sh in a copy of the
#                     context, as a share of the cold build   (target <= 10%)
#   lock install      requirements.lock into a fresh venv in the base image,
#                     uv vs pip, each with an empty download cache
#   image size        uncompressed, GB                        (target <= 2.5)
#
# Env: BUILD_CA_BUNDLE (default: system bundle), BENCH_SKIP_INSTALL=1 to skip
# the uv/pip comparison (it downloads the lock twice).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DOCKER=${DOCKER:-/usr/bin/docker}
IMAGE=ds-platform/notebook:bench
CA_BUNDLE=${BUILD_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

# shellcheck source=.ci/lib/docker.sh
source "$ROOT/.ci/lib/docker.sh"
ensure_docker
BASE_IMAGE=$(bash "$ROOT/.ci/lib/base-image.sh")

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; "$DOCKER" rm -f dsp-bench-uv dsp-bench-pip >/dev/null 2>&1 || true' EXIT

build() { # build CONTEXT TARGET TAG [extra args...]
  local ctx=$1 target=$2 tag=$3
  shift 3
  DOCKER_BUILDKIT=1 "$DOCKER" build --progress=plain \
    --build-arg BASE_IMAGE="$BASE_IMAGE" \
    --secret id=ca,src="$CA_BUNDLE" \
    --target "$target" -t "$tag" "$@" "$ctx" >"$WORK/build-$target-$(date +%s%N).log" 2>&1 || {
      echo "build failed:" >&2; tail -30 "$WORK"/build-*.log >&2; exit 1; }
}
secs_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

echo "== cold build (--no-cache, target cpu)"
t0=$(date +%s.%N)
build images/notebook cpu "$IMAGE" --no-cache
COLD=$(secs_since "$t0")
echo "cold_build_seconds=$COLD (layer cache off; apt/uv download cache mounts kept)"

echo "== code-only rebuild (entrypoint.sh edited in a copy of the context)"
cp -a images/notebook "$WORK/ctx"
build "$WORK/ctx" cpu "$IMAGE-edit"   # same content: all layers from cache
echo "# benchmark edit $(date +%s%N)" >>"$WORK/ctx/entrypoint.sh"
t0=$(date +%s.%N)
build "$WORK/ctx" cpu "$IMAGE-edit"
REBUILD=$(secs_since "$t0")
RATIO=$(awk -v r="$REBUILD" -v c="$COLD" 'BEGIN { printf "%.1f", 100 * r / c }')
echo "code_only_rebuild_seconds=$REBUILD ratio_of_cold=${RATIO}% (target <= 10%)"
"$DOCKER" rmi "$IMAGE-edit" >/dev/null 2>&1 || true

if [ "${BENCH_SKIP_INSTALL:-0}" != 1 ]; then
  echo "== lock install: uv vs pip (fresh venv and empty cache each, in the image's build stage)"
  build images/notebook venv-build ds-platform/notebook:bench-tools
  # The CA bundle is mounted at run time only (these containers are thrown away).
  run_install() { # NAME COMMAND
    local name=$1 cmd=$2 t0
    t0=$(date +%s.%N)
    "$DOCKER" run --rm --name "dsp-bench-$name" --network host \
      -v "$CA_BUNDLE:/run/secrets/ca:ro" \
      -e SSL_CERT_FILE=/run/secrets/ca -e PIP_CERT=/run/secrets/ca \
      -e UV_CACHE_DIR=/tmp/uv-cache -e PIP_CACHE_DIR=/tmp/pip-cache \
      --entrypoint bash ds-platform/notebook:bench-tools -c "$cmd" >"$WORK/$name.log" 2>&1 || {
        echo "$name install failed:" >&2; tail -20 "$WORK/$name.log" >&2; exit 1; }
    secs_since "$t0"
  }
  UV=$(run_install uv 'python3 -m venv --without-pip /tmp/v && /opt/buildtools/bin/uv pip install --python /tmp/v/bin/python --require-hashes --no-deps --build-constraints /tmp/locks/build-constraints.lock -r /tmp/locks/requirements.lock')
  PIP=$(run_install pip 'python3 -m venv /tmp/v && /tmp/v/bin/pip install --disable-pip-version-check --require-hashes --no-deps -r /tmp/locks/requirements.lock')
  echo "uv_install_seconds=$UV pip_install_seconds=$PIP pip_over_uv=$(awk -v p="$PIP" -v u="$UV" 'BEGIN { printf "%.1fx", p / u }')"
  "$DOCKER" rmi ds-platform/notebook:bench-tools >/dev/null 2>&1 || true
fi

SIZE_GB=$("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.2f", $1 / 1e9 }')
echo "== image size"
echo "image_size_gb=$SIZE_GB (target <= 2.5)"
# The --no-cache build made its own copy of every layer; don't keep 1.8 GB around.
"$DOCKER" rmi "$IMAGE" >/dev/null 2>&1 || true

echo
echo "SUMMARY cold_build_s=$COLD code_only_rebuild_s=$REBUILD (${RATIO}% of cold, target <= 10%) image_gb=$SIZE_GB (target <= 2.5)${UV:+ uv_install_s=$UV pip_install_s=$PIP}"
