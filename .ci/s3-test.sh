#!/usr/bin/env bash
# S3 for real: Spark (S3A) and pandas/pyarrow against an S3-compatible server, with the web-identity
# credentials IRSA gives pods on EKS.
#
# moto (PyPI `moto[server]`, pinned, in a venv under the cache dir) serves S3 on 127.0.0.1 over
# HTTP, and STS over TLS on 127.0.0.1:443 under the name the AWS SDKs call for the region
# (sts.<region>.amazonaws.com): the containers map that name to 127.0.0.1 (--add-host) and trust a
# CA made here for the test (a Java trust store through JAVA_TOOL_OPTIONS; a CA bundle mounted over
# the system one for pyarrow). Neither SDK in the image lets an environment variable move its STS
# endpoint (AWS SDK for Java 2.24.6 predates AWS_ENDPOINT_URL_STS), so the name is redirected
# instead. Every container gets what the EKS pod identity webhook injects -- AWS_ROLE_ARN,
# AWS_WEB_IDENTITY_TOKEN_FILE (a token file), AWS_REGION -- and no static keys, so every S3 request
# is signed with credentials from sts:AssumeRoleWithWebIdentity through the real provider chain.
# Static test keys are used only by this script to create the bucket and list the event logs.
#
# The Spark settings are the prod stack's, rendered under Pulumi mocks: its spark-defaults.conf S3A
# and event-log lines and its history server's SPARK_HISTORY_OPTS, with the test's endpoint
# (fs.s3a.endpoint, path-style, plain HTTP) laid over them. Containers use the host network and
# bind 127.0.0.1 (127.0.0.2 and .3 for the executors): a standalone master with no workers, a
# client-mode driver, two executors started through the image's `executor` entrypoint, then a
# history server started as the stack's Deployment starts it.
#
# Needs the notebook image (bash .ci/image-test.sh builds it), `npm ci` (ts-node), python3 with venv,
# openssl, and 127.0.0.1:443 free. Ends with "N passed, M failed".
#
# Env: IMAGE (default ds-platform/notebook:ci), DS_PLATFORM_CACHE (default /var/cache/ds-platform),
#      S3_TEST_LOG_DIR (a directory to keep the containers' and servers' logs in).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/checks.sh
source "$ROOT/.ci/lib/checks.sh"
cd "$ROOT" || exit 1

DOCKER=${DOCKER:-/usr/bin/docker}
IMAGE=${IMAGE:-ds-platform/notebook:ci}
CACHE=${DS_PLATFORM_CACHE:-/var/cache/ds-platform}
MOTO_VERSION=5.2.5
MOTO_VENV="$CACHE/s3-test/moto-$MOTO_VERSION"
S3_PORT=19500
STS_PORT=443
MASTER_PORT=19577 MASTER_UI_PORT=19578
DRIVER_PORT=19510 DRIVER_BM_PORT=19511
HISTORY_PORT=19580
EXEC_IPS=(127.0.0.2 127.0.0.3)
EXEC_BM_PORTS=(19521 19522)
ACCOUNT=123456789012
ROWS=200000

PREFIX="dsp-s3-$$"
WORK=$(mktemp -d)
PIDS=()

