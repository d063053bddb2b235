#!/usr/bin/env bash
# Notebook image benchmarks (npm run bench:image). Prints figures next to
# their targets; never fails on a target, only on a broken build.
#
#   cold build        docker build --no-cache of the cpu target (layer cache
#                     off; BuildKit download cache mounts stay as they are)
#   code-only rebuild rebuild after editing entrypoint.sh in a copy of the
#                     context, as a share of the cold build   (target <= 10%)
#   lock install      requirements.lock into a fresh venv, uv vs pip, in
#                     containers of the image's venv-build stage; only the
#                     install command is timed (venv creation is not).
#                     Both tools get the same cache condition in every run,
#                     runs alternate uv,pip / pip,uv, and min and median are
#                     reported per tool and condition:
#                       warm  each tool's own download cache already holds
#                             every package (filled once, untimed, before
#                             the timed runs); fresh venv each run
#                       cold  empty download cache each run; fresh venv
#                     Both conditions come after the untimed fill, so any
#                     cache on the network path is equally warm for both.
#   image size        uncompressed, GB                        (target <= 2.5)
#
# Env: BUILD_CA_BUNDLE (default: system bundle), RUNS (timed installs per tool
# and condition, default 3), INSTALL_CONDITIONS (default "warm cold"),
# BENCH_SKIP_INSTALL=1 to skip the uv/pip comparison, BENCH_SKIP_BUILD=1 to
# skip the cold build, rebuild and size figures.
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

RUNS=${RUNS:-3}
INSTALL_CONDITIONS=${INSTALL_CONDITIONS:-warm cold}
PREFIX="dsp-bench-$$"
TOOLS=ds-platform/notebook:bench-tools-$$
WORK=$(mktemp -d)
cleanup() {
  "$DOCKER" rm -f "$PREFIX-uv" "$PREFIX-pip" >/dev/null 2>&1 || true
  "$DOCKER" rmi "$TOOLS" >/dev/null 2>&1 || true
  rm -rf "$WORK" 2>/dev/null || true
}
trap cleanup EXIT

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

COLD="" REBUILD="" RATIO="" SIZE_GB=""
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
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

  SIZE_GB=$("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.2f", $1 / 1e9 }')
  echo "== image size"
  echo "image_size_gb=$SIZE_GB (target <= 2.5)"
  # The --no-cache build made its own copy of every layer; don't keep 1.8 GB around.
  "$DOCKER" rmi "$IMAGE" >/dev/null 2>&1 || true
fi

INSTALL_SUMMARY=""
if [ "${BENCH_SKIP_INSTALL:-0}" != 1 ]; then
  echo "== lock install: uv vs pip, requirements.lock into a fresh venv ($RUNS runs per tool and condition: $INSTALL_CONDITIONS)"
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
  build images/notebook venv-build "$TOOLS"
  # What runs in each container: venv creation (untimed), then the timed install, then an
  # import check (untimed). uv's venv has no pip; pip's venv gets pip from ensurepip.
  cat >"$WORK/install.sh" <<'SH'
set -euo pipefail
tool=$1
case $tool in
  uv) python3 -m venv --without-pip /tmp/v ;;
  pip) python3 -m venv /tmp/v ;;
esac
t0=$(date +%s.%N)
case $tool in
  uv) /opt/buildtools/bin/uv pip install --python /tmp/v/bin/python --require-hashes --no-deps \
        --build-constraints /tmp/locks/build-constraints.lock -r /tmp/locks/requirements.lock ;;
  pip) /tmp/v/bin/pip install --disable-pip-version-check --require-hashes --no-deps \
        -r /tmp/locks/requirements.lock ;;
