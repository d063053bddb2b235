#!/usr/bin/env bash
# The end-to-end tier: the whole platform deployed FOR REAL with `pulumi up` onto a real
# single-node Kubernetes cluster built on this machine, exercised, updated and destroyed.
#
#   1. build (cached) and start the cluster (.ci/cluster) and the Pulumi engine (.ci/engine);
#   2. build and push to the cluster's registry (127.0.0.1:5000) the mirrored third-party images
#      (.ci/e2e/airgap-images.sh) and the notebook image (ds-platform/notebook:ci from the image
#      stage, built here the same way when missing), each used by digest;
#   3. render the e2e stack (test/e2e/stack.yaml) into a temporary config file, local file
#      backend in a temporary directory, a random passphrase and random passwords;
#   a. `pulumi up` from an empty backend, then the time until the hub answers;
#   b. the e2e suite (test/e2e, jest) against the deployed stack;
#   c. `pulumi preview --expect-no-changes`: a second deploy changes nothing;
#   d. a code-only change to the image (a copy of its context with a changed entrypoint.sh),
#      rebuilt from cache and pushed, set as image.prebuilt.cpu, `pulumi up`: the new digest in
#      the hub's values and the Spark ConfigMap, and a server started afterwards runs it;
#   e. `pulumi destroy`: nothing of the stack left in the cluster;
#   f. the cluster stopped and removed (always, also on failure).
# Every step's time is printed ("FIGURE step_<name>_seconds=..."), and the suite's figures.
# Ends with "N passed, M failed" (the suite's and the airgap image checks included) and exits
# non-zero if anything failed. A cluster or engine that cannot be built or started is one FAIL
# line saying why, never a skip.
#
# Env: IMAGE (the built notebook image, default ds-platform/notebook:ci), DS_PLATFORM_CACHE,
#      DS_PLATFORM_CHARTS (packaged charts, default ../shared/charts: the z2jh chart is read as
#      jupyterhub-4.4.0.tgz there, through hub.chart.repository as a user points it at the real
#      repository), BUILD_CA_BUNDLE (as .ci/image-test.sh), E2E_LOG_DIR (keep the logs: pulumi,
#      builds, hub), E2E_KEEP_CLUSTER=1 (leave the cluster up for debugging; the stack is
#      still destroyed). A cluster that was already up when the run started is left up too.
# The node -e snippets are JavaScript in single quotes, expanded by node, not the shell.
# shellcheck disable=SC2016
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/checks.sh
source "$ROOT/.ci/lib/checks.sh"
# shellcheck source=lib/docker.sh
source "$ROOT/.ci/lib/docker.sh"
cd "$ROOT" || exit 1

