#!/usr/bin/env bash
# Throughput and latency of the image's model server (`entrypoint.sh serve`, images/notebook/serve.py).
#
# Trains the iris LogisticRegression of .ci/model-test.sh in the image, serves it the way the
# ModelService Deployment runs it (one server process, non-root, read-only root filesystem, bound
# to 127.0.0.1 on the host network so all traffic stays on loopback, CPU-limited with --cpus), and
# drives POST /predict (one row per request) with wrk at 1, 8 and 32 concurrent connections for a
# fixed duration each. Prints requests/s and p50/p99 latency per level, and one FIGURE line.
#
# Needs the notebook image (bash .ci/image-test.sh builds it) and wrk (Debian's package; installed
# with apt-get when missing and running as root).
#
# Env: IMAGE (default ds-platform/notebook:ci), BENCH_SECONDS (per level, default 10),
#      BENCH_CPUS (CPU limit of the server container, default 1, as a replica's default limit),
#      BENCH_PORT (default 18651), BENCH_LEVELS (default "1 8 32").
set -uo pipefail

DOCKER=${DOCKER:-/usr/bin/docker}
IMAGE=${IMAGE:-ds-platform/notebook:ci}
SECONDS_PER_LEVEL=${BENCH_SECONDS:-10}
CPUS=${BENCH_CPUS:-1}
PORT=${BENCH_PORT:-18651}
LEVELS=${BENCH_LEVELS:-"1 8 32"}
NAME="dsp-model-bench-$$"
WORK=$(mktemp -d)

cleanup() {
  "$DOCKER" rm -f "$NAME" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "bench/model.sh: $*" >&2; exit 1; }

"$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1 || die "image $IMAGE is missing; build it with: bash .ci/image-test.sh"
if ! command -v wrk >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || die "wrk is missing (apt-get install wrk)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null || die "could not install wrk"
fi

mkdir -p "$WORK/models"
chmod 0777 "$WORK/models"
"$DOCKER" run --rm --network none -v "$WORK/models:/models" "$IMAGE" python -c '
import joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True)
joblib.dump(LogisticRegression(max_iter=1000).fit(X, y), "/models/iris.joblib")
' || die "training failed"

"$DOCKER" run -d --name "$NAME" --network host --cpus "$CPUS" \
  --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
  -v "$WORK/models:/models:ro" \
  -e MODEL_HOST=127.0.0.1 -e MODEL_PORT="$PORT" -e MODEL_NAME=iris -e MODEL_ARTIFACT=/models/iris.joblib \
  "$IMAGE" serve >/dev/null || die "server did not start"
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
  sleep 0.5
done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { "$DOCKER" logs "$NAME" | tail -20; die "server not ready"; }

cat >"$WORK/predict.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"instances": [[5.1, 3.5, 1.4, 0.2]]}'
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %.1f %.3f %.3f\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
EOF

# Warm-up, then one run per concurrency level.
wrk -t 1 -c 1 -d 2s -s "$WORK/predict.lua" "http://127.0.0.1:$PORT/predict" >/dev/null
echo "model server: iris LogisticRegression, 1 row per request, server limited to $CPUS CPU(s), ${SECONDS_PER_LEVEL}s per level, loopback"
printf '%-12s %10s %10s %10s %10s %8s\n' connections requests req/s p50_ms p99_ms errors
figure=""
for c in $LEVELS; do
  threads=$((c < 2 ? 1 : 2))
  line=$(wrk -t "$threads" -c "$c" -d "${SECONDS_PER_LEVEL}s" -s "$WORK/predict.lua" "http://127.0.0.1:$PORT/predict" | grep '^RESULT')
  read -r _ requests errors _ rps p50 p99 <<<"$line"
  printf '%-12s %10s %10s %10s %10s %8s\n' "$c" "$requests" "$rps" "$p50" "$p99" "$errors"
  figure="$figure c${c}_rps=$rps c${c}_p50_ms=$p50 c${c}_p99_ms=$p99"
done
echo "FIGURE$figure"