cleanup() {
  local name pid
  if [ -n "${S3_TEST_LOG_DIR:-}" ]; then
    mkdir -p "$S3_TEST_LOG_DIR"
    for name in $("$DOCKER" ps -a --filter "name=^${PREFIX}-" --format '{{.Names}}' 2>/dev/null); do
      "$DOCKER" logs "$name" >"$S3_TEST_LOG_DIR/${name#"$PREFIX"-}.log" 2>&1 || true
    done
    cp "$WORK"/moto-*.log "$S3_TEST_LOG_DIR/" 2>/dev/null || true
  fi
  remove_containers "$PREFIX"
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

running() { [ "$("$DOCKER" inspect -f '{{.State.Running}}' "${PREFIX}-$1" 2>/dev/null)" = true ]; }
wait_log() {  # wait_log NAME PATTERN SECS
  local deadline=$((SECONDS + $3))
  while [ "$SECONDS" -lt "$deadline" ]; do
    "$DOCKER" logs "${PREFIX}-$1" 2>&1 | grep -qE -- "$2" && return 0
    running "$1" || return 1
    sleep 1
  done
  return 1
}
show_logs() {
  local name
  for name in "$@"; do
    echo "  ---- last log lines of $name:"
    "$DOCKER" logs --tail 30 "${PREFIX}-${name}" 2>&1 | sed 's/^/  | /'
  done
}
conf() {  # conf FILE KEY
  awk -v k="$2" '$1 == k { sub(/^[^ \t]+[ \t]+/, ""); print; found = 1; exit } END { exit !found }' "$1"
}
# s3 PYTHON: runs boto3 code (moto's venv) against the test S3 with the static test keys.
s3() {
  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION="$REGION" \
    "$MOTO_VENV/bin/python" -c "import boto3, sys; s3 = boto3.client('s3', endpoint_url='http://127.0.0.1:$S3_PORT'); $1"
}

# ---------------------------------------------------------------------------
note "prerequisites"
# shellcheck source=lib/docker.sh
source "$ROOT/.ci/lib/docker.sh"
require_image
for tool in node python3 openssl curl; do
  command -v "$tool" >/dev/null || { fail "$tool is not installed"; finish; }
done
[ -x "$ROOT/node_modules/.bin/ts-node" ] || { fail "node_modules lacks ts-node; run: npm ci"; finish; }
if (exec 3<>"/dev/tcp/127.0.0.1/$STS_PORT") 2>/dev/null; then
  fail "127.0.0.1:$STS_PORT is in use; the test serves STS there"
  finish
fi

jars=$("$DOCKER" run --rm --network none --entrypoint bash "$IMAGE" -c 'cd "$SPARK_HOME/jars" && ls hadoop-client-api-*.jar hadoop-aws-*.jar bundle-*.jar 2>/dev/null')
api=$(sed -n 's/^hadoop-client-api-\(.*\)\.jar$/\1/p' <<<"$jars")
aws=$(sed -n 's/^hadoop-aws-\(.*\)\.jar$/\1/p' <<<"$jars")
sdk=$(sed -n 's/^bundle-\(.*\)\.jar$/\1/p' <<<"$jars")
if [ -n "$api" ] && [ "$aws" = "$api" ] && [ -n "$sdk" ]; then
  pass "the image's Spark has hadoop-aws $aws (= hadoop-client-api $api) and the AWS SDK bundle $sdk"
else
  fail "S3A jars in \$SPARK_HOME/jars: hadoop-client-api '$api', hadoop-aws '$aws', bundle '$sdk'"
fi

# ---------------------------------------------------------------------------
note "the prod stack's Spark settings (rendered under Pulumi mocks)"
OUT="$WORK/rendered"
render_stack test/integration/render-spark-conf.ts "$OUT" prod >/dev/null
DEFAULTS="$OUT/conf/spark-defaults.conf"
grep -E '^spark\.(hadoop\.fs\.s3a|eventLog)\.' "$DEFAULTS" | sed 's/^/  | /'
EVENT_DIR=$(conf "$DEFAULTS" spark.eventLog.dir || true)
REGION=$(conf "$DEFAULTS" spark.hadoop.fs.s3a.endpoint.region || true)
PROVIDER=$(conf "$DEFAULTS" spark.hadoop.fs.s3a.aws.credentials.provider || true)
BUCKET=$(sed -n 's|^s3a://\([^/]*\)/.*|\1|p' <<<"$EVENT_DIR")
if [[ "$EVENT_DIR" == s3a://*/spark-events* ]] && [ -n "$REGION" ] &&
   [ "$PROVIDER" = software.amazon.awssdk.auth.credentials.WebIdentityTokenFileCredentialsProvider ]; then
  pass "prod: event logs at $EVENT_DIR, S3A with the web-identity provider, region $REGION"
else
  fail "prod conf: eventLog.dir '$EVENT_DIR', region '$REGION', provider '$PROVIDER'"
  finish
fi
HISTORY_OPTS=$(json "$OUT/expect.json" 'd.historyServer?.env?.SPARK_HISTORY_OPTS ?? ""')
HISTORY_ARGS=$(json "$OUT/expect.json" '(d.historyServer?.args ?? []).join(" ")')
if [[ "$HISTORY_OPTS" == *"-Dspark.history.fs.logDirectory=$EVENT_DIR"* && "$HISTORY_OPTS" == *"credentials.provider=$PROVIDER"* ]]; then
  pass "prod: the history server reads $EVENT_DIR with the same provider"
else
  fail "prod history server: args '$HISTORY_ARGS', SPARK_HISTORY_OPTS '$HISTORY_OPTS'"
fi

# ---------------------------------------------------------------------------
note "S3 and STS (moto $MOTO_VERSION) on 127.0.0.1"
if ! [ -x "$MOTO_VENV/bin/moto_server" ]; then
  python3 -m venv "$MOTO_VENV" && "$MOTO_VENV/bin/pip" install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION" ||
    { rm -rf "$MOTO_VENV"; fail "installing moto[server]==$MOTO_VERSION"; finish; }
fi
STS_HOST="sts.$REGION.amazonaws.com"
TLS="$WORK/tls"
mkdir -p "$TLS"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=ds-platform s3-test CA" -keyout "$TLS/ca.key" -out "$TLS/ca.crt" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null &&
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$STS_HOST" -keyout "$TLS/sts.key" -out "$TLS/sts.csr" 2>/dev/null &&
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$STS_HOST" >"$TLS/ext.cnf" &&
  openssl x509 -req -in "$TLS/sts.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" -CAcreateserial -days 1 -extfile "$TLS/ext.cnf" -out "$TLS/sts.crt" 2>/dev/null ||
  { fail "creating the test CA and STS certificate"; finish; }
cat /etc/ssl/certs/ca-certificates.crt "$TLS/ca.crt" >"$TLS/ca-bundle.pem"
"$DOCKER" run --rm --network none -u 0 -v "$TLS:/tls" --entrypoint keytool "$IMAGE" -importcert -noprompt -alias ds-platform-s3-test \
  -file /tls/ca.crt -keystore /tls/trust.p12 -storetype PKCS12 -storepass changeit >/dev/null 2>&1 || { fail "creating the Java trust store"; finish; }
chmod 0755 "$WORK" "$TLS" && chmod 0644 "$TLS"/trust.p12 "$TLS"/ca-bundle.pem

"$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$S3_PORT" >"$WORK/moto-s3.log" 2>&1 &
PIDS+=($!)
"$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$STS_PORT" -c "$TLS/sts.crt" -k "$TLS/sts.key" >"$WORK/moto-sts.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 30); do
  curl -sf "http://127.0.0.1:$S3_PORT/" >/dev/null && curl -sf --cacert "$TLS/ca.crt" --resolve "$STS_HOST:$STS_PORT:127.0.0.1" "https://$STS_HOST:$STS_PORT/moto-api/" >/dev/null && break
  sleep 1
done
# The bucket, and the spark-events/ directory marker the stack creates with it (DataBucket).
if s3 "s3.create_bucket(Bucket='$BUCKET', CreateBucketConfiguration={'LocationConstraint': '$REGION'}); s3.put_object(Bucket='$BUCKET', Key='spark-events/', Body=b'')"; then
  pass "moto serves S3 on 127.0.0.1:$S3_PORT and STS as $STS_HOST on 127.0.0.1:$STS_PORT; bucket $BUCKET with spark-events/"
else
  fail "moto did not come up"; tail -5 "$WORK"/moto-*.log
  finish
fi

# What the pod identity webhook gives a pod whose ServiceAccount names a role: a projected token
# file and three variables. The token is opaque to moto (it does not check the signature).
mkdir -p "$WORK/token"
printf 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZHMtcGxhdGZvcm06bm90ZWJvb2sifQ.dGVzdA' >"$WORK/token/token"
chmod 0755 "$WORK/token" && chmod 0644 "$WORK/token/token"
# irsa ROLE: docker run options of a pod running as ROLE, plus the test's redirection of STS.
irsa() {
  echo -e "-e\nAWS_ROLE_ARN=arn:aws:iam::$ACCOUNT:role/$1\n-e\nAWS_WEB_IDENTITY_TOKEN_FILE=/var/run/secrets/eks.amazonaws.com/serviceaccount/token\n-e\nAWS_REGION=$REGION\n-e\nAWS_DEFAULT_REGION=$REGION"
  echo -e "-v\n$WORK/token:/var/run/secrets/eks.amazonaws.com/serviceaccount:ro\n--add-host\n$STS_HOST:127.0.0.1\n--add-host\n$(hostname):127.0.0.1"
  echo -e "-e\nJAVA_TOOL_OPTIONS=-Djavax.net.ssl.trustStore=/tls/trust.p12 -Djavax.net.ssl.trustStorePassword=changeit -Djavax.net.ssl.trustStoreType=PKCS12\n-v\n$TLS:/tls:ro"
}
mapfile -t NOTEBOOK_IRSA < <(irsa prod-data-notebook)
mapfile -t EXECUTOR_IRSA < <(irsa prod-data-executor)
mapfile -t HISTORY_IRSA < <(irsa prod-data-history)

# The test's endpoint over the stack's settings.
S3_TEST_OPTS=(spark.hadoop.fs.s3a.endpoint "http://127.0.0.1:$S3_PORT" spark.hadoop.fs.s3a.path.style.access true
  spark.hadoop.fs.s3a.connection.ssl.enabled false)

# ---------------------------------------------------------------------------
note "Spark: a client-mode driver and two entrypoint executors write and read Parquet on s3a://"
CONF_DIR="$WORK/conf"
mkdir -p "$CONF_DIR"
{
  grep -E '^spark\.(hadoop\.fs\.s3a|eventLog)\.' "$DEFAULTS"
  printf '%s %s\n' "${S3_TEST_OPTS[@]}"
  cat <<CONF
spark.driver.host 127.0.0.1
spark.driver.bindAddress 127.0.0.1
spark.driver.port $DRIVER_PORT
spark.driver.blockManager.port $DRIVER_BM_PORT
spark.executor.cores 1
spark.executor.memory 768m
spark.cores.max 2
spark.ui.showConsoleProgress false
CONF
} >"$CONF_DIR/spark-defaults.conf"
chmod 0755 "$CONF_DIR" && chmod 0644 "$CONF_DIR/spark-defaults.conf"

cat >"$WORK/driver.py" <<'PY'
import json, os, sys, time, urllib.request
from pyspark.sql import SparkSession, functions as F

master, bucket, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
say = lambda k, v: print("%s=%s" % (k, v), flush=True)
spark = SparkSession.builder.master(master).appName("ds-platform-s3-test").getOrCreate()
sc = spark.sparkContext
say("APP_ID", sc.applicationId)
deadline = time.time() + 240
while sc._jsc.sc().getExecutorIds().size() < 2 and time.time() < deadline:
    time.sleep(1)
say("EXECUTORS", sc._jsc.sc().getExecutorIds().size())
path = "s3a://%s/data/s3-test/table" % bucket
df = spark.range(0, rows, 1, 8).select("id", (F.col("id") % 7).alias("k"), F.sha2(F.col("id").cast("string"), 256).alias("h"))
df.write.mode("overwrite").parquet(path)
back = spark.read.parquet(path)
agg = back.agg(F.count("*").alias("n"), F.sum("id").alias("s"), F.sum(F.conv(F.substring("h", 1, 8), 16, 10).cast("long")).alias("c")).first()
say("ROWS", agg.n)
say("SUM", agg.s)
say("CHECKSUM", agg.c)
say("GROUPS", ",".join("%d:%d" % (r.k, r["count"]) for r in back.groupBy("k").count().orderBy("k").collect()))
with urllib.request.urlopen("%s/api/v1/applications/%s/executors" % (sc.uiWebUrl, sc.applicationId), timeout=20) as r:
    execs = json.load(r)
say("TASKS", ",".join("%s:%d" % (e["id"], e["totalTasks"]) for e in sorted(execs, key=lambda e: e["id"])))
spark.stop()
say("STOPPED", "true")
PY
chmod 0644 "$WORK/driver.py"
# The expected checksum: the same expressions, computed here in Python.
EXPECTED=$(python3 -c "
import hashlib
n = $ROWS
print(n, n * (n - 1) // 2, sum(int(hashlib.sha256(str(i).encode()).hexdigest()[:8], 16) for i in range(n)))")
read -r EXP_ROWS EXP_SUM EXP_CHECKSUM <<<"$EXPECTED"

"$DOCKER" run -d --name "$PREFIX-master" --network host -e SPARK_LOCAL_IP=127.0.0.1 -e SPARK_DAEMON_MEMORY=256m --add-host "$(hostname):127.0.0.1" "$IMAGE" \
  spark-class org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$MASTER_PORT" --webui-port "$MASTER_UI_PORT" >/dev/null
wait_log master "I have been elected leader" 90 || { fail "the standalone master did not start"; show_logs master; finish; }
"$DOCKER" run -d --name "$PREFIX-driver" --network host -e SPARK_LOCAL_IP=127.0.0.1 "${NOTEBOOK_IRSA[@]}" \
  -v "$CONF_DIR:/etc/spark/conf:ro" -v "$WORK/driver.py:/opt/ds-platform-test/driver.py:ro" "$IMAGE" \
  python /opt/ds-platform-test/driver.py "spark://127.0.0.1:$MASTER_PORT" "$BUCKET" "$ROWS" >/dev/null
wait_log driver '^APP_ID=' 180 || { fail "the driver did not start"; show_logs driver; finish; }
APP_ID=$("$DOCKER" logs "$PREFIX-driver" 2>/dev/null | sed -n 's/^APP_ID=//p' | head -1)
for i in 1 2; do
  "$DOCKER" run -d --name "$PREFIX-exec-$i" --network host --user 1000:100 --cap-drop ALL --security-opt no-new-privileges \
    -e SPARK_LOCAL_IP="${EXEC_IPS[$((i - 1))]}" "${EXECUTOR_IRSA[@]}" \
    -e SPARK_DRIVER_URL="spark://CoarseGrainedScheduler@127.0.0.1:$DRIVER_PORT" -e SPARK_EXECUTOR_ID="$i" \
    -e SPARK_EXECUTOR_CORES=1 -e SPARK_EXECUTOR_MEMORY=768m -e SPARK_APPLICATION_ID="$APP_ID" \
    -e SPARK_EXECUTOR_POD_IP="${EXEC_IPS[$((i - 1))]}" -e SPARK_EXECUTOR_POD_NAME="s3-test-exec-$i" -e SPARK_RESOURCE_PROFILE_ID=0 \
    -e SPARK_JAVA_OPT_0="-Dspark.driver.port=$DRIVER_PORT" -e SPARK_JAVA_OPT_1="-Dspark.blockManager.port=${EXEC_BM_PORTS[$((i - 1))]}" \
    "$IMAGE" executor >/dev/null
done
rc=$(timeout 480 "$DOCKER" wait "$PREFIX-driver" 2>/dev/null || echo timeout)
"$DOCKER" logs "$PREFIX-driver" >"$WORK/driver.out" 2>"$WORK/driver.err"
grep -E '^[A-Z_]+=' "$WORK/driver.out" | sed 's/^/  | /'
fact() { sed -n "s/^$1=//p" "$WORK/driver.out" | tail -n 1; }
if [ "$rc" = 0 ] && [ "$(fact STOPPED)" = true ]; then
  pass "the driver ran to the end (application $APP_ID)"
else
  fail "the driver exited with $rc"; grep -E 'Exception|Error' "$WORK/driver.err" | head -10; show_logs exec-1 exec-2
fi
if [ "$(fact EXECUTORS)" = 2 ] && [[ "$(fact TASKS)" =~ ^1:[1-9][0-9]*,2:[1-9][0-9]*,driver:0$ ]]; then
  pass "two executors registered and ran every task ($(fact TASKS)); they had only web-identity credentials"
else
  fail "executors: $(fact EXECUTORS), tasks $(fact TASKS)"
fi
if [ "$(fact ROWS)" = "$EXP_ROWS" ] && [ "$(fact SUM)" = "$EXP_SUM" ] && [ "$(fact CHECKSUM)" = "$EXP_CHECKSUM" ]; then
  pass "Parquet written to and read back from s3a://$BUCKET/data/s3-test/table: $EXP_ROWS rows, sum $EXP_SUM, checksum $EXP_CHECKSUM"
else
  fail "read back: rows $(fact ROWS)/$EXP_ROWS, sum $(fact SUM)/$EXP_SUM, checksum $(fact CHECKSUM)/$EXP_CHECKSUM"
fi
if [ "$(fact GROUPS)" = "$(python3 -c "n=$ROWS; print(','.join('%d:%d' % (k, len(range(k, n, 7))) for k in range(7)))")" ]; then
  pass "groupBy(id % 7) over the S3 data through a shuffle between the executors"
else
  fail "groups: $(fact GROUPS)"
fi
sts_calls=$(grep -c '"POST / HTTP' "$WORK/moto-sts.log" || true)
if [ "$sts_calls" -ge 3 ]; then
  pass "$sts_calls sts:AssumeRoleWithWebIdentity calls (driver and both executors) went to the test STS"
else
  fail "only $sts_calls calls reached the test STS"
fi

# ---------------------------------------------------------------------------
note "event log on s3a:// and the history server"
keys=$(s3 "print('\n'.join(o['Key'] for o in s3.list_objects_v2(Bucket='$BUCKET', Prefix='spark-events/').get('Contents', [])))")
echo "$keys" | sed 's/^/  | /'
# Spark 4 compresses event logs (zstd) by default: events_1_<app>.zstd.
if grep -qE "^spark-events/eventlog_v2_$APP_ID/events_1_$APP_ID(\.[a-z0-9]+)?$" <<<"$keys" && grep -qx "spark-events/eventlog_v2_$APP_ID/appstatus_$APP_ID" <<<"$keys"; then
  pass "the application's rolling event log is complete under $EVENT_DIR"
else
  fail "no complete event log of $APP_ID under $EVENT_DIR"
fi

# As the Deployment starts it (its args and SPARK_HISTORY_OPTS), plus the test endpoint, a loopback
# port and a short scan interval (later -D options win).
opts="$HISTORY_OPTS $(printf -- '-D%s=%s ' "${S3_TEST_OPTS[@]}")-Dspark.history.ui.port=$HISTORY_PORT -Dspark.history.fs.update.interval=2s"
read -ra hargs <<<"$HISTORY_ARGS"
"$DOCKER" run -d --name "$PREFIX-history" --network host -e SPARK_LOCAL_IP=127.0.0.1 "${HISTORY_IRSA[@]}" \
  -e SPARK_HISTORY_OPTS="$opts" -e SPARK_DAEMON_MEMORY=512m "$IMAGE" "${hargs[@]}" >/dev/null
listed=""
deadline=$((SECONDS + 120))
while [ "$SECONDS" -lt "$deadline" ] && running history; do
  listed=$(curl -sf "http://127.0.0.1:$HISTORY_PORT/api/v1/applications" 2>/dev/null || true)
  grep -q "\"id\" *: *\"$APP_ID\"" <<<"$listed" && break
  sleep 2
done
if grep -q "\"id\" *: *\"$APP_ID\"" <<<"$listed" && grep -q '"completed" *: *true' <<<"$listed"; then
  pass "the history server ($HISTORY_ARGS) lists $APP_ID, completed, from $EVENT_DIR"
else
  fail "the history server does not list $APP_ID: ${listed:-no answer}"; show_logs history
fi

# ---------------------------------------------------------------------------
note "pandas and pyarrow read s3:// with the notebook's web identity"
cat >"$WORK/read-s3.py" <<'PY'
import importlib.util, os, sys
import pandas as pd, pyarrow.fs as pafs, pyarrow.parquet as pq
url = "s3://%s/data/s3-test/table" % sys.argv[1]
df = pd.read_parquet(url)
print("PANDAS=%d,%d" % (len(df), int(df["id"].sum())), flush=True)
fs, path = pafs.FileSystem.from_uri(url)
print("FILESYSTEM=%s" % type(fs).__name__)
print("ARROW=%d" % pq.read_table(path, filesystem=fs).num_rows)
# An S3FileSystem with web-identity credentials still alive when the interpreter exits hangs the
# exit (pyarrow 26; not with static keys): release it first.
del fs
print("FSSPEC=%s" % [m for m in ("s3fs", "fsspec") if importlib.util.find_spec(m)])
PY
chmod 0644 "$WORK/read-s3.py"
sts_calls=$(grep -c '"POST / HTTP' "$WORK/moto-sts.log" || true)
# AWS_ENDPOINT_URL_S3 is the test's endpoint (pyarrow's from_uri reads it); the CA bundle is the
# system one plus the test CA, for the STS call of the AWS SDK for C++ in pyarrow.
out=$(timeout -k 10 180 "$DOCKER" run --rm --name "$PREFIX-pandas" --network host "${NOTEBOOK_IRSA[@]}" \
  -e AWS_ENDPOINT_URL_S3="http://127.0.0.1:$S3_PORT" -v "$TLS/ca-bundle.pem:/etc/ssl/certs/ca-certificates.crt:ro" \
  -v "$WORK/read-s3.py:/opt/ds-platform-test/read-s3.py:ro" "$IMAGE" python /opt/ds-platform-test/read-s3.py "$BUCKET" 2>&1)
echo "$out" | grep -E '^[A-Z]+=' | sed 's/^/  | /'
if grep -qx "PANDAS=$EXP_ROWS,$EXP_SUM" <<<"$out" && grep -qx "ARROW=$EXP_ROWS" <<<"$out" && grep -qx 'FILESYSTEM=S3FileSystem' <<<"$out"; then
  pass "pandas.read_parquet('s3://...') and pyarrow read $EXP_ROWS rows (sum $EXP_SUM) through pyarrow's S3FileSystem"
else
  fail "pandas/pyarrow: $(tail -3 <<<"$out")"
fi
if grep -qx 'FSSPEC=\[\]' <<<"$out"; then
  pass "no s3fs or fsspec in the image: pandas went through pyarrow alone"
else
  fail "fsspec/s3fs present or not checked: $(grep FSSPEC <<<"$out")"
fi
sts_after=$(grep -c '"POST / HTTP' "$WORK/moto-sts.log" || true)
if [ "$sts_after" -gt "$sts_calls" ]; then
  pass "pyarrow's credentials came from sts:AssumeRoleWithWebIdentity ($((sts_after - sts_calls)) more calls)"
else
  fail "pyarrow made no STS call"
fi

finish
