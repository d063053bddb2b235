#!/usr/bin/env bash
# Build the notebook image (cpu target) and smoke-test it.
#
# Every container uses host networking and binds to 127.0.0.1 only, so all
# test traffic stays on loopback. Ends with "N passed, M failed" and exits
# non-zero if anything failed.
#
# Env: BUILD_CA_BUNDLE (CA bundle passed to the build as the "ca" secret;
#      default: the system bundle), IMAGE (tag to build), SKIP_BUILD=1 to test
#      an existing IMAGE, SKIP_UID_BUILD=1 to skip the custom-UID build,
#      IMAGE_TEST_GPU=1 to also build and check the gpu target.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/checks.sh
source "$ROOT/.ci/lib/checks.sh"
cd "$ROOT" || exit 1

DOCKER=${DOCKER:-/usr/bin/docker}
IMAGE=${IMAGE:-ds-platform/notebook:ci}
CA_BUNDLE=${BUILD_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
CONTEXT=images/notebook
EXPECTED_UID=1000
EXPECTED_GID=100
ALT_UID=1234

# Fixed loopback ports (kept clear of common defaults to avoid clashes).
MASTER_PORT=17077 MASTER_UI=18080
# shellcheck disable=SC2034 # read indirectly (WORKER${i}_PORT)
WORKER1_PORT=17078 WORKER1_UI=18081
# shellcheck disable=SC2034
WORKER2_PORT=17079 WORKER2_UI=18082
DRIVER_PORT=17100 DRIVER_BM_PORT=17101 EXEC_BM_PORT=17110
K8S_MASTER_PORT=17177 K8S_MASTER_UI=18180
K8S_DRIVER_PORT=17200 K8S_DRIVER_BM_PORT=17201 K8S_EXEC_BM_PORT=17210

PREFIX="dsp-it-$$"
WORK=$(mktemp -d)

cleanup() {
  remove_containers "$PREFIX"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run NAME TIMEOUT ARGS... : a one-shot container from IMAGE on the host network.
run() {
  local name=$1 secs=$2
  shift 2
  timeout "$secs" "$DOCKER" run --rm --name "${PREFIX}-${name}" --network host \
    -e SPARK_LOCAL_IP=127.0.0.1 "$@"
}

# start NAME ARGS... : a background container from the image arguments given.
start() {
  local name=$1
  shift
  "$DOCKER" run -d --name "${PREFIX}-${name}" --network host \
    -e SPARK_LOCAL_IP=127.0.0.1 "$@" >/dev/null
}

# wait_log NAME PATTERN COUNT SECS : until PATTERN occurs COUNT times in the logs.
wait_log() {
  local name=$1 pattern=$2 count=$3 secs=$4 n i
  for ((i = 0; i < secs; i++)); do
    n=$("$DOCKER" logs "${PREFIX}-${name}" 2>&1 | grep -cE -- "$pattern" || true)
    [ "$n" -ge "$count" ] && return 0
    if [ "$("$DOCKER" inspect -f '{{.State.Running}}' "${PREFIX}-${name}" 2>/dev/null)" != true ]; then
      return 1
    fi
    sleep 1
  done
  return 1
}

# wait_exit NAME SECS : wait for a container to stop; prints its exit code.
wait_exit() {
  local name=$1 secs=$2
  timeout "$secs" "$DOCKER" wait "${PREFIX}-${name}" 2>/dev/null || echo timeout
}

show_logs() {
  local name
  for name in "$@"; do
    echo "  ---- last log lines of $name:"
    "$DOCKER" logs --tail 25 "${PREFIX}-${name}" 2>&1 | sed 's/^/  | /'
  done
}

# ---------------------------------------------------------------------------
note "docker engine and base image"
# shellcheck source=.ci/lib/docker.sh
source "$ROOT/.ci/lib/docker.sh"
ensure_docker || { fail "docker engine could not be started"; finish; }
BASE_IMAGE=$(bash "$ROOT/.ci/lib/base-image.sh") || { fail "base image could not be built"; finish; }
echo "base image: $BASE_IMAGE"

if [ ! -r "$CA_BUNDLE" ]; then
  fail "CA bundle $CA_BUNDLE is not readable (set BUILD_CA_BUNDLE)"
  finish
fi

build() {
  DOCKER_BUILDKIT=1 "$DOCKER" build \
    --build-arg BASE_IMAGE="$BASE_IMAGE" \
    --build-arg SOURCE_URL="https://example.invalid/ds-platform" \
    --build-arg REVISION="$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)" \
    --secret id=ca,src="$CA_BUNDLE" \
    --target cpu "$@" "$CONTEXT"
}

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  note "build $IMAGE (target cpu)"
  t0=$(date +%s)
  if build -t "$IMAGE" >"$WORK/build.log" 2>&1; then
    BUILD_SECS=$(($(date +%s) - t0))
    pass "image builds (cpu target) in ${BUILD_SECS}s"
  else
    tail -40 "$WORK/build.log"
    fail "image build failed"
    finish
  fi
else
  BUILD_SECS=skipped
fi
SIZE_BYTES=$("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE")
SIZE_GB=$(awk -v b="$SIZE_BYTES" 'BEGIN { printf "%.2f", b / 1e9 }')
echo "FIGURE build_seconds=${BUILD_SECS} image_size_gb=${SIZE_GB} (target <= 2.5)"

# ---------------------------------------------------------------------------
note "a. non-root user and writable home"
out=$(run user 60 "$IMAGE" bash -c 'echo "$(id -u) $(id -g) $(id -un) $HOME $PWD"; touch "$HOME/.probe" && echo home-writable')
if [ "$(head -1 <<<"$out")" = "$EXPECTED_UID $EXPECTED_GID jovyan /home/jovyan /home/jovyan" ] &&
   grep -qx home-writable <<<"$out"; then
  pass "runs as jovyan uid=$EXPECTED_UID gid=$EXPECTED_GID, home /home/jovyan writable"
else
  fail "user/home: got: $out"
fi

if [ "${SKIP_UID_BUILD:-0}" != 1 ]; then
  # Only the user layer and what follows rebuild; the dependency layers are cached.
  if build --build-arg NB_UID=$ALT_UID -t "$IMAGE-uid$ALT_UID" >"$WORK/build-uid.log" 2>&1; then
    out=$(run user-alt 60 "$IMAGE-uid$ALT_UID" bash -c 'echo "$(id -u) $(id -un)"; touch "$HOME/.probe" && echo home-writable')
    if [ "$(head -1 <<<"$out")" = "$ALT_UID jovyan" ] && grep -qx home-writable <<<"$out"; then
      pass "NB_UID=$ALT_UID build arg gives uid $ALT_UID with writable home"
    else
      fail "NB_UID build arg: got: $out"
    fi
    "$DOCKER" rmi "$IMAGE-uid$ALT_UID" >/dev/null 2>&1 || true
  else
    tail -20 "$WORK/build-uid.log"
    fail "build with NB_UID=$ALT_UID failed"
  fi
fi

# ---------------------------------------------------------------------------
note "b. Jupyter versions"
out=$(run versions 120 "$IMAGE" bash -c 'jupyter lab --version; jupyterhub-singleuser --version; python --version; java -version 2>&1 | head -1; python -c "import pyspark; print(pyspark.__version__)"')
echo "$out" | sed 's/^/  /'
lab=$(sed -n 1p <<<"$out") hub=$(sed -n 2p <<<"$out")
if [[ "$lab" =~ ^4\.[0-9]+\.[0-9]+$ ]]; then pass "jupyter lab --version = $lab"; else fail "jupyter lab --version: $lab"; fi
if [[ "$hub" =~ ^5\.5\.[0-9]+$ ]]; then pass "jupyterhub-singleuser --version = $hub (5.5.x)"; else fail "jupyterhub-singleuser --version: $hub"; fi
# JAVA_HOME is derived from the build's target architecture; it must name this image's JDK.
java_home=$(run java-home 60 "$IMAGE" bash -c 'echo "$JAVA_HOME"; "$JAVA_HOME/bin/java" -version 2>&1 | head -1; dpkg --print-architecture')
if [ "$(sed -n 1p <<<"$java_home")" = "/usr/lib/jvm/java-17-openjdk-$(sed -n 3p <<<"$java_home")" ] && grep -q 'version "17' <<<"$java_home"; then
  pass "JAVA_HOME $(sed -n 1p <<<"$java_home") matches the image's architecture and runs Java 17"
else
  fail "JAVA_HOME does not name this architecture's JDK: $java_home"
fi

# ---------------------------------------------------------------------------
note "c. PySpark local mode"
out=$(run local 300 "$IMAGE" python -c '
from pyspark.sql import SparkSession
spark = SparkSession.builder.master("local[2]").appName("ci-local").getOrCreate()
sc = spark.sparkContext
sc.setLogLevel("ERROR")
print("SUM=%d" % sc.parallelize(range(1, 1001), 4).sum())
words = sc.parallelize(["a b a", "c a b"]).flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(lambda x, y: x + y)
print("WORDS=" + ",".join("%s:%d" % kv for kv in sorted(words.collect())))
print("DF=%d" % spark.range(1, 101).selectExpr("sum(id) AS s").first().s)
spark.stop()
' 2>"$WORK/local.err")
if grep -qx 'SUM=500500' <<<"$out" && grep -qx 'WORDS=a:3,b:2,c:1' <<<"$out" && grep -qx 'DF=5050' <<<"$out"; then
  pass "local[2]: sum(1..1000)=500500, word count a:3,b:2,c:1, DataFrame sum(1..100)=5050"
else
  fail "local mode: got: $out"; tail -20 "$WORK/local.err"
fi

# ---------------------------------------------------------------------------
# Driver script shared by d and e: waits for N executors, runs a job whose
# tasks report which container they ran in (NODE_TAG env), prints results.
cat >"$WORK/driver.py" <<'PY'
import json, os, sys, time, urllib.request
from pyspark.sql import SparkSession

master, driver_port, bm_port, exec_bm_port, want = sys.argv[1:6]
worker_uis = sys.argv[6:]
want = int(want)
spark = (SparkSession.builder.master(master).appName("ci-cluster")
         .config("spark.driver.host", "127.0.0.1")
         .config("spark.driver.bindAddress", "127.0.0.1")
         .config("spark.driver.port", driver_port)
         .config("spark.driver.blockManager.port", bm_port)
         .config("spark.blockManager.port", exec_bm_port)
         .config("spark.executor.cores", "1")
         .config("spark.cores.max", str(want))
         .config("spark.executor.memory", "512m")
         .config("spark.ui.showConsoleProgress", "false")
         .getOrCreate())
sc = spark.sparkContext
sc.setLogLevel("WARN")
print("APP_ID=" + sc.applicationId, flush=True)

deadline = time.time() + 240
def executors():
    return sc._jsc.sc().getExecutorIds().size()  # a Scala Seq
while executors() < want and time.time() < deadline:
    time.sleep(1)
print("EXECUTORS=%d" % executors(), flush=True)

def tag(part):
    time.sleep(0.5)  # keep every executor busy so both get tasks
    yield os.environ.get("NODE_TAG", "unknown")

rdd = sc.parallelize(range(1, 1001), 8)
print("SUM=%d" % rdd.sum(), flush=True)
tags = sorted(set(sc.parallelize(range(16), 16).mapPartitions(tag).collect()))
print("TAGS=" + ",".join(tags), flush=True)

for ui in worker_uis:
    with urllib.request.urlopen("http://127.0.0.1:%s/json" % ui, timeout=10) as r:
        info = json.load(r)
    print("WORKER_UI_%s_EXECUTORS=%d" % (ui, len(info.get("executors", []))), flush=True)
spark.stop()
PY
chmod 0644 "$WORK/driver.py"
chmod 0755 "$WORK"

note "d. standalone master + 2 workers + client-mode driver, one container each"
start master -e SPARK_DAEMON_MEMORY=256m "$IMAGE" \
  spark-class org.apache.spark.deploy.master.Master --host 127.0.0.1 --port $MASTER_PORT --webui-port $MASTER_UI
if wait_log master "Starting Spark master|I have been elected leader" 1 90; then
  for i in 1 2; do
    port_var=WORKER${i}_PORT ui_var=WORKER${i}_UI
    start "worker$i" -e SPARK_DAEMON_MEMORY=256m -e NODE_TAG="worker-$i" "$IMAGE" \
      spark-class org.apache.spark.deploy.worker.Worker --host 127.0.0.1 \
      --port "${!port_var}" --webui-port "${!ui_var}" --cores 1 --memory 1g \
      --work-dir /tmp/spark-work "spark://127.0.0.1:$MASTER_PORT"
  done
  if wait_log master "Registering worker" 2 120; then
    out=$(run driver 360 -v "$WORK/driver.py:/tmp/driver.py:ro" "$IMAGE" \
      python /tmp/driver.py "spark://127.0.0.1:$MASTER_PORT" $DRIVER_PORT $DRIVER_BM_PORT $EXEC_BM_PORT 2 \
      $WORKER1_UI $WORKER2_UI 2>"$WORK/driver-d.err")
    echo "$out" | sed 's/^/  /'
    if grep -qx 'SUM=500500' <<<"$out"; then pass "standalone: driver got sum(1..1000)=500500 from the cluster"; else fail "standalone: job result wrong or missing"; tail -20 "$WORK/driver-d.err"; fi
    if grep -qx 'EXECUTORS=2' <<<"$out" && grep -qx 'TAGS=worker-1,worker-2' <<<"$out" &&
       grep -qx "WORKER_UI_${WORKER1_UI}_EXECUTORS=1" <<<"$out" && grep -qx "WORKER_UI_${WORKER2_UI}_EXECUTORS=1" <<<"$out"; then
      pass "standalone: both workers ran an executor and tasks (tags worker-1,worker-2; worker UIs list 1 executor each)"
    else
      fail "standalone: executors not on both workers"
    fi
  else
    fail "standalone: two workers did not register with the master"; show_logs master worker1 worker2
  fi
else
  fail "standalone: master did not start"; show_logs master
fi
"$DOCKER" rm -f "${PREFIX}-master" "${PREFIX}-worker1" "${PREFIX}-worker2" >/dev/null 2>&1 || true

# ---------------------------------------------------------------------------
note "e. executors started through the entrypoint ('executor' + Kubernetes env) serve a client-mode driver"
# A standalone master with no workers only gives the driver a
# CoarseGrainedSchedulerBackend to register with; every executor comes from
# the entrypoint, the way Spark's Kubernetes scheduler starts executor pods.
start k8s-master -e SPARK_DAEMON_MEMORY=256m "$IMAGE" \
  spark-class org.apache.spark.deploy.master.Master --host 127.0.0.1 --port $K8S_MASTER_PORT --webui-port $K8S_MASTER_UI
if wait_log k8s-master "Starting Spark master|I have been elected leader" 1 90; then
  start k8s-driver -v "$WORK/driver.py:/tmp/driver.py:ro" "$IMAGE" \
    python /tmp/driver.py "spark://127.0.0.1:$K8S_MASTER_PORT" $K8S_DRIVER_PORT $K8S_DRIVER_BM_PORT $K8S_EXEC_BM_PORT 2
  if wait_log k8s-driver '^APP_ID=' 1 180; then
    app_id=$("$DOCKER" logs "${PREFIX}-k8s-driver" 2>/dev/null | sed -n 's/^APP_ID=//p' | head -1)
    echo "  driver app id: $app_id"
    for i in 1 2; do
      start "k8s-exec$i" \
        -e SPARK_DRIVER_URL="spark://CoarseGrainedScheduler@127.0.0.1:$K8S_DRIVER_PORT" \
        -e SPARK_EXECUTOR_ID="$i" \
        -e SPARK_EXECUTOR_CORES=1 \
        -e SPARK_EXECUTOR_MEMORY=512m \
        -e SPARK_APPLICATION_ID="$app_id" \
        -e SPARK_EXECUTOR_POD_IP=127.0.0.1 \
        -e SPARK_EXECUTOR_POD_NAME="ci-exec-$i" \
        -e SPARK_RESOURCE_PROFILE_ID=0 \
        -e SPARK_JAVA_OPT_0="-Dspark.driver.port=$K8S_DRIVER_PORT" \
        -e NODE_TAG="exec-pod-$i" \
        "$IMAGE" executor
    done
    rc=$(wait_exit k8s-driver 300)
    out=$("$DOCKER" logs "${PREFIX}-k8s-driver" 2>/dev/null)
    echo "$out" | sed 's/^/  /'
    if [ "$rc" = 0 ] && grep -qx 'EXECUTORS=2' <<<"$out" && grep -qx 'SUM=500500' <<<"$out" &&
       grep -qx 'TAGS=exec-pod-1,exec-pod-2' <<<"$out"; then
      pass "entrypoint executors: 2 registered, sum=500500, tasks ran in exec-pod-1 and exec-pod-2"
    else
      fail "entrypoint executors (driver exit: $rc)"; show_logs k8s-driver k8s-exec1 k8s-exec2
    fi
    exec_log=$("$DOCKER" logs "${PREFIX}-k8s-exec1" 2>&1)
    if grep -q 'org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend --driver-url' <<<"$exec_log"; then
      pass "executor containers ran org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend"
    else
      fail "executor container log does not show KubernetesExecutorBackend"; show_logs k8s-exec1
    fi
  else
    fail "entrypoint executors: driver did not start"; show_logs k8s-driver
  fi
else
  fail "entrypoint executors: master did not start"; show_logs k8s-master
fi
"$DOCKER" rm -f "${PREFIX}-k8s-master" "${PREFIX}-k8s-driver" "${PREFIX}-k8s-exec1" "${PREFIX}-k8s-exec2" >/dev/null 2>&1 || true

# ---------------------------------------------------------------------------
note "f. entrypoint pass-through and executor argument checks"
out=$(run echo 30 "$IMAGE" echo hi 2>&1)
if [ "$out" = hi ]; then pass "'echo hi' passes through unchanged"; else fail "'echo hi' printed: $out"; fi
out=$(run args 30 "$IMAGE" python -c 'import sys; print(sys.argv[1:])' 'a b' executor 2>&1)
if [ "$out" = "['a b', 'executor']" ]; then pass "arguments pass through verbatim"; else fail "argument pass-through: $out"; fi
out=$(run exec-noenv 30 "$IMAGE" executor 2>&1); rc=$?
if [ "$rc" -ne 0 ] && grep -q 'SPARK_DRIVER_URL' <<<"$out" && grep -q 'SPARK_EXECUTOR_POD_NAME' <<<"$out"; then
  pass "'executor' without env exits $rc with: $out"
else
  fail "'executor' without env: rc=$rc out=$out"
fi
out=$(run gpu-disc 30 "$IMAGE" /opt/spark-scripts/gpu-discovery.sh 2>&1)
if [ "$out" = '{"name": "gpu", "addresses": []}' ]; then pass "gpu-discovery.sh without a GPU: $out"; else fail "gpu-discovery.sh: $out"; fi
out=$(run conf 30 "$IMAGE" bash -c 'echo "$SPARK_CONF_DIR $(ls -A "$SPARK_CONF_DIR" | wc -l) $SPARK_HOME $PYSPARK_PYTHON"; test -x "$SPARK_HOME/bin/spark-submit" && echo ok' 2>&1)
if [ "$(head -1 <<<"$out")" = "/etc/spark/conf 0 /opt/venv/lib/python3.11/site-packages/pyspark /opt/venv/bin/python" ] && grep -qx ok <<<"$out"; then
  pass "SPARK_CONF_DIR=/etc/spark/conf (empty), SPARK_HOME and PYSPARK_PYTHON set"
else
  fail "Spark env: $out"
fi

# ---------------------------------------------------------------------------
note "g. final image hygiene"
out=$(run hygiene 60 -u 0 "$IMAGE" bash -c '
  for c in gcc cc g++ c++ clang make pip pip3 uv; do command -v "$c"; done
  ls -d /opt/buildtools 2>/dev/null
  for d in /root/.cache /home/jovyan/.cache /tmp/locks; do [ -e "$d" ] && find "$d" -mindepth 1 | head -3; done
  true' 2>&1)
if [ -z "$out" ]; then
  pass "no compiler, pip/uv, build tools or pip/uv cache in the image"
else
  fail "unexpected build leftovers: $(tr '\n' ' ' <<<"$out")"
fi

out=$(run no-cuda 60 "$IMAGE" python -c 'import importlib.util as u; print([m for m in ("cupy", "cupy_backends") if u.find_spec(m)])' 2>&1)
if [ "$out" = "[]" ]; then pass "cpu target has no CUDA libraries (cupy absent)"; else fail "cpu target has CUDA libraries: $out"; fi

# The CA secret must not be in any layer or in the history. Public CAs are
# legitimately in the image (Debian's ca-certificates, certifi's bundle), so
# look for the certificates of BUILD_CA_BUNDLE that neither package ships
# (the locally added ones, e.g. a TLS-intercepting proxy's), by a base64 line
# from the middle of each, in the raw layer tars of "docker save".
"$DOCKER" run --rm --entrypoint bash "$IMAGE" -c \
  'cat /usr/share/ca-certificates/mozilla/*.crt "$(python -c "import certifi; print(certifi.where())")"' \
  >"$WORK/public-cas.pem" 2>/dev/null
# A line is used only if no public certificate has it: re-issued CAs share
# key material, so a random line could belong to a public one too.
awk '
  /-----BEGIN CERTIFICATE-----/ { body = ""; n = 0; inb = 1; next }
  /-----END CERTIFICATE-----/ { inb = 0
    if (FILENAME == ARGV[1]) { seen[body] = 1; next }
    if (body in seen) next
    for (i = 2; i < n; i++) if (length(line[i]) == 64 && !(line[i] in publine)) { print line[i]; break }
    next }
  inb { body = body $0; line[++n] = $0; if (FILENAME == ARGV[1]) publine[$0] = 1 }
' "$WORK/public-cas.pem" "$CA_BUNDLE" >"$WORK/ca-patterns"
extra=$(wc -l <"$WORK/ca-patterns")
hist=$("$DOCKER" history --no-trunc "$IMAGE" | grep -c 'BEGIN CERTIFICATE' || true)
if [ "$(grep -c 'BEGIN CERTIFICATE' "$WORK/public-cas.pem")" -lt 50 ]; then
  fail "could not read the image's public CA sets to compare against"
elif [ "$extra" -gt 0 ]; then
  hits=$("$DOCKER" save "$IMAGE" | grep -aFc -f "$WORK/ca-patterns" || true)
  if [ "$hits" -eq 0 ] && [ "$hist" -eq 0 ]; then
    pass "none of the $extra non-public CA certificate(s) of the build secret is in any layer or the history"
  else
    fail "CA secret content found: $hits layer matches, $hist history matches"
  fi
elif [ "$hist" -eq 0 ]; then
  pass "CA bundle holds only public CAs; no PEM text in the history"
else
  fail "PEM text in the image history"
fi

# ---------------------------------------------------------------------------
# Optional (IMAGE_TEST_GPU=1): the gpu target downloads ~3 GB of CUDA wheels,
# so CI skips it. It must be the cpu layers plus its own, and import CuPy.
if [ "${IMAGE_TEST_GPU:-0}" = 1 ]; then
  note "gpu target"
  t0=$(date +%s)
  if DOCKER_BUILDKIT=1 "$DOCKER" build --build-arg BASE_IMAGE="$BASE_IMAGE" \
       --secret id=ca,src="$CA_BUNDLE" --target gpu -t "$IMAGE-gpu" "$CONTEXT" >"$WORK/build-gpu.log" 2>&1; then
    pass "gpu target builds in $(($(date +%s) - t0))s"
    layers() { "$DOCKER" image inspect -f '{{range .RootFS.Layers}}{{println .}}{{end}}' "$1" | sed '/^$/d'; }
    n_cpu=$(layers "$IMAGE" | wc -l)
    if [ "$(layers "$IMAGE-gpu" | head -n "$n_cpu")" = "$(layers "$IMAGE")" ]; then
      pass "gpu image = the $n_cpu cpu layers + $(( $(layers "$IMAGE-gpu" | wc -l) - n_cpu )) more"
    else
      fail "gpu image does not start with the cpu layers"
    fi
    out=$(run gpu-import 120 "$IMAGE-gpu" python -c 'import cupy; print("cupy", cupy.__version__)' 2>&1)
    if grep -q '^cupy ' <<<"$out"; then pass "gpu target imports $out"; else fail "gpu target: $out"; fi
    echo "FIGURE gpu_image_size_gb=$("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE-gpu" | awk '{ printf "%.2f", $1 / 1e9 }')"
  else
    tail -20 "$WORK/build-gpu.log"; fail "gpu target build failed"
  fi
fi

echo "FIGURE build_seconds=${BUILD_SECS} image_size_gb=${SIZE_GB}"
finish