esac
t1=$(date +%s.%N)
/tmp/v/bin/python -c 'import pyspark, jupyterhub, jupyterlab'
echo "distributions in the venv: $(ls -d /tmp/v/lib/python3*/site-packages/*.dist-info | wc -l)"
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "INSTALL_SECONDS %.1f\n", b - a }'
SH
  # run_install TOOL CACHE_DIR LOG: one install in a throwaway container with CACHE_DIR as the tool's
  # download cache; prints the seconds the install command took. The CA bundle is bind-mounted
  # read-only at run time and nothing is committed from these containers, so it never lands in a layer.
  run_install() {
    local tool=$1 cache=$2 log=$3
    "$DOCKER" run --rm --name "$PREFIX-$tool" --network host \
      -v "$CA_BUNDLE:/run/secrets/ca:ro" -v "$WORK/install.sh:/run/bench/install.sh:ro" \
      -v "$cache:/run/bench/cache" \
      -e SSL_CERT_FILE=/run/secrets/ca -e PIP_CERT=/run/secrets/ca \
      -e UV_CACHE_DIR=/run/bench/cache -e PIP_CACHE_DIR=/run/bench/cache \
      --entrypoint bash "$TOOLS" /run/bench/install.sh "$tool" >"$log" 2>&1 || {
        echo "$tool install failed:" >&2; tail -20 "$log" >&2; exit 1; }
    awk '/^INSTALL_SECONDS / { print $2 }' "$log"
  }
  # min and median of the numbers on stdin
  min_median() { sort -n | awk '{ a[NR] = $1 } END { printf "%.1f %.1f\n", a[1], NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

  echo "uv $("$DOCKER" run --rm --entrypoint /opt/buildtools/bin/uv "$TOOLS" --version | awk '{ print $2 }')," \
    "pip $("$DOCKER" run --rm --entrypoint bash "$TOOLS" -c 'python3 -m venv /tmp/v && /tmp/v/bin/pip --version' | awk '{ print $2 }')" \
    "(the venv's own, from Debian's ensurepip)"

  # Fill each tool's own cache once, untimed: the warm runs start from it, and whatever caches
  # the network path holds are then as warm for one tool as for the other in every timed run.
  mkdir -p "$WORK/cache/uv" "$WORK/cache/pip"
  for tool in uv pip; do
    fill=$(run_install "$tool" "$WORK/cache/$tool" "$WORK/fill-$tool.log")
    echo "  fill $tool cache (untimed for the comparison): ${fill}s; $(grep '^distributions' "$WORK/fill-$tool.log")"
  done

  for cond in $INSTALL_CONDITIONS; do
    case $cond in
      warm) what="warm: packages already in each tool's own download cache, fresh venv each run" ;;
      cold) what="cold: empty download cache each run, fresh venv each run" ;;
      *) echo "unknown INSTALL_CONDITIONS entry: $cond (allowed: warm cold)" >&2; exit 1 ;;
    esac
    echo "-- $what"
    : >"$WORK/$cond-uv.times"
    : >"$WORK/$cond-pip.times"
    for run in $(seq 1 "$RUNS"); do
      # uv,pip then pip,uv: neither tool always goes first.
      if [ $((run % 2)) = 1 ]; then order="uv pip"; else order="pip uv"; fi
      line="  run $run:"
      for tool in $order; do
        cache="$WORK/cache/$tool"
        if [ "$cond" = cold ]; then cache="$WORK/cold-$tool-$run"; mkdir -p "$cache"; fi
        t=$(run_install "$tool" "$cache" "$WORK/$cond-$tool-$run.log")
        if [ "$cond" = cold ]; then rm -rf "$cache"; fi
        echo "$t" >>"$WORK/$cond-$tool.times"
        line="$line $tool ${t}s"
      done
      echo "$line"
    done
    read -r uv_min uv_med < <(min_median <"$WORK/$cond-uv.times")
    read -r pip_min pip_med < <(min_median <"$WORK/$cond-pip.times")
    ratio=$(awk -v p="$pip_med" -v u="$uv_med" 'BEGIN { printf "%.1f", p / u }')
    ratio_min=$(awk -v p="$pip_min" -v u="$uv_min" 'BEGIN { printf "%.1f", p / u }')
    faster=$(awk -v p="$pip_med" -v u="$uv_med" 'BEGIN { print (p >= u ? "uv faster" : "pip faster") }')
    echo "install_${cond}: uv min ${uv_min}s median ${uv_med}s; pip min ${pip_min}s median ${pip_med}s;" \
      "pip/uv ${ratio}x by median (${ratio_min}x by min), ${faster} [$what; $RUNS runs each, order alternating]"
    INSTALL_SUMMARY="$INSTALL_SUMMARY ${cond}_uv_median_s=$uv_med ${cond}_pip_median_s=$pip_med ${cond}_pip_over_uv=${ratio}x"
  done
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
fi

echo
summary="SUMMARY"
if [ -n "$COLD" ]; then
  summary="$summary cold_build_s=$COLD code_only_rebuild_s=$REBUILD (${RATIO}% of cold, target <= 10%) image_gb=$SIZE_GB (target <= 2.5)"
fi
echo "$summary$INSTALL_SUMMARY"
