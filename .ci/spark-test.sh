#!/usr/bin/env bash
# Run a real client-mode Spark driver on the spark-defaults.conf the dev stack generates, with
# executors of the same image started through the image's `executor` entrypoint.
#
# The dev stack is rendered under Pulumi mocks; its Spark ConfigMap is written out as the files a
# notebook pod sees at /etc/spark/conf. A "notebook pod" container of the image mounts them there,
# gets POD_NAME and POD_IP as the downward API would set them (from the rendered singleuser.extraEnv),
# and runs a Python driver the way a notebook does: SparkSession.builder.getOrCreate(), with no
# settings of its own but spark.master. There is no Kubernetes API here, so spark.master points at a
# Spark standalone master with no workers: it only gives the driver a CoarseGrainedSchedulerBackend
# (dynamic allocation included) that executors register with. Every executor comes from the
# entrypoint with the environment Spark's Kubernetes scheduler puts on executor pods, and with the
# user, capabilities and limits of the generated executor pod template.
#
# Network: the generated conf binds the driver to 0.0.0.0 (spark.driver.bindAddress), which on the
# host network would listen on every host interface. Instead, all containers share one network
# namespace that has a loopback interface only (a holder container with --network none; the others
# join it): 127.0.0.1 stands for the notebook pod's IP and 127.0.0.2 and up for the executor pods',
# nothing is reachable from outside, and the generated bind address is kept. Ports: the generated
# driver ports (29413/29433 on dev), 19xxx for the rest.
#
# Event logs: the stack is rendered with the history server on (STACK_OVERRIDES), so the conf
# turns event logging on. A directory stands for the event-log claim; it is mounted where the hub
# values mount the claim in notebook pods. After the driver stops, its application's log must be
# there, and a history server started as the rendered Deployment starts it must list the application.
#
# Needs the notebook image (bash .ci/image-test.sh builds it) and `npm ci` (ts-node). Ends with
# "N passed, M failed" and exits non-zero if anything failed.
#
# Env: IMAGE (default ds-platform/notebook:ci), STACK (default dev), STACK_OVERRIDES (stack-config
#      JSON laid over the stack's; default: the history server on), SPARK_TEST_LOG_DIR (a directory
#      to keep the containers' logs in, for CI artifacts).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/checks.sh
source "$ROOT/.ci/lib/checks.sh"
cd "$ROOT" || exit 1

DOCKER=${DOCKER:-/usr/bin/docker}
IMAGE=${IMAGE:-ds-platform/notebook:ci}
STACK=${STACK:-dev}
STACK_OVERRIDES=${STACK_OVERRIDES:-'{"spark":{"historyServer":{"enabled":true}}}'}
HISTORY_SECS=120

# What the downward API gives the notebook pod: z2jh names a user's pod jupyter-<user>.
NOTEBOOK_POD_NAME=jupyter-admin
# The executor namespace the hub gives the dev stack's user admin: <cluster.namespace>-u-<user>.
EXECUTOR_NAMESPACE=ds-platform-u-admin
NOTEBOOK_POD_IP=127.0.0.1
EXECUTORS=2
MASTER_PORT=19077
MASTER_UI_PORT=19080
# On Kubernetes every executor pod has an IP of its own. Here each executor gets an address of its
# own on the loopback interface (all of 127.0.0.0/8 is local): with one shared address, Spark would
# take the executors for one host and read each other's shuffle files from a local disk that is not
# there. They also bind the generated spark.blockManager.port in their own pod; here the driver's
# block manager holds that port on every address (bindAddress 0.0.0.0), so each executor gets a
# port of its own.
EXEC_IPS=(127.0.0.2 127.0.0.3)
EXEC_BM_PORTS=(19101 19102)

# Timeouts in seconds.
MASTER_SECS=90
APP_SECS=180
REGISTER_SECS=180
DRIVER_SECS=480
STOP_SECS=60

PREFIX="dsp-spark-$$"
HOLDER="${PREFIX}-net"
WORK=$(mktemp -d)