DOCKER=${DOCKER:-/usr/bin/docker}
CHARTS=${DS_PLATFORM_CHARTS:-$ROOT/../shared/charts}
HUB_CHART=$CHARTS/jupyterhub-4.4.0.tgz
IMAGE=${IMAGE:-ds-platform/notebook:ci}
CA_BUNDLE=${BUILD_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
REGISTRY=127.0.0.1:5000
REPOSITORY=$REGISTRY/ds-platform/notebook
STACK=e2e
# What test/e2e/stack.yaml sets; the suite is told the same.
NS=ds-platform-e2e
ADMIN="admin"
NB_UID=1000
NB_GID=100
CULL_TIMEOUT=60
CULL_EVERY=20
# Bounds, in seconds.
UP_SECS=1500
HUB_READY_SECS=180
DESTROY_SECS=600

WORK=$(mktemp -d)
LOGS=${E2E_LOG_DIR:-$WORK/logs}
mkdir -p "$LOGS"
CFG=$WORK/Pulumi.$STACK.yaml
export PULUMI_BACKEND_URL="file://$WORK/state"
mkdir -p "$WORK/state"
PULUMI_CONFIG_PASSPHRASE=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
export PULUMI_CONFIG_PASSPHRASE
# Types are checked by the unit stage (npm test); the program is only transpiled here.
export PULUMI_NODEJS_TRANSPILE_ONLY=true
export PULUMI_SKIP_UPDATE_CHECK=true

CLUSTER_UP=""
STACK_CREATED=""
UPGRADE_CREATED=""
DESTROYED=""
PUSHED_TAGS=()
PF_PID=""
CLEANED=""

# ---------------------------------------------------------------------------
# Step timing: "step NAME" starts one, "step_done" ends it; a report at the end.
STEP_NAMES=()
STEP_TIMES=()
STEP_NAME=""
STEP_T0=""
step() {
  step_done
  STEP_NAME=$1
  STEP_T0=$(now)
  note "$1"
}
step_done() {
  [ -n "$STEP_NAME" ] || return 0
  local t
  t=$(since "$STEP_T0")
  STEP_NAMES+=("$STEP_NAME")
  STEP_TIMES+=("$t")
  echo "  ($STEP_NAME: $t s)"
  STEP_NAME=""
}

# logged NAME COMMAND...: runs COMMAND with its output in $LOGS/NAME.log; on failure shows the tail.
logged() {
  local name=$1
  shift
  if "$@" >"$LOGS/$name.log" 2>&1; then
    return 0
  fi
  echo "  ---- last lines of $name.log:"
  tail -n 30 "$LOGS/$name.log" | sed 's/^/  | /'
  return 1
}

# add_counts LOG: adds a sub-run's closing "N passed, M failed" to this stage's totals.
add_counts() {
  local line p f
  line=$(grep -E '(^|: )[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
  [ -n "$line" ] || return 1
  p=$(sed -E 's/^(.*: )?([0-9]+) passed.*/\2/' <<<"$line")
  f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
  PASSED=$((PASSED + p))
  FAILED=$((FAILED + f))
  echo "  (counted: $line)"
}

# resource_counts LOG: pulumi's "Resources:" summary on one line ("+ 21 created 2 unchanged").
resource_counts() {
  sed -n '/^Resources:/,/^$/p' "$1" | grep -E '[0-9]+ [a-z]+' | tr -s ' ' | tr '\n' ' ' | sed 's/ *$//'
}

kc() { "$KUBECTL" --kubeconfig "$KUBECONFIG" "$@"; }
# pulumi_stack SECONDS COMMAND...: pulumi on the e2e stack and its config file, bounded.
pulumi_stack() {
  local secs=$1
  shift
  timeout "$secs" pulumi "$@" --stack "$STACK" --config-file "$CFG" --non-interactive --color never
}

stop_port_forward() {
  if [ -n "$PF_PID" ]; then
    kill "$PF_PID" 2>/dev/null
    wait "$PF_PID" 2>/dev/null
    PF_PID=""
  fi
}

# wait_hub SECONDS: GET /hub/api through a port-forward of proxy-public until it answers 200.
wait_hub() {
  local deadline=$((SECONDS + $1)) port code
  while [ "$SECONDS" -lt "$deadline" ]; do
    if [ -z "$PF_PID" ] || ! kill -0 "$PF_PID" 2>/dev/null; then
      stop_port_forward
      kc -n "$NS" port-forward --address 127.0.0.1 service/proxy-public :80 >"$WORK/pf.log" 2>&1 &
      PF_PID=$!
      sleep 1
    fi
    port=$(sed -n 's/^Forwarding from 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$WORK/pf.log" | head -n 1)
    if [ -n "$port" ]; then
      code=$(curl -s -o "$WORK/hub-api.json" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/hub/api" || true)
      if [ "$code" = 200 ]; then
        stop_port_forward
        return 0
      fi
    fi
    sleep 1
  done
  stop_port_forward
  return 1
}

# show_hub: the hub's state and log, for a failure.
show_hub() {
  echo "  ---- pods in $NS:"
  kc -n "$NS" get pods -o wide 2>&1 | sed 's/^/  | /'
  echo "  ---- last hub log lines:"
  kc -n "$NS" logs deploy/hub --tail 40 2>&1 | sed 's/^/  | /'
  kc -n "$NS" logs deploy/hub >"$LOGS/hub.log" 2>&1 || true
  kc -n "$NS" get events --sort-by=.lastTimestamp >"$LOGS/events.log" 2>&1 || true
}

# run_suite NAME [JEST ARGS...]: the e2e suite against the deployed stack; its counts are added.
run_suite() {
  local name=$1 image=$2
  shift 2
  # SUITE_NS and SUITE_*_PASSWORD point a suite at another platform (the upgrade's).
  E2E_KUBECTL="$KUBECTL" E2E_NAMESPACE="${SUITE_NS:-$NS}" E2E_HUB_PASSWORD="${SUITE_USER_PASSWORD:-$USER_PASSWORD}" \
    E2E_ADMIN_PASSWORD="${SUITE_ADMIN_PASSWORD:-$ADMIN_PASSWORD}" \
    E2E_ADMIN="$ADMIN" E2E_IMAGE="$image" E2E_UID="$NB_UID" E2E_GID="$NB_GID" E2E_STORAGE_CLASS=standard \
    E2E_CULL_TIMEOUT_SECONDS="$CULL_TIMEOUT" E2E_CULL_EVERY_SECONDS="$CULL_EVERY" \
    "$ROOT/node_modules/.bin/jest" -c test/e2e/jest.config.js --ci "$@" 2>&1 | tee "$LOGS/$name.log" | grep -E '^\s*(✓|✕|○)|^\s*●|passed, .* failed'
  local rc=${PIPESTATUS[0]}
  # FIGURE lines are printed by console.log inside jest, indented; keep them greppable.
  grep -oE 'FIGURE [a-z_]+=[0-9.]+' "$LOGS/$name.log" | sed "s/^FIGURE /FIGURE ${name}_/" || true
  if ! add_counts "$LOGS/$name.log"; then
    fail "$name: the e2e suite printed no summary (exit $rc)"
    tail -n 30 "$LOGS/$name.log" | sed 's/^/  | /'
  fi
  [ "$rc" -eq 0 ] || show_hub
  return "$rc"
}

# push_digest TAG: pushes TAG and prints (run in $(...): the caller records TAG for the clean-up) <repository>@sha256:<digest>.
push_digest() {
  local tag=$1 out digest
  out=$("$DOCKER" push "$tag" 2>&1) || { echo "$out" | tail -n 5 >&2; return 1; }
  digest=$(grep -oE 'digest: sha256:[0-9a-f]{64}' <<<"$out" | tail -n 1 | cut -d' ' -f2)
  [ -n "$digest" ] || return 1
  echo "${tag%:*}@$digest"
}

# build_notebook TAG CONTEXT: the cpu target as .ci/image-test.sh builds it (same base, args and CA
# secret), so an unchanged context is all cache.
build_notebook() {
  local revision source_url
  revision=$("$DOCKER" image inspect -f '{{ index .Config.Labels "org.opencontainers.image.revision" }}' "$IMAGE" 2>/dev/null || true)
  source_url=$("$DOCKER" image inspect -f '{{ index .Config.Labels "org.opencontainers.image.source" }}' "$IMAGE" 2>/dev/null || true)
  DOCKER_BUILDKIT=1 "$DOCKER" build \
    --build-arg BASE_IMAGE="$BASE_IMAGE" \
    --build-arg SOURCE_URL="${source_url:-https://example.invalid/ds-platform}" \
    --build-arg REVISION="${revision:-$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)}" \
    --secret id=ca,src="$CA_BUNDLE" \
    --target cpu -t "$1" "$2"
}

# leftovers: cluster-scoped objects of the stack that outlive it, one per line.
leftovers() {
  kc get clusterroles,clusterrolebindings,priorityclasses,storageclasses,persistentvolumes -o json 2>/dev/null | NS="$NS" node -e '
    const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const ns = process.env.NS;
    for (const o of d.items) {
      const m = o.metadata, l = m.labels || {}, a = m.annotations || {};
      const ours = m.name.includes(ns) || l["app.kubernetes.io/part-of"] === "ds-platform" ||
        l.release === "jupyterhub-" + ns || a["meta.helm.sh/release-namespace"] === ns ||
        (o.kind === "PersistentVolume" && o.spec.claimRef && o.spec.claimRef.namespace === ns);
      if (ours) console.log(`${o.kind}/${m.name}`);
    }'
}

# ---------------------------------------------------------------------------
cleanup() {
  [ -z "$CLEANED" ] || return 0
  CLEANED=1
  step_done
  stop_port_forward
  if [ -n "${ENGINE_BUILD:-}" ] && kill -0 "$ENGINE_BUILD" 2>/dev/null; then
    kill "$ENGINE_BUILD" 2>/dev/null
  fi
  if [ -n "$STACK_CREATED" ] && [ -z "$DESTROYED" ] && [ -n "$CLUSTER_UP" ] && [ "${E2E_KEEP_CLUSTER:-0}" = 1 ]; then
    # The cluster stays: take the stack off it.
    pulumi_stack "$DESTROY_SECS" destroy --yes --skip-preview >"$LOGS/destroy-cleanup.log" 2>&1 || true
  fi
  if [ -n "$UPGRADE_CREATED" ] && [ -n "$CLUSTER_UP" ] && [ "${E2E_KEEP_CLUSTER:-0}" = 1 ]; then
    pulumi_upgrade "$DESTROY_SECS" "$ROOT" destroy --yes --skip-preview >"$LOGS/upgrade-destroy-cleanup.log" 2>&1 || true
  fi
  if [ -n "$CLUSTER_UP" ] && [ "${E2E_KEEP_CLUSTER:-0}" != 1 ]; then
    step "f. cluster down"
    # The extra nodes first: down.sh knows nothing of them.
    bash .ci/cluster/extras.sh down >"$LOGS/extras-down.log" 2>&1 || fail "extras.sh down failed: $(tail -n 1 "$LOGS/extras-down.log")"
    if bash .ci/cluster/down.sh >"$LOGS/cluster-down.log" 2>&1; then
      local state=${DS_CLUSTER_STATE:-/run/ds-platform-cluster}
      if [ ! -e "$state" ] && ! ip link show "${DS_CLUSTER_BRIDGE:-dsk0}" >/dev/null 2>&1; then
        pass "the cluster is down and left no state ($state and the bridge are gone)"
      else
        fail "the cluster left state behind: $(ls -d "$state" 2>/dev/null) $(ip -br link show "${DS_CLUSTER_BRIDGE:-dsk0}" 2>/dev/null)"
      fi
    else
      fail "cluster down.sh failed"
      tail -n 20 "$LOGS/cluster-down.log" | sed 's/^/  | /'
    fi
    step_done
  elif [ -n "$CLUSTER_UP" ]; then
    echo "E2E_KEEP_CLUSTER=1: the cluster stays up (KUBECONFIG=$KUBECONFIG); remove it with: bash .ci/cluster/down.sh"
  fi
  for tag in "${PUSHED_TAGS[@]}"; do
    "$DOCKER" rmi "$tag" >/dev/null 2>&1 || true
  done
  [ -n "${UPDATE_CONTEXT:-}" ] && rm -rf "$UPDATE_CONTEXT"
  rm -rf "$WORK"
}

report() {
  echo
  echo "step times (s):"
  local i
  for i in "${!STEP_NAMES[@]}"; do
    printf '  %-40s %8s\n' "${STEP_NAMES[$i]}" "${STEP_TIMES[$i]}"
    echo "FIGURE step_$(tr -c 'a-z0-9\n' '_' <<<"${STEP_NAMES[$i],,}" | sed -E 's/_+/_/g; s/^_|_$//g')_seconds=${STEP_TIMES[$i]}"
  done
}

# end: tear down, report and exit with the summary line last.
end() {
  cleanup
  report
  finish
}
trap 'cleanup' EXIT
trap 'exit 130' INT TERM

# ===========================================================================
step "prerequisites"
ensure_docker || { fail "the docker engine could not be started"; end; }
for tool in curl node openssl; do
  command -v "$tool" >/dev/null 2>&1 || { fail "$tool is not installed"; end; }
done
if [ ! -x "$ROOT/node_modules/.bin/jest" ] || [ ! -x "$ROOT/node_modules/.bin/ts-node" ]; then
  logged npm-ci npm ci --ignore-scripts --no-audit --no-fund || { fail "npm ci failed"; end; }
fi
if [ ! -f "$HUB_CHART" ]; then
  fail "the z2jh chart $HUB_CHART is missing (set DS_PLATFORM_CHARTS to the folder of jupyterhub-4.4.0.tgz)"
  end
fi

step "cluster and engine build"
# Both are Go builds into the cache (seconds when cached); cold, they overlap their downloads.
bash .ci/engine/build.sh >"$LOGS/engine-build.log" 2>&1 &
ENGINE_BUILD=$!
t0=$(now)
logged cluster-build bash .ci/cluster/build.sh
CLUSTER_BUILD_RC=$?
echo "  cluster build: $(since "$t0") s"
wait "$ENGINE_BUILD"
ENGINE_BUILD_RC=$?
echo "  engine build: $(since "$t0") s"
if [ "$CLUSTER_BUILD_RC" -ne 0 ]; then
  fail "the Kubernetes cluster could not be built: $(grep -m1 'FAILED' "$LOGS/cluster-build.log" || tail -n 1 "$LOGS/cluster-build.log")"
fi
if [ "$ENGINE_BUILD_RC" -ne 0 ]; then
  echo "  ---- last lines of engine-build.log:"
  tail -n 30 "$LOGS/engine-build.log" | sed 's/^/  | /'
  fail "the Pulumi engine could not be built: $(grep -m1 -iE 'FAILED|error' "$LOGS/engine-build.log" || tail -n 1 "$LOGS/engine-build.log")"
fi
[ "$CLUSTER_BUILD_RC" -eq 0 ] && [ "$ENGINE_BUILD_RC" -eq 0 ] || end
# shellcheck source=engine/env.sh
if ! source .ci/engine/env.sh; then
  fail "the Pulumi engine is not usable (.ci/engine/env.sh)"
  end
fi
# env.sh keeps the caller's backend: ours, in the temporary directory.
echo "pulumi $(pulumi version), backend $PULUMI_BACKEND_URL"

step "cluster up"
KUBECTL=$(bash -c '. .ci/cluster/lib.sh && echo "$KUBECTL"')
if ! bash .ci/cluster/up.sh >"$WORK/up.out" 2>"$LOGS/cluster-up.log"; then
  CLUSTER_UP=1 # a partial cluster is removed by the clean-up
  fail "the Kubernetes cluster could not be started: $(grep -m1 'FAILED' "$LOGS/cluster-up.log" || tail -n 1 "$LOGS/cluster-up.log")"
  tail -n 25 "$LOGS/cluster-up.log" | sed 's/^/  | /'
  end
fi
CLUSTER_UP=1
if grep -q 'cluster already up' "$LOGS/cluster-up.log"; then
  # Someone's cluster on this machine (a developer's): use it, and leave it up at the end.
  echo "  NOTE: the cluster was already up before this run: it is used and left up (no down.sh, no state check)"
  E2E_KEEP_CLUSTER=1
fi
KUBECONFIG=$(sed -n 's/^export KUBECONFIG=//p' "$WORK/up.out" | tail -n 1)
export KUBECONFIG
if [ -z "$KUBECONFIG" ] || ! kc get --raw=/readyz >/dev/null 2>&1; then
  fail "the cluster printed no usable kubeconfig: $(cat "$WORK/up.out")"
  end
fi
pass "cluster up: $(kc version -o json 2>/dev/null | node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(`Kubernetes ${v.serverVersion.gitVersion}`)'), node $(kc get nodes -o jsonpath='{.items[0].metadata.name} {.items[0].status.conditions[?(@.type=="Ready")].status}')"

step "cluster extras"
# A GPU node (fake GPUs), a CPU worker and a ReadWriteMany class for the Spark tier (.ci/cluster/extras.sh).
if logged extras-up bash .ci/cluster/extras.sh up; then
  pass "cluster extras: nodes $(grep -v '^extras.sh' "$LOGS/extras-up.log" | tr '\n' ' ')and StorageClass shared"
else
  fail "the cluster extras could not be started: $(grep -m1 'FAILED' "$LOGS/extras-up.log" || tail -n 1 "$LOGS/extras-up.log")"
  end
fi

step "images: mirrored third-party"
if REGISTRY=$REGISTRY CHART_TGZ="$HUB_CHART" logged airgap-images bash .ci/e2e/airgap-images.sh --push --out "$WORK/images.json"; then
  add_counts "$LOGS/airgap-images.log"
else
  add_counts "$LOGS/airgap-images.log" || fail "airgap-images.sh failed without a summary"
  fail "the mirrored images could not all be built and pushed"
  end
fi
node -e 'const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); for (const [k, v] of Object.entries(d)) console.log(`  ${k}: ${v}`);' "$WORK/images.json"

step "images: notebook"
BASE_IMAGE=$(bash .ci/lib/base-image.sh 2>>"$LOGS/base-image.log") || { fail "the base image could not be built"; end; }
# The image stage has built $IMAGE from this tree: the same build again is all cache (seconds),
# and guarantees the deployed image is this tree's, so step d's rebuild is a code-only change.
t0=$(now)
logged notebook-build build_notebook "$IMAGE" images/notebook || { fail "the notebook image could not be built"; end; }
echo "  $IMAGE built (from cache when the image stage built it) in $(since "$t0") s"
TAG=$REPOSITORY:e2e-$("$DOCKER" image inspect -f '{{.Id}}' "$IMAGE" | cut -d: -f2 | head -c 12)
"$DOCKER" tag "$IMAGE" "$TAG"
PUSHED_TAGS+=("$TAG")
NOTEBOOK_REF=$(push_digest "$TAG") || { fail "push of $TAG failed"; end; }
pass "notebook image $IMAGE pushed as $NOTEBOOK_REF"
# What the pre-puller would do on real nodes: the extra nodes start with the images.
logged extras-pull bash .ci/cluster/extras.sh pull "$NOTEBOOK_REF" "$(json "$WORK/images.json" 'd["network-tools"]')" ||
  fail "pulling the images into the extra nodes failed"

step "stack config"
if ! E2E_NOTEBOOK_IMAGE="$NOTEBOOK_REF" E2E_HUB_CHART="$HUB_CHART" E2E_REGISTRY="$REGISTRY" E2E_IMAGES_JSON="$WORK/images.json" \
  E2E_NAMESPACE="$NS" "$ROOT/node_modules/.bin/ts-node" --transpile-only test/e2e/render-stack.ts "$CFG"; then
  fail "the e2e stack config could not be rendered"
  end
fi
# `pulumi stack init` writes the passphrase's salt to Pulumi.<stack>.yaml beside the project file
# and has no --config-file: it runs beside a copy of the project file in the temporary directory,
# and the salt is moved into the config file.
mkdir -p "$WORK/init"
cp Pulumi.yaml "$WORK/init/"
if ! (cd "$WORK/init" && pulumi stack init "$STACK" --secrets-provider passphrase --no-select --non-interactive) >"$LOGS/stack-init.log" 2>&1; then
  fail "pulumi stack init failed: $(tail -n 3 "$LOGS/stack-init.log")"
  end
fi
STACK_CREATED=1
if [ -f "$WORK/init/Pulumi.$STACK.yaml" ]; then
  grep '^encryptionsalt:' "$WORK/init/Pulumi.$STACK.yaml" >>"$CFG"
fi
USER_PASSWORD=$(openssl rand -hex 12)
ADMIN_PASSWORD=$(openssl rand -hex 24)
if pulumi_stack 60 config set --secret hubPassword "$USER_PASSWORD" >"$LOGS/config.log" 2>&1 &&
  pulumi_stack 60 config set --secret hubAdminPassword "$ADMIN_PASSWORD" >>"$LOGS/config.log" 2>&1; then
  pass "stack $STACK: config in a temporary file, local backend, secrets set with pulumi config set --secret"
else
  fail "setting the stack's secrets failed: $(tail -n 3 "$LOGS/config.log")"
  end
fi
[ ! -e "Pulumi.$STACK.yaml" ] || fail "a Pulumi.$STACK.yaml appeared in the project"
cp "$CFG" "$LOGS/Pulumi.$STACK.yaml"

# ---------------------------------------------------------------------------
step "a. pulumi up"
t0=$(now)
if pulumi_stack "$UP_SECS" up --yes --skip-preview >"$LOGS/up.log" 2>&1; then
  UP_TIME=$(since "$t0")
  pass "pulumi up from an empty backend in $UP_TIME s ($(resource_counts "$LOGS/up.log"))"
else
  fail "pulumi up failed after $(since "$t0") s"
  grep -E 'error:|Error' "$LOGS/up.log" | head -n 20 | sed 's/^/  | /'
  tail -n 30 "$LOGS/up.log" | sed 's/^/  | /'
  show_hub
  end
fi
if wait_hub "$HUB_READY_SECS"; then
  HUB_READY=$(since "$t0")
  pass "the hub answers through proxy-public $HUB_READY s after pulumi up started (JupyterHub $(json "$WORK/hub-api.json" 'd.version'))"
  echo "FIGURE hub_ready_seconds=$HUB_READY up_seconds=$UP_TIME"
else
  fail "the hub did not answer through proxy-public within ${HUB_READY_SECS} s of pulumi up finishing"
  show_hub
  end
fi

step "b. e2e suite"
run_suite suite "$NOTEBOOK_REF" test/e2e/platform.test.ts

step "c. preview expects no changes"
if pulumi_stack 600 preview --expect-no-changes >"$LOGS/preview.log" 2>&1; then
  pass "pulumi preview --expect-no-changes: a second deploy changes nothing"
else
  fail "pulumi preview found changes on an unchanged stack:"
  grep -E '^\s+[~+-]|error' "$LOGS/preview.log" | head -n 20 | sed 's/^/  | /'
fi

step "c2. a pull that cannot succeed"
# The pre-puller runs before the hub's release and is waited for with a bound: an image that cannot
# be pulled fails pulumi up within that bound, naming the pod and the cluster's reason, and the hub
# is left as it was. The pause image stands in for any image: only the pre-puller and the release use it.
GOOD_PAUSE=$(pulumi_stack 60 config get --path images.pause 2>>"$LOGS/config.log")
BAD_PAUSE="${GOOD_PAUSE%@*}@sha256:$(printf '0%.0s' $(seq 64))"
PULL_BOUND=60
t0=$(now)
if pulumi_stack 60 config set --path images.pause "$BAD_PAUSE" >>"$LOGS/config.log" 2>&1 &&
  pulumi_stack 60 config set --path hub.prePuller.timeoutSeconds "$PULL_BOUND" >>"$LOGS/config.log" 2>&1; then
  if pulumi_stack 900 up --yes --skip-preview >"$LOGS/up-bad-pull.log" 2>&1; then
    fail "pulumi up succeeded with an image that cannot be pulled ($BAD_PAUSE)"
  else
    took=$(since "$t0")
    named=$(grep -oE "image-prepuller-[a-z0-9]+\]?:? .*(ErrImagePull|ImagePullBackOff)[^\"]*" "$LOGS/up-bad-pull.log" | head -n 1 | cut -c1-240)
    echo "FIGURE bad_pull_fail_seconds=$took"
    if [ -n "$named" ] && [ "${took%.*}" -lt $((PULL_BOUND + 240)) ]; then
      pass "pulumi up with an image that cannot be pulled failed after $took s (bound ${PULL_BOUND} s), naming the pod and reason: $named"
    else
      fail "pulumi up with an image that cannot be pulled failed after $took s without naming the pre-puller's pod and the pull error"
      grep -E 'error|image-prepuller' "$LOGS/up-bad-pull.log" | head -n 20 | sed 's/^/  | /'
    fi
  fi
  if [ "$(kc -n "$NS" get deploy hub -o jsonpath='{.status.readyReplicas}' 2>/dev/null)" = 1 ] && wait_hub "$HUB_READY_SECS"; then
    pass "the hub kept running through the failed pull"
  else
    fail "the hub is not running after the failed pull"
  fi
else
  fail "the stack's images.pause could not be changed"
fi
t0=$(now)
if pulumi_stack 60 config set --path images.pause "$GOOD_PAUSE" >>"$LOGS/config.log" 2>&1 &&
  pulumi_stack 60 config rm --path hub.prePuller.timeoutSeconds >>"$LOGS/config.log" 2>&1 &&
  pulumi_stack "$UP_SECS" up --yes --skip-preview >"$LOGS/up-good-pull.log" 2>&1 &&
  pulumi_stack 600 preview --expect-no-changes >"$LOGS/preview-good-pull.log" 2>&1; then
  pass "with the image restored, pulumi up converges in $(since "$t0") s and a preview changes nothing"
else
  fail "pulumi up with the image restored failed, or left changes"
  tail -n 20 "$LOGS/up-good-pull.log" "$LOGS/preview-good-pull.log" | sed 's/^/  | /'
fi

step "d. image update"
UPDATE_CONTEXT=$(mktemp -d)
cp -a images/notebook/. "$UPDATE_CONTEXT/"
printf '\n# e2e: a code-only change to the image\n' >>"$UPDATE_CONTEXT/entrypoint.sh"
t0=$(now)
if logged notebook-rebuild build_notebook "$REPOSITORY:e2e-update" "$UPDATE_CONTEXT"; then
  REBUILD_TIME=$(since "$t0")
  PUSHED_TAGS+=("$REPOSITORY:e2e-update")
  NEW_REF=$(push_digest "$REPOSITORY:e2e-update") || { fail "push of the rebuilt image failed"; end; }
  echo "FIGURE rebuild_seconds=$REBUILD_TIME"
  if [ "$NEW_REF" != "$NOTEBOOK_REF" ]; then
    pass "code-only change rebuilt in $REBUILD_TIME s: $NEW_REF"
  else
    fail "the rebuilt image has the old digest $NEW_REF"
  fi
else
  fail "the code-only rebuild failed"
  end
fi
NEW_HEX=${NEW_REF##*:}
OLD_HEX=${NOTEBOOK_REF##*:}
t0=$(now)
if pulumi_stack 60 config set --path image.prebuilt.cpu "$NEW_REF" >>"$LOGS/config.log" 2>&1 &&
  pulumi_stack "$UP_SECS" up --yes --skip-preview >"$LOGS/up-update.log" 2>&1; then
  UPDATE_TIME=$(since "$t0")
  pass "pulumi up with the new image.prebuilt.cpu in $UPDATE_TIME s ($(resource_counts "$LOGS/up-update.log"))"
  echo "FIGURE update_seconds=$UPDATE_TIME"
else
  fail "pulumi up with the new image failed"
  tail -n 30 "$LOGS/up-update.log" | sed 's/^/  | /'
  show_hub
  end
fi
# The chart renders its values into the hub Secret; KubeSpawner's image is singleuser.image there.
kc -n "$NS" get secret hub -o jsonpath='{.data.values\.yaml}' | base64 -d >"$WORK/hub-values.yaml" 2>/dev/null
hub_image=$(node -e '
  const v = require(process.argv[1]).parse(require("fs").readFileSync(process.argv[2], "utf8"));
  const i = v.singleuser.image; console.log(i.tag ? `${i.name}:${i.tag}` : i.name);' "$ROOT/node_modules/yaml" "$WORK/hub-values.yaml" 2>&1)
if [ "$hub_image" = "$NEW_REF" ] && ! grep -q "$OLD_HEX" "$WORK/hub-values.yaml"; then
  pass "the hub's values (Secret hub, values.yaml) give KubeSpawner the new image, and the old digest nowhere"
else
  fail "the hub's values give KubeSpawner $hub_image, expected $NEW_REF"
fi
kc -n "$NS" get configmap spark-conf -o json >"$WORK/spark-conf.json" 2>/dev/null
spark_image=$(json "$WORK/spark-conf.json" 'd.data["spark-defaults.conf"].split("\n").filter((l) => /^spark\.kubernetes\.container\.image[\s=]/.test(l)).map((l) => l.split(/[\s=]+/)[1]).join(" ")')
if [ "$spark_image" = "$NEW_REF" ] && ! grep -q "$OLD_HEX" "$WORK/spark-conf.json"; then
  pass "ConfigMap spark-conf: spark.kubernetes.container.image is the new digest, and the old one is nowhere"
else
  fail "ConfigMap spark-conf: spark.kubernetes.container.image is '$spark_image', expected $NEW_REF"
fi
if [ "$(kc -n "$NS" rollout status deploy/hub --timeout=300s >/dev/null 2>&1 && echo ok)" = ok ] && wait_hub "$HUB_READY_SECS"; then
  pass "the hub rolled out with the new values and answers"
else
  fail "the hub did not come back after the update"
  show_hub
fi
if run_suite suite-update "$NEW_REF" -t "notebook server"; then
  pass "servers started after the update run the new digest (${NEW_HEX:0:12}), as the suite checked"
else
  fail "the suite failed on servers started after the update (expected image $NEW_REF)"
fi

step "d2. spark tier: GPU executors, history server"
logged extras-pull-update bash .ci/cluster/extras.sh pull "$NEW_REF" || fail "pulling $NEW_REF into the extra nodes failed"
t0=$(now)
if pulumi_stack 60 config set --path image.gpu true >>"$LOGS/config.log" 2>&1 &&
  pulumi_stack 60 config set --path image.prebuilt.gpu "$NEW_REF" >>"$LOGS/config.log" 2>&1 &&
  pulumi_stack 60 config set --path spark.gpuExecutors.enabled true >>"$LOGS/config.log" 2>&1 &&
  pulumi_stack 60 config set --path spark.historyServer.enabled true >>"$LOGS/config.log" 2>&1 &&
  pulumi_stack 60 config set --path spark.historyServer.storageClass shared >>"$LOGS/config.log" 2>&1 &&
  pulumi_stack "$UP_SECS" up --yes --skip-preview >"$LOGS/up-tier.log" 2>&1; then
  pass "pulumi up with GPU executors and the history server in $(since "$t0") s"
  E2E_SPARK_TIER=1 run_suite spark-tier "$NEW_REF" test/e2e/spark.test.ts test/e2e/network.test.ts test/e2e/gpu.test.ts test/e2e/isolation.test.ts
  if pulumi_stack 600 preview --expect-no-changes >"$LOGS/preview-tier.log" 2>&1; then
    pass "pulumi preview --expect-no-changes with the Spark tier's settings"
  else
    fail "pulumi preview found changes with the Spark tier's settings"
    grep -E '^\s+[~+-]|error' "$LOGS/preview-tier.log" | head -n 20 | sed 's/^/  | /'
  fi
else
  fail "pulumi up with the Spark tier's settings failed"
  tail -n 30 "$LOGS/up-tier.log" | sed 's/^/  | /'
  show_hub
fi

step "d3. executors in their own namespace"
t0=$(now)
if pulumi_stack 60 config set --path spark.namespace "$NS-executors" >>"$LOGS/config.log" 2>&1 &&
  pulumi_stack "$UP_SECS" up --yes --skip-preview >"$LOGS/up-executor-namespace.log" 2>&1; then
  pass "pulumi up with spark.namespace $NS-executors in $(since "$t0") s"
  E2E_SPARK_TIER=1 E2E_ISO_USER_A=e2e-iso-ns-ana E2E_ISO_USER_B=e2e-iso-ns-ben \
    run_suite spark-namespace "$NEW_REF" test/e2e/spark-namespace.test.ts test/e2e/isolation.test.ts
else
  fail "pulumi up with spark.namespace failed"
  tail -n 30 "$LOGS/up-executor-namespace.log" | sed 's/^/  | /'
fi

step "d4. a model trained in a notebook, served by the stack"
# As a data scientist publishes a model: save it from a notebook to the home volume, list it under
# models (pvc://<home claim>/...), pulumi up, call it from a notebook through the exported URL.
MODEL_STATE="$WORK/model-state.json"
if E2E_MODEL_PHASE=train E2E_MODEL_STATE="$MODEL_STATE" run_suite model-train "$NEW_REF" test/e2e/model.test.ts; then
  t0=$(now)
  model_claim=$(json "$MODEL_STATE" 'd["claim"]')
  model_path=$(json "$MODEL_STATE" 'd["path"]')
  if pulumi_stack 60 config set --path 'models[0].name' iris >>"$LOGS/config.log" 2>&1 &&
    pulumi_stack 60 config set --path 'models[0].artifact' "pvc://$model_claim/$model_path" >>"$LOGS/config.log" 2>&1 &&
    pulumi_stack "$UP_SECS" up --yes --skip-preview >"$LOGS/up-model.log" 2>&1; then
    pass "pulumi up with the model pvc://$model_claim/$model_path in $(since "$t0") s"
    MODEL_URLS=$(timeout 60 pulumi stack output modelUrls --json --stack "$STACK" --non-interactive 2>>"$LOGS/config.log")
    E2E_MODEL_PHASE=serve E2E_MODEL_STATE="$MODEL_STATE" E2E_MODEL_URLS="$MODEL_URLS" run_suite model-serve "$NEW_REF" test/e2e/model.test.ts
  else
    fail "pulumi up with a model failed"
    tail -n 30 "$LOGS/up-model.log" | sed 's/^/  | /'
  fi
fi

step "d5. upgrade from the last release"
# The release in .ci/e2e/upgrade-from deploys a second platform (its own stack, namespace and
# config, rendered by that release's own template); the checked-out program's preview of it must
# replace and delete nothing (moved resources carry aliases), and its `pulumi up` must complete.
UPGRADE_FROM=$(grep -v '^#' .ci/e2e/upgrade-from | head -n 1 | tr -d '[:space:]')
UP_STACK=e2e-upgrade
UP_USER_PASSWORD=$(openssl rand -hex 12)
UP_ADMIN_PASSWORD=$(openssl rand -hex 24)
# Replacements and deletions the upgrade from that release is expected to make, each with its reason:
# anything else a preview shows fails the step.
UPGRADE_EXPECTED=.ci/e2e/upgrade-changes
# home_suite PHASE: the upgrade-home suite against the upgrade's platform (a file in a user's home).
home_suite() {
  SUITE_NS="$UP_NS" SUITE_USER_PASSWORD="$UP_USER_PASSWORD" SUITE_ADMIN_PASSWORD="$UP_ADMIN_PASSWORD" E2E_HOME_PHASE="$1" \
    run_suite "upgrade-home-$1" "$NEW_REF" test/e2e/upgrade-home.test.ts
}
UP_NS="$NS-upgrade"
UP_CFG="$WORK/Pulumi.$UP_STACK.yaml"
BASELINE="$WORK/baseline"
pulumi_upgrade() {
  local secs=$1 dir=$2
  shift 2
  (cd "$dir" && timeout "$secs" pulumi "$@" --stack "$UP_STACK" --config-file "$UP_CFG" --non-interactive --color never)
}
if ! git -C "$ROOT" cat-file -e "$UPGRADE_FROM^{commit}" 2>/dev/null; then
  fail "upgrade: commit $UPGRADE_FROM (.ci/e2e/upgrade-from) is not in this clone's history"
elif ! (mkdir -p "$BASELINE" && git -C "$ROOT" archive "$UPGRADE_FROM" | tar -x -C "$BASELINE") 2>"$LOGS/upgrade-baseline.log"; then
  fail "upgrade: the release $UPGRADE_FROM could not be extracted"
else
  if cmp -s package-lock.json "$BASELINE/package-lock.json"; then
    ln -s "$ROOT/node_modules" "$BASELINE/node_modules"
  else
    logged upgrade-npm bash -c "cd '$BASELINE' && npm ci --ignore-scripts --no-audit --no-fund" || fail "upgrade: npm ci of the release failed"
  fi
  mkdir -p "$WORK/init-upgrade"
  cp "$BASELINE/Pulumi.yaml" "$WORK/init-upgrade/"
  # The release renders its stack with its own table of mirrored images: it gets the ones it names.
  node -e '
    const fs = require("fs");
    const known = fs.readFileSync(process.argv[2], "utf8");
    const d = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    const kept = Object.fromEntries(Object.entries(d).filter(([name]) => known.includes(`"${name}"`) || new RegExp(`^\\s*${name}:`, "m").test(known)));
    fs.writeFileSync(process.argv[3], JSON.stringify(kept));' \
    "$WORK/images.json" "$BASELINE/test/e2e/render-stack.ts" "$WORK/images-baseline.json"
  t0=$(now)
  if (cd "$BASELINE" && E2E_NOTEBOOK_IMAGE="$NEW_REF" E2E_HUB_CHART="$HUB_CHART" E2E_REGISTRY="$REGISTRY" E2E_IMAGES_JSON="$WORK/images-baseline.json" \
      E2E_NAMESPACE="$UP_NS" "$ROOT/node_modules/.bin/ts-node" --transpile-only test/e2e/render-stack.ts "$UP_CFG") >"$LOGS/upgrade-config.log" 2>&1 &&
    (cd "$WORK/init-upgrade" && pulumi stack init "$UP_STACK" --secrets-provider passphrase --no-select --non-interactive) >>"$LOGS/upgrade-config.log" 2>&1 &&
    { grep '^encryptionsalt:' "$WORK/init-upgrade/Pulumi.$UP_STACK.yaml" >>"$UP_CFG" || true; } &&
    pulumi_upgrade 60 "$BASELINE" config set --secret hubPassword "$UP_USER_PASSWORD" >>"$LOGS/upgrade-config.log" 2>&1 &&
    pulumi_upgrade 60 "$BASELINE" config set --secret hubAdminPassword "$UP_ADMIN_PASSWORD" >>"$LOGS/upgrade-config.log" 2>&1 &&
    pulumi_upgrade "$UP_SECS" "$BASELINE" up --yes --skip-preview >"$LOGS/upgrade-baseline-up.log" 2>&1; then
    UPGRADE_CREATED=1
    pass "upgrade: release ${UPGRADE_FROM:0:12} deployed a platform in $UP_NS in $(since "$t0") s ($(resource_counts "$LOGS/upgrade-baseline-up.log"))"
    home_suite write || fail "upgrade: a file could not be written in a user's home on the release's platform"
    if pulumi_upgrade 600 "$ROOT" preview --json >"$LOGS/upgrade-preview.json" 2>"$LOGS/upgrade-preview.err"; then
      # Steps that would replace or delete a resource; components' and the provider's own are listed too.
      changes=$(node -e '
        const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        const fs = require("fs");
        const expected = fs.readFileSync(process.argv[2], "utf8").split("\n").filter((l) => l.trim() && !l.startsWith("#")).map((l) => new RegExp(l.split("\t")[0]));
        const bad = (d.steps || []).filter((s) => /replace|delete|discard/.test(s.op));
        const line = (s) => `${s.op} ${s.urn.split("::").slice(2).join("::")}`;
        for (const s of bad.filter((s) => !expected.some((e) => e.test(line(s))))) console.log(line(s));
        console.error(JSON.stringify({ ...(d.changeSummary || {}), expected: bad.filter((s) => expected.some((e) => e.test(line(s)))).length }));
      ' "$LOGS/upgrade-preview.json" "$UPGRADE_EXPECTED" 2>"$LOGS/upgrade-summary.json")
      if [ -z "$changes" ]; then
        pass "upgrade: the checked-out program's preview replaces and deletes nothing but what $UPGRADE_EXPECTED names ($(cat "$LOGS/upgrade-summary.json"))"
      else
        fail "upgrade: the checked-out program's preview would replace or delete:"
        sed 's/^/  | /' <<<"$changes" | head -n 30
      fi
    else
      fail "upgrade: pulumi preview of the release's stack failed: $(tail -n 3 "$LOGS/upgrade-preview.err")"
    fi
    t0=$(now)
    if pulumi_upgrade "$UP_SECS" "$ROOT" up --yes --skip-preview >"$LOGS/upgrade-up.log" 2>&1 &&
      pulumi_upgrade 600 "$ROOT" preview --expect-no-changes >"$LOGS/upgrade-preview-again.log" 2>&1; then
      pass "upgrade: pulumi up onto the release's platform in $(since "$t0") s ($(resource_counts "$LOGS/upgrade-up.log")); a preview after it changes nothing"
      home_suite read || fail "upgrade: the file written in a user's home before the upgrade is not there after it"
    else
      fail "upgrade: pulumi up onto the release's platform failed, or left changes"
      tail -n 20 "$LOGS/upgrade-up.log" "$LOGS/upgrade-preview-again.log" | sed 's/^/  | /'
    fi
    if pulumi_upgrade "$DESTROY_SECS" "$ROOT" destroy --yes --skip-preview >"$LOGS/upgrade-destroy.log" 2>&1; then
      UPGRADE_CREATED=""
      pass "upgrade: the upgraded platform destroyed"
    else
      fail "upgrade: pulumi destroy of the upgraded platform failed: $(tail -n 3 "$LOGS/upgrade-destroy.log")"
    fi
  else
    fail "upgrade: the release ${UPGRADE_FROM:0:12} could not deploy its platform"
    tail -n 20 "$LOGS/upgrade-config.log" "$LOGS/upgrade-baseline-up.log" 2>/dev/null | sed 's/^/  | /'
  fi
fi

step "d6. a team platform from the packed package"
# .ci/consumer-test.sh deploy: npm pack, the tarball installed into a program outside the repository,
# which deploys a small platform of its own into $NS-consumer (kubernetes resources only, chart
# secrets, no Spark tier), reaches its hub and destroys it. Its PASS/FAIL lines are counted here.
KUBECTL="$KUBECTL" CONSUMER_NAMESPACE="$NS-consumer" CONSUMER_NOTEBOOK_IMAGE="${NEW_REF:-$NOTEBOOK_REF}" \
  CONSUMER_REGISTRY="$REGISTRY" CONSUMER_HUB_CHART="$HUB_CHART" CONSUMER_IMAGES_JSON="$WORK/images.json" \
  CONSUMER_STORAGE_CLASS=standard CONSUMER_LOG_DIR="$LOGS/consumer" \
  timeout 3000 bash .ci/consumer-test.sh deploy 2>&1 | tee "$LOGS/consumer.log" | grep -E '^(PASS|FAIL): |^  \| '
consumer_rc=${PIPESTATUS[0]}
if ! add_counts "$LOGS/consumer.log"; then
  fail "the team platform from the packed package: consumer-test.sh deploy ended without a summary (exit $consumer_rc)"
  tail -n 20 "$LOGS/consumer.log" | sed 's/^/  | /'
fi

step "d7. a team platform from a Pulumi YAML program"
# .ci/consumer-test.sh deploy-yaml: the package packed and installed into a Pulumi YAML program
# (.ci/consumer/yaml/Pulumi.yaml) that declares the package's Platform component; the engine runs the
# package's component provider (provider/pulumi-resource-ds-platform) and the YAML language host.
# The platform goes into $NS-yaml, its hub answers, it is destroyed. Its PASS/FAIL lines are counted here.
KUBECTL="$KUBECTL" CONSUMER_NAMESPACE="$NS-yaml" CONSUMER_NOTEBOOK_IMAGE="${NEW_REF:-$NOTEBOOK_REF}" \
  CONSUMER_REGISTRY="$REGISTRY" CONSUMER_HUB_CHART="$HUB_CHART" CONSUMER_IMAGES_JSON="$WORK/images.json" \
  CONSUMER_STORAGE_CLASS=standard CONSUMER_LOG_DIR="$LOGS/consumer-yaml" \
  timeout 3000 bash .ci/consumer-test.sh deploy-yaml 2>&1 | tee "$LOGS/consumer-yaml.log" | grep -E '^(PASS|FAIL): |^  \| '
consumer_yaml_rc=${PIPESTATUS[0]}
if ! add_counts "$LOGS/consumer-yaml.log"; then
  fail "the team platform from a Pulumi YAML program: consumer-test.sh deploy-yaml ended without a summary (exit $consumer_yaml_rc)"
  tail -n 20 "$LOGS/consumer-yaml.log" | sed 's/^/  | /'
fi

step "e. pulumi destroy"
t0=$(now)
if pulumi_stack "$DESTROY_SECS" destroy --yes --skip-preview >"$LOGS/destroy.log" 2>&1; then
  DESTROYED=1
  DESTROY_TIME=$(since "$t0")
  pass "pulumi destroy in $DESTROY_TIME s"
  echo "FIGURE destroy_seconds=$DESTROY_TIME"
else
  fail "pulumi destroy failed after $(since "$t0") s"
  tail -n 30 "$LOGS/destroy.log" | sed 's/^/  | /'
fi
remaining=$(pulumi stack export --stack "$STACK" 2>/dev/null | node -e 'const d = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log((d.deployment.resources || []).length)')
if [ "$remaining" = 0 ]; then
  pass "the stack's state holds no resources"
else
  fail "the stack's state still holds $remaining resources"
fi
gone=""
deadline=$((SECONDS + 180))
while [ "$SECONDS" -lt "$deadline" ]; do
  # The executor namespaces the hubs created are owned by their driver ClusterRole: the garbage collector deletes them.
  if ! kc get namespace "$NS" "$NS-executors" "$NS-upgrade" -o name 2>/dev/null | grep -q . &&
    [ -z "$(kc get namespaces -l "ds-platform.io/executors-of in ($NS,$NS-upgrade)" -o name 2>/dev/null)" ] &&
    [ -z "$(leftovers)" ]; then gone=1; break; fi
  sleep 2
done
if [ -n "$gone" ]; then
  pass "nothing of the stack is left: namespace $NS gone, no ClusterRole(Binding), PriorityClass, StorageClass or PersistentVolume of it"
else
  fail "left in the cluster after destroy: $(kc get namespace "$NS" "$NS-executors" "$NS-upgrade" -o name 2>/dev/null) $(kc get namespaces -l "ds-platform.io/executors-of in ($NS,$NS-upgrade)" -o name 2>/dev/null | tr '\n' ' ') $(leftovers | tr '\n' ' ')"
fi
if [ -n "$DESTROYED" ]; then
  pulumi stack rm "$STACK" --yes --non-interactive >>"$LOGS/destroy.log" 2>&1 || true
fi

end
