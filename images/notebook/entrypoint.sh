#!/bin/bash
# Entrypoint of the ds-platform notebook image (runs under tini).
#
#   entrypoint.sh executor   start a Spark executor the way Spark's Kubernetes
#                            scheduler expects: it creates executor pods from
#                            this image with the argument "executor" and passes
#                            everything else in SPARK_* environment variables.
#   entrypoint.sh serve ...  serve a scikit-learn model over HTTP (serve.py:
#                            /healthz, /predict; MODEL_ARTIFACT names the
#                            model file or s3:// object; --help for options).
#   entrypoint.sh CMD...     anything else is exec'd unchanged
#                            (jupyterhub-singleuser, bash, python, ...).
set -euo pipefail

die() {
  echo "entrypoint: $*" >&2
  exit 64
}

# Java options from the scheduler arrive as SPARK_JAVA_OPT_0, _1, ... and their
# order matters (a later -D overrides an earlier one), so sort by the number.
# SPARK_EXECUTOR_JAVA_OPT_<n> is accepted too, for options set by hand.
collect_java_opts() {
  local prefix n
  for prefix in SPARK_JAVA_OPT_ SPARK_EXECUTOR_JAVA_OPT_; do
    while IFS= read -r n; do
      [ -n "$n" ] || continue
      local name="$prefix$n"
      java_opts+=("${!name}")
    done < <(compgen -e | sed -n "s/^${prefix}\([0-9][0-9]*\)$/\1/p" | sort -n)
  done
}

run_executor() {
  local missing=() var
  for var in SPARK_DRIVER_URL SPARK_EXECUTOR_ID SPARK_EXECUTOR_CORES \
             SPARK_EXECUTOR_MEMORY SPARK_APPLICATION_ID SPARK_EXECUTOR_POD_IP \
             SPARK_EXECUTOR_POD_NAME SPARK_RESOURCE_PROFILE_ID; do
    [ -n "${!var:-}" ] || missing+=("$var")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    die "executor mode needs these environment variables, which are unset or empty: ${missing[*]}"
  fi
  if [ -z "${SPARK_HOME:-}" ] || [ ! -d "$SPARK_HOME/jars" ]; then
    die "SPARK_HOME (${SPARK_HOME:-unset}) has no jars/ directory"
  fi

  # Conf dir first so log4j2 and other resources mounted there win over the
  # jar defaults; then extra user/distribution classpaths, then Spark's jars.
  local cp="$SPARK_HOME/jars/*"
  [ -n "${SPARK_DIST_CLASSPATH:-}" ] && cp="$SPARK_DIST_CLASSPATH:$cp"
  [ -n "${SPARK_CLASSPATH:-}" ] && cp="$SPARK_CLASSPATH:$cp"
  [ -n "${HADOOP_CONF_DIR:-}" ] && cp="$HADOOP_CONF_DIR:$cp"
  [ -n "${SPARK_CONF_DIR:-}" ] && cp="$SPARK_CONF_DIR:$cp"

  # An IPv6 pod IP must be bracketed to be used as a host in Spark URLs.
  local host="$SPARK_EXECUTOR_POD_IP"
  if [[ "$host" == *:* && "$host" != \[* ]]; then host="[$host]"; fi

  local java_opts=()
  collect_java_opts

  local java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
  set -x
  exec "$java" \
    "${java_opts[@]}" \
    "-Xms$SPARK_EXECUTOR_MEMORY" "-Xmx$SPARK_EXECUTOR_MEMORY" \
    -cp "$cp" \
    org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
    --driver-url "$SPARK_DRIVER_URL" \
    --executor-id "$SPARK_EXECUTOR_ID" \
    --cores "$SPARK_EXECUTOR_CORES" \
    --app-id "$SPARK_APPLICATION_ID" \
    --hostname "$host" \
    --resourceProfileId "$SPARK_RESOURCE_PROFILE_ID" \
    --podName "$SPARK_EXECUTOR_POD_NAME"
}

if [ "$#" -eq 0 ]; then
  set -- jupyterhub-singleuser
fi

case "$1" in
  executor)
    shift
    run_executor "$@"
    ;;
  serve)
    shift
    exec "${VIRTUAL_ENV:-/opt/venv}/bin/python" /opt/ds-platform/serve.py "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