cleanup() {
  local ids name
  ids=$("$DOCKER" ps -aq --filter "name=^${PREFIX}-" 2>/dev/null || true)
  if [ -n "${SPARK_TEST_LOG_DIR:-}" ] && [ -n "$ids" ]; then
    mkdir -p "$SPARK_TEST_LOG_DIR"
    for name in $("$DOCKER" ps -a --filter "name=^${PREFIX}-" --format '{{.Names}}'); do
      "$DOCKER" logs "$name" >"$SPARK_TEST_LOG_DIR/${name#"$PREFIX"-}.log" 2>&1 || true
    done
  fi
  remove_containers "$PREFIX"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# conf KEY: the value of KEY in the generated spark-defaults.conf (the renderer writes "key value").
conf() {
  awk -v k="$1" '$1 == k { sub(/^[^ \t]+[ \t]+/, ""); print; found = 1; exit } END { exit !found }' "$CONF_DIR/spark-defaults.conf"
}

# start NAME ARGS... : a background container in the shared loopback-only network namespace.
start() {
  local name=$1
  shift
  "$DOCKER" run -d --name "${PREFIX}-${name}" --network "container:$HOLDER" "$@" >/dev/null
}

running() { [ "$("$DOCKER" inspect -f '{{.State.Running}}' "${PREFIX}-$1" 2>/dev/null)" = true ]; }

# wait_log NAME PATTERN COUNT SECS : until PATTERN occurs COUNT times in the container's logs.
wait_log() {
  local name=$1 pattern=$2 count=$3 n deadline=$((SECONDS + $4))
  while [ "$SECONDS" -lt "$deadline" ]; do
    n=$("$DOCKER" logs "${PREFIX}-${name}" 2>&1 | grep -cE -- "$pattern" || true)
    [ "$n" -ge "$count" ] && return 0
    running "$name" || return 1
    sleep 1
  done
  return 1
}

# wait_exit NAME SECS : waits for a container to stop; prints its exit code, or "timeout".
wait_exit() {
  timeout "$2" "$DOCKER" wait "${PREFIX}-$1" 2>/dev/null || echo timeout
}

show_logs() {
  local name
  for name in "$@"; do
    echo "  ---- last log lines of $name:"
    "$DOCKER" logs --tail 30 "${PREFIX}-${name}" 2>&1 | sed 's/^/  | /'
  done
}

# fact KEY: a KEY=value line the driver printed on stdout.
fact() { sed -n "s/^$1=//p" "$WORK/driver.out" | tail -n 1; }

# ---------------------------------------------------------------------------
note "prerequisites"
# shellcheck source=lib/docker.sh
source "$ROOT/.ci/lib/docker.sh"
require_image
command -v node >/dev/null || { fail "node is not installed"; finish; }
if [ ! -x "$ROOT/node_modules/.bin/ts-node" ]; then
  fail "node_modules lacks ts-node; run: npm ci"
  finish
fi
IMAGE_USER=$("$DOCKER" run --rm --network none --entrypoint sh "$IMAGE" -c 'echo "$(id -u):$(id -g)"' 2>/dev/null)
echo "image $IMAGE (user $IMAGE_USER)"

# ---------------------------------------------------------------------------
note "render the $STACK stack's Spark ConfigMap under Pulumi mocks"
OUT="$WORK/rendered"
t0=$(now)
if ! "$ROOT/node_modules/.bin/ts-node" --transpile-only test/integration/render-spark-conf.ts "$OUT" "$STACK" "$STACK_OVERRIDES"; then
  fail "rendering the $STACK stack failed"
  finish
fi
echo "  rendered in $(since "$t0") s (overrides: $STACK_OVERRIDES)"
CONF_DIR="$OUT/conf"
EXPECT="$OUT/expect.json"
sed 's/^/  | /' "$CONF_DIR/spark-defaults.conf"

CONF_PATH=$(json "$EXPECT" 'd.confDir')
if [ "$(json "$EXPECT" 'd.mount !== null && d.mount.path === d.confDir && d.mount.readOnly')" = true ]; then
  pass "the hub values mount ConfigMap $(json "$EXPECT" 'd.configMapName') read-only at $CONF_PATH in notebook pods"
else
  fail "the hub values do not mount the Spark ConfigMap read-only at $CONF_PATH: $(json "$EXPECT" 'd.mount')"
fi

# The downward-API env a notebook pod gets, with the values the kubelet would fill in.
ENV_FILE="$OUT/extra-env.json"
declare -A FIELD_VALUE=([metadata.name]=$NOTEBOOK_POD_NAME [status.podIP]=$NOTEBOOK_POD_IP)
DRIVER_ENV=()
env_ok=1
while IFS=' ' read -r name field; do
  [ -n "$name" ] || continue
  if [ -n "${FIELD_VALUE[$field]:-}" ]; then
    DRIVER_ENV+=(-e "$name=${FIELD_VALUE[$field]}")
  else
    env_ok=""
    echo "  singleuser.extraEnv.$name comes from $field, which this test does not provide"
  fi
done < <(json "$ENV_FILE" 'Object.entries(d).map(([k, v]) => k + " " + (v?.valueFrom?.fieldRef?.fieldPath ?? "-")).join("\n")')
if [ -n "$env_ok" ] && [ "$(json "$ENV_FILE" 'd.POD_NAME?.valueFrom?.fieldRef?.fieldPath === "metadata.name" && d.POD_IP?.valueFrom?.fieldRef?.fieldPath === "status.podIP"')" = true ]; then
  pass "singleuser.extraEnv gives notebook pods POD_NAME (metadata.name) and POD_IP (status.podIP) from the downward API"
else
  fail "singleuser.extraEnv lacks the downward-API POD_NAME/POD_IP: $(json "$ENV_FILE" 'd')"
fi

IMAGE_REF=$(json "$EXPECT" 'd.imageRef')
DRIVER_PORT=$(conf spark.driver.port)
DRIVER_BM_PORT=$(conf spark.driver.blockManager.port)
EXEC_CORES=$(conf spark.executor.cores)
EXEC_MEMORY=$(conf spark.executor.memory)
TEMPLATE_CONTAINER=$(conf spark.kubernetes.executor.podTemplateContainerName)
if ! [[ "$DRIVER_PORT" =~ ^[0-9]+$ && "$DRIVER_BM_PORT" =~ ^[0-9]+$ && "$EXEC_CORES" =~ ^[0-9]+$ && -n "$EXEC_MEMORY" ]]; then
  fail "the generated conf lacks fixed driver ports or executor sizes"
  finish
fi
if [ "$(conf spark.driver.host)" = '${env:POD_IP}' ] && [ "$(conf spark.kubernetes.namespace)" = '${env:SPARK_EXECUTOR_NAMESPACE}' ] &&
  ! conf spark.kubernetes.driver.pod.name >/dev/null; then
  pass "the conf names the driver by \${env:POD_IP} and the user's executor namespace by \${env:SPARK_EXECUTOR_NAMESPACE}, and no driver pod (executors live in another namespace)"
else
  fail "spark.driver.host / spark.kubernetes.namespace: $(conf spark.driver.host) / $(conf spark.kubernetes.namespace); spark.kubernetes.driver.pod.name: $(conf spark.kubernetes.driver.pod.name)"
fi
# What the hub sets in the user's pod (components/hub/python/user_isolation.py): the user's executor namespace.
DRIVER_ENV+=(-e "SPARK_EXECUTOR_NAMESPACE=$EXECUTOR_NAMESPACE")

X='d.executorContainer'
if [ "$(json "$EXPECT" "$X.image === d.imageRef && JSON.stringify($X.args) === '[\"executor\"]'")" = true ] &&
   [ "$(json "$EXPECT" "$X.name")" = "$TEMPLATE_CONTAINER" ]; then
  pass "the executor pod template runs the stack's image with the argument 'executor' in container $TEMPLATE_CONTAINER"
else
  fail "executor pod template container: $(json "$EXPECT" "$X"), podTemplateContainerName $TEMPLATE_CONTAINER"
fi
EXEC_USER="$(json "$EXPECT" "$X.runAsUser"):$(json "$EXPECT" "$X.runAsGroup")"
if [ "$EXEC_USER" = "$IMAGE_USER" ]; then
  pass "the template's runAsUser:runAsGroup $EXEC_USER is the image's user"
else
  fail "the template runs executors as $EXEC_USER, the image's user is $IMAGE_USER"
fi
mapfile -t EXEC_ARGS < <(json "$EXPECT" "$X.args.join('\\n')")
# What the template's securityContext and limits become for a container.
EXEC_RUN=(--user "$EXEC_USER")
[ "$(json "$EXPECT" "$X.dropsAllCapabilities")" = true ] && EXEC_RUN+=(--cap-drop ALL)
[ "$(json "$EXPECT" "$X.allowPrivilegeEscalation")" = false ] && EXEC_RUN+=(--security-opt no-new-privileges)
EXEC_CPU=$(json "$EXPECT" "$X.limits?.cpu ?? ''")
EXEC_MEM=$(json "$EXPECT" "$X.limits?.memory ?? ''")
[[ "$EXEC_CPU" =~ ^[0-9.]+$ ]] && EXEC_RUN+=(--cpus "$EXEC_CPU")
[[ "$EXEC_MEM" =~ ^[0-9]+Mi$ ]] && EXEC_RUN+=(--memory "${EXEC_MEM%Mi}m")

# Spark's Kubernetes scheduler passes the driver's executor start-up settings (ports, rpc, network,
# auth) to executor pods as SPARK_JAVA_OPT_<n> system properties: the same selection here.
EXEC_JAVA_OPTS=()
while IFS=' ' read -r key value; do
  [ -n "$key" ] && EXEC_JAVA_OPTS+=("-D$key=$value")
done < <(awk '$1 ~ /^spark\.(auth|rpc|network)/ && $1 != "spark.authenticate.secret" || $1 ~ /^spark\..*\.port$/ || $1 ~ /^spark\.port\./ { k = $1; sub(/^[^ \t]+[ \t]+/, ""); print k, $0 }' "$CONF_DIR/spark-defaults.conf")
echo "  executor start-up settings from the conf: ${EXEC_JAVA_OPTS[*]}"

# The event-log claim: where notebook pods mount it, and a directory standing for a fresh volume.
EVENT_LOG_DIR=$(conf spark.eventLog.dir || true)
EVENT_LOG_MOUNT=$(json "$EXPECT" 'd.eventLog?.mountPath ?? ""')
EVENTS="$WORK/events"
EVENT_RUN=()
if [ -n "$EVENT_LOG_DIR" ]; then
  if [ "$EVENT_LOG_MOUNT" = "${EVENT_LOG_DIR#file:}" ] && [ "$(json "$EXPECT" 'd.eventLog.readOnly')" = false ]; then
    pass "spark.eventLog.dir $EVENT_LOG_DIR is where the hub values mount the event-log claim, writable, in notebook pods"
  else
    fail "spark.eventLog.dir $EVENT_LOG_DIR, but notebook pods mount the event-log claim at '${EVENT_LOG_MOUNT:-nowhere}'"
  fi
  mkdir -p "$EVENTS"
  # A new RWX volume's root is writable by the pods' group; the test cannot know the class, so 0777.
  chmod 0777 "$EVENTS"
  [ -n "$EVENT_LOG_MOUNT" ] && EVENT_RUN=(-v "$EVENTS:$EVENT_LOG_MOUNT")
fi

# The ConfigMap volume: files of mode 0644 in a directory the image's user can read, mounted read-only.
chmod 0755 "$WORK" "$OUT" "$CONF_DIR"
SHARED="$WORK/shared"
mkdir -p "$SHARED"
# The driver (the image's user) writes its application id here for the executors.
chmod 0777 "$SHARED"

# ---------------------------------------------------------------------------
# The driver: what a notebook cell does, plus the checks it reports as KEY=value lines on stdout.
cat >"$WORK/driver.py" <<'PY'
import json, os, sys, time, urllib.request
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

master, shared, want, register_secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def say(key, value):
    print("%s=%s" % (key, value), flush=True)

say("ENV_SPARK_CONF_DIR", os.environ.get("SPARK_CONF_DIR", ""))
# Only the master is replaced: there is no Kubernetes API to start executor pods.
spark = SparkSession.builder.master(master).getOrCreate()
sc = spark.sparkContext
jsc = sc._jsc.sc()
conf = jsc.conf()
for key in ["spark.master", "spark.submit.deployMode", "spark.driver.host", "spark.driver.bindAddress",
            "spark.driver.port", "spark.driver.blockManager.port", "spark.kubernetes.namespace",
            "spark.kubernetes.container.image", "spark.kubernetes.driver.pod.name",
            "spark.dynamicAllocation.enabled"]:
    say("CONF " + key, conf.get(key, ""))
# Spark's Kubernetes backend reads the namespace through its typed entry, which resolves ${env:...}.
k8s = sc._jvm.org.apache.spark.deploy.k8s.Config
say("RESOLVED spark.kubernetes.namespace", conf.get(k8s.KUBERNETES_NAMESPACE()))
say("RPC_ADDRESS", jsc.env().rpcEnv().address().hostPort())
bm = jsc.env().blockManager().blockManagerId()
say("BLOCK_MANAGER", "%s:%d" % (bm.host(), bm.port()))
say("ALLOCATION_MANAGER", str(jsc.executorAllocationManager().isDefined()).lower())
say("APP_ID", sc.applicationId)
tmp = os.path.join(shared, ".app-id")
with open(tmp, "w") as f:
    f.write(sc.applicationId)
os.rename(tmp, os.path.join(shared, "app-id"))

deadline = time.time() + register_secs
def executor_ids():
    ids = jsc.getExecutorIds()  # a Scala Seq
    return sorted(ids.apply(i) for i in range(ids.size()))
while len(executor_ids()) < want and time.time() < deadline:
    time.sleep(1)
say("REGISTERED", ",".join(executor_ids()))
if len(executor_ids()) < want:
    spark.stop()
    sys.exit(3)

def squares(part):
    time.sleep(0.3)  # long enough that every executor is offered tasks
    yield (os.environ.get("SPARK_EXECUTOR_POD_NAME", "driver"), sum(x * x for x in part))

failed = False
try:
    parts = sc.parallelize(range(1, 100001), 8).mapPartitions(squares).collect()
    say("SUM_OF_SQUARES", sum(s for _, s in parts))
    say("TASK_PODS", ",".join(sorted({p for p, _ in parts})))
    groups = (spark.range(0, 100000, 1, 8).groupBy((F.col("id") % 7).alias("k"))
              .agg(F.count("*").alias("n")).orderBy("k").collect())
    say("GROUP_COUNTS", ",".join("%d:%d" % (r.k, r.n) for r in groups))
except Exception as e:  # reported, and the status below still printed for the diagnosis
    failed = True
    say("JOB_ERROR", str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__)

# Tasks per executor as the driver's status store counts them ("driver" included).
url = "%s/api/v1/applications/%s/executors" % (sc.uiWebUrl, sc.applicationId)
with urllib.request.urlopen(url, timeout=20) as r:
    execs = sorted(json.load(r), key=lambda e: e["id"])
say("TASKS", ",".join("%s:%d" % (e["id"], e["totalTasks"]) for e in execs))
say("EXECUTOR_BLOCK_MANAGERS", ",".join("%s=%s" % (e["id"], e["hostPort"]) for e in execs if e["id"] != "driver"))
say("EXECUTORS_WITH_TASKS", ",".join(e["id"] for e in execs if e["id"] != "driver" and e["totalTasks"] > 0))
spark.stop()
say("STOPPED", "true")
sys.exit(1 if failed else 0)
PY
chmod 0644 "$WORK/driver.py"

# ---------------------------------------------------------------------------
note "network namespace (loopback only) and a standalone master with no workers"
# Like a pod: the hostname is the pod's name and /etc/hosts maps it to the pod IP (the kubelet writes
# that entry; Spark resolves the local hostname at start-up). Joined containers share both.
if ! "$DOCKER" run -d --name "$HOLDER" --network none --hostname "$NOTEBOOK_POD_NAME" \
  --add-host "$NOTEBOOK_POD_NAME:$NOTEBOOK_POD_IP" --entrypoint sleep "$IMAGE" infinity >/dev/null; then
  fail "the network holder container did not start"
  finish
fi
interfaces=$("$DOCKER" exec "$HOLDER" ls /sys/class/net | tr '\n' ' ' | sed 's/ $//')
if [ "$interfaces" = lo ]; then
  pass "the shared network namespace has the loopback interface only"
else
  fail "the shared network namespace has interfaces: $interfaces"
fi
t0=$(now)
start master -e SPARK_DAEMON_MEMORY=256m "$IMAGE" \
  spark-class org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$MASTER_PORT" --webui-port "$MASTER_UI_PORT"
if ! wait_log master "I have been elected leader" 1 "$MASTER_SECS"; then
  fail "the standalone master did not start within ${MASTER_SECS}s"
  show_logs master
  finish
fi
echo "  master up after $(since "$t0") s"

# ---------------------------------------------------------------------------
note "the notebook pod: a client-mode driver on the generated conf"
t0=$(now)
start driver -v "$CONF_DIR:$CONF_PATH:ro" -v "$WORK/driver.py:/opt/ds-platform-test/driver.py:ro" \
  -v "$SHARED:/shared" "${EVENT_RUN[@]}" "${DRIVER_ENV[@]}" "$IMAGE" \
  python /opt/ds-platform-test/driver.py "spark://127.0.0.1:$MASTER_PORT" /shared "$EXECUTORS" "$REGISTER_SECS"
app_id=""
deadline=$((SECONDS + APP_SECS))
while [ "$SECONDS" -lt "$deadline" ]; do
  [ -s "$SHARED/app-id" ] && { app_id=$(cat "$SHARED/app-id"); break; }
  running driver || break
  sleep 1
done
if [ -z "$app_id" ]; then
  fail "the driver wrote no application id within ${APP_SECS}s"
  show_logs driver master
  finish
fi
DRIVER_UP_SECS=$(since "$t0")
pass "the driver's SparkSession started in $DRIVER_UP_SECS s (application $app_id)"
"$DOCKER" logs "${PREFIX}-driver" >"$WORK/driver.out" 2>/dev/null
sed 's/^/  | /' "$WORK/driver.out"

check_fact() {  # check_fact KEY EXPECTED DESCRIPTION
  local got
  got=$(fact "$1")
  if [ "$got" = "$2" ]; then pass "$3: $got"; else fail "$3: expected '$2', got '$got'"; fi
}
check_fact ENV_SPARK_CONF_DIR "$CONF_PATH" "the driver's SPARK_CONF_DIR is the mount point"
check_fact "CONF spark.driver.host" "$NOTEBOOK_POD_IP" "spark.driver.host resolved from \${env:POD_IP}"
check_fact "RESOLVED spark.kubernetes.namespace" "$EXECUTOR_NAMESPACE" "spark.kubernetes.namespace resolved from \${env:SPARK_EXECUTOR_NAMESPACE}"
check_fact "CONF spark.submit.deployMode" client "spark.submit.deployMode"
check_fact "CONF spark.kubernetes.container.image" "$IMAGE_REF" "spark.kubernetes.container.image is the stack's image ref"
check_fact "CONF spark.driver.bindAddress" "$(conf spark.driver.bindAddress)" "spark.driver.bindAddress as generated"
check_fact RPC_ADDRESS "$NOTEBOOK_POD_IP:$DRIVER_PORT" "the driver's RPC endpoint is the pod IP and the generated spark.driver.port"
check_fact BLOCK_MANAGER "$NOTEBOOK_POD_IP:$DRIVER_BM_PORT" "the driver's block manager is on the generated spark.driver.blockManager.port"
check_fact ALLOCATION_MANAGER true "dynamic allocation from the conf is active in the driver (ExecutorAllocationManager)"

# Listening sockets of the driver container's own processes: /proc/net/tcp{,6} lines whose inode is
# one of their socket fds (the image has no ss). The shared namespace holds the master's too.
listening=$("$DOCKER" exec "${PREFIX}-driver" sh -c '
  inodes=$(for f in /proc/[0-9]*/fd/*; do readlink "$f"; done 2>/dev/null | sed -n "s/^socket:\[\([0-9]*\)\]$/\1/p" | sort -u | tr "\n" " ")
  for t in /proc/net/tcp /proc/net/tcp6; do
    awk -v inodes=" $inodes" "NR > 1 && \$4 == \"0A\" && index(inodes, \" \" \$10 \" \") { print \$2 }" "$t"
  done' 2>/dev/null |
  while IFS=: read -r addr port; do
    case "$addr" in
      00000000 | 00000000000000000000000000000000) addr=any ;;
      *) addr="0x$addr" ;;
    esac
    echo "$((16#$port))/$addr"
  done | sort -n | tr '\n' ' ')
echo "  driver container listens on (port/address): $listening"
for port in "$DRIVER_PORT" "$DRIVER_BM_PORT"; do
  if grep -qw "$port/any" <<<"$listening"; then
    pass "the driver process listens on port $port on all addresses of the pod (bindAddress 0.0.0.0)"
  else
    fail "the driver process does not listen on $port on all addresses: $listening"
  fi
done

# ---------------------------------------------------------------------------
note "executors: the image's 'executor' entrypoint with the environment of executor pods"
for i in $(seq 1 "$EXECUTORS"); do
  bm_port=${EXEC_BM_PORTS[$((i - 1))]}
  exec_ip=${EXEC_IPS[$((i - 1))]}
  opts=()
  n=0
  for opt in "${EXEC_JAVA_OPTS[@]}"; do
    [[ "$opt" == -Dspark.blockManager.port=* ]] && opt="-Dspark.blockManager.port=$bm_port"
    opts+=(-e "SPARK_JAVA_OPT_$n=$opt")
    n=$((n + 1))
  done
  start "exec-$i" "${EXEC_RUN[@]}" \
    -e SPARK_DRIVER_URL="spark://CoarseGrainedScheduler@$NOTEBOOK_POD_IP:$DRIVER_PORT" \
    -e SPARK_EXECUTOR_ID="$i" \
    -e SPARK_EXECUTOR_CORES="$EXEC_CORES" \
    -e SPARK_EXECUTOR_MEMORY="$EXEC_MEMORY" \
    -e SPARK_APPLICATION_ID="$app_id" \
    -e SPARK_EXECUTOR_POD_IP="$exec_ip" \
    -e SPARK_EXECUTOR_POD_NAME="$NOTEBOOK_POD_NAME-exec-$i" \
    -e SPARK_RESOURCE_PROFILE_ID=0 \
    "${opts[@]}" "$IMAGE" "${EXEC_ARGS[@]}"
done
echo "  executor containers: ${EXEC_RUN[*]}; pod IPs ${EXEC_IPS[*]}, block-manager ports ${EXEC_BM_PORTS[*]}"

t0=$(now)
rc=$(wait_exit driver "$DRIVER_SECS")
JOB_SECS=$(since "$t0")
"$DOCKER" logs "${PREFIX}-driver" >"$WORK/driver.out" 2>"$WORK/driver.err"
echo "  driver exited ($rc) $JOB_SECS s after the executors were started:"
sed -n '/^REGISTERED=/,$p' "$WORK/driver.out" | sed 's/^/  | /'
if [ "$rc" = 0 ]; then
  pass "the driver script ran to the end and stopped its session (exit 0)"
else
  fail "the driver exited with $rc"
  show_logs driver exec-1 exec-2
fi

expected_ids=$(seq -s, 1 "$EXECUTORS")
check_fact REGISTERED "$expected_ids" "executors registered with the driver"
# sum of x^2 for x in 1..n is n(n+1)(2n+1)/6; 100000 ids over 7 residues leave 0..4 one more.
check_fact SUM_OF_SQUARES 333338333350000 "sum of squares of 1..100000 over 8 partitions"
check_fact GROUP_COUNTS "0:14286,1:14286,2:14286,3:14286,4:14286,5:14285,6:14285" "groupBy(id % 7).count() through a shuffle"
check_fact TASK_PODS "$(for i in $(seq 1 "$EXECUTORS"); do echo "$NOTEBOOK_POD_NAME-exec-$i"; done | paste -sd,)" \
  "Python tasks ran in the executor containers (their SPARK_EXECUTOR_POD_NAME)"
check_fact EXECUTORS_WITH_TASKS "$expected_ids" "executors that ran tasks, per the driver's status store"
tasks=$(fact TASKS)
if [[ ",$tasks," == *",driver:0,"* ]]; then
  pass "no task ran in the driver ($tasks)"
else
  fail "tasks per executor: $tasks"
fi
check_fact EXECUTOR_BLOCK_MANAGERS "$(for i in $(seq 1 "$EXECUTORS"); do echo "$i=${EXEC_IPS[$((i - 1))]}:${EXEC_BM_PORTS[$((i - 1))]}"; done | paste -sd,)" \
  "executors' block managers on their pod IPs and the ports given through SPARK_JAVA_OPT_<n>"

started=0
for i in $(seq 1 "$EXECUTORS"); do
  # Read whole first: grep -q closing the pipe early would fail the pipeline (pipefail).
  exec_log=$("$DOCKER" logs "${PREFIX}-exec-$i" 2>&1)
  grep -q 'org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend --driver-url' <<<"$exec_log" &&
    started=$((started + 1))
done
if [ "$started" -eq "$EXECUTORS" ]; then
  pass "all $EXECUTORS executor containers ran KubernetesExecutorBackend through the entrypoint"
else
  fail "$started of $EXECUTORS executor containers show KubernetesExecutorBackend"
  show_logs exec-1
fi
codes=""
for i in $(seq 1 "$EXECUTORS"); do
  codes+="$(wait_exit "exec-$i" "$STOP_SECS") "
done
codes=${codes% }
if [[ "$codes" != *timeout* ]]; then
  pass "the executors exited when the driver stopped (exit codes: $codes)"
else
  fail "executors still running ${STOP_SECS}s after the driver stopped (exit codes: $codes)"
fi
# OOM kills would mean the template's memory limit is too small for the generated executor size.
oom=$(for i in $(seq 1 "$EXECUTORS"); do "$DOCKER" inspect -f '{{.State.OOMKilled}}' "${PREFIX}-exec-$i"; done | sort -u | tr '\n' ' ')
if [ "$oom" = "false " ]; then
  pass "no executor was OOM-killed under the template's memory limit (${EXEC_MEM:-none})"
else
  fail "OOM-killed executors (under ${EXEC_MEM:-no} limit): $oom"
fi

# ---------------------------------------------------------------------------
if [ -n "$EVENT_LOG_DIR" ]; then
  note "event logs and the history server"
  logs=$(cd "$EVENTS" && find . -mindepth 1 -maxdepth 2 | sort | tr '\n' ' ')
  echo "  event-log directory after the driver stopped: $logs"
  if [ -n "$app_id" ] && grep -q "$app_id" <<<"$logs"; then
    pass "the driver wrote application $app_id's event log to the mounted directory"
  else
    fail "no event log of $app_id in the mounted directory: $logs"
  fi
  HISTORY_MOUNT=$(json "$EXPECT" 'd.historyServer?.mountPath ?? ""')
  HISTORY_PORT=$(json "$EXPECT" 'd.historyServer?.port ?? ""')
  mapfile -t HISTORY_ARGS < <(json "$EXPECT" '(d.historyServer?.args ?? []).join("\n")')
  HISTORY_OPTS=$(json "$EXPECT" 'd.historyServer?.env?.SPARK_HISTORY_OPTS ?? ""')
  if [ -z "$HISTORY_MOUNT" ] || [ -z "$HISTORY_PORT" ] || [ "${#HISTORY_ARGS[@]}" -eq 0 ]; then
    fail "the stack declares no history server Deployment to start"
  else
    start history -v "$EVENTS:$HISTORY_MOUNT:ro" -e SPARK_HISTORY_OPTS="$HISTORY_OPTS" -e SPARK_DAEMON_MEMORY=512m \
      --user "$EXEC_USER" "$IMAGE" "${HISTORY_ARGS[@]}"
    t0=$(now)
    listed=""
    deadline=$((SECONDS + HISTORY_SECS))
    while [ "$SECONDS" -lt "$deadline" ] && running history; do
      listed=$("$DOCKER" exec "${PREFIX}-history" python -c '
import json, sys, urllib.request
with urllib.request.urlopen("http://127.0.0.1:%s/api/v1/applications" % sys.argv[1], timeout=5) as r:
    print(",".join(a["id"] + ":" + str(a["attempts"][0]["completed"]).lower() for a in json.load(r)))
' "$HISTORY_PORT" 2>/dev/null || true)
      [[ ",$listed," == *",$app_id:true,"* ]] && break
      sleep 2
    done
    if [[ ",$listed," == *",$app_id:true,"* ]]; then
      pass "the history server (as the stack runs it: ${HISTORY_ARGS[*]}) lists $app_id as completed after $(since "$t0") s"
    else
      fail "the history server does not list $app_id as completed (listed: '${listed:-nothing}')"
      show_logs history
    fi
  fi
fi

echo "FIGURE driver_start_seconds=$DRIVER_UP_SECS executors_to_result_seconds=$JOB_SECS"
finish
