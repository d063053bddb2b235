#!/usr/bin/env bash
# The package as another program gets it: `npm pack`, installed with npm into a program in a fresh
# temporary directory outside the repository, and used from there.
#
#   bash .ci/consumer-test.sh          (the "consumer" stage of .ci/run; no cluster, no engine)
#     1. npm pack: its prepack script builds bin/ (tsconfig.build.json); the tarball holds the
#        compiled components with their declarations, the hub's Python hooks beside them, the
#        notebook image's build context, README and package.json, and nothing else (no sources,
#        test/, .ci/, bench/, scripts/, examples/, policy/);
#     2. a program in a temporary directory installs the tarball, @pulumi/pulumi, typescript,
#        @types/node and ts-node with npm: the package loads, one copy of @pulumi/pulumi, the
#        pinned @pulumi/kubernetes;
#     3. tsc --strict --noEmit there, against the installed declarations, of: that program
#        (.ci/consumer/), settings the types must refuse (@ts-expect-error), examples/team-platform,
#        and every ```ts / ```typescript snippet of README.md (an error names its README line);
#     4. both programs run under Pulumi mocks from the installed package: namespace, hub Release,
#        values, hooks and image as declared (.ci/consumer/mocks.ts); the example builds its image
#        from the images/notebook installed with the package, with the repository's context digest.
#
#   bash .ci/consumer-test.sh deploy   (a step of .ci/e2e.sh, on its cluster and engine)
#     the same pack and install, then the program deploys a small team platform of its own with
#     `pulumi up` into its own namespace (kubernetes resources only: external registry, prebuilt
#     image, the chart's secrets, one small profile, no pre-puller or user-scheduler), its hub
#     answers /hub/api through a port-forward of proxy-public, `pulumi destroy` removes it all.
#     Env: KUBECONFIG (required), CONSUMER_NOTEBOOK_IMAGE (the notebook image by digest) and
#     CONSUMER_REGISTRY (where the nodes pull it, anonymously) required; CONSUMER_HUB_CHART (z2jh
#     4.4.0: a repository URL or a local .tgz; default https://hub.jupyter.org/helm-chart/),
#     CONSUMER_IMAGES_JSON (mirrored images as .ci/e2e/airgap-images.sh --out writes them),
#     CONSUMER_NAMESPACE (default ds-consumer), CONSUMER_STORAGE_CLASS, KUBECTL (default kubectl),
#     PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE (default: a file backend in the temporary
#     directory and a random passphrase). pulumi must be on PATH with the kubernetes plugin.
#
# Env for both: CONSUMER_LOG_DIR (keep the logs: npm, tsc, pulumi). Needs node and npm, and the
# repository's node_modules (npm ci), whose typescript, @types/node, ts-node and @pulumi/pulumi
# versions the program installs. Ends with "N passed, M failed"; exits non-zero if anything failed.
# The node -e snippets are JavaScript in single quotes, expanded by node, not the shell.
# shellcheck disable=SC2016
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/checks.sh
source "$ROOT/.ci/lib/checks.sh"
cd "$ROOT" || exit 1

MODE=${1:-check}
WORK=$(mktemp -d)
# The program lives outside the repository: nothing of the repository's node_modules resolves there.
CONSUMER=$(mktemp -d)
LOGS=${CONSUMER_LOG_DIR:-$WORK/logs}
mkdir -p "$LOGS" "$WORK/pack"
KUBECTL=${KUBECTL:-kubectl}
NS=${CONSUMER_NAMESPACE:-ds-consumer}
STACK=consumer
UP_SECS=900
HUB_READY_SECS=180
DESTROY_SECS=600
STACK_CREATED=""
DESTROYED=""
PF_PID=""

stop_port_forward() {
  if [ -n "$PF_PID" ]; then
    kill "$PF_PID" 2>/dev/null
    wait "$PF_PID" 2>/dev/null
    PF_PID=""
  fi
}

# consumer_pulumi SECONDS COMMAND...: pulumi in the program's directory, on its stack, bounded.
consumer_pulumi() {
  local secs=$1
  shift
  (cd "$CONSUMER" && timeout "$secs" pulumi "$@" --stack "$STACK" --non-interactive --color never)
}

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
  stop_port_forward
  if [ -n "$STACK_CREATED" ] && [ -z "$DESTROYED" ]; then
    # A run that stopped half-way still takes its platform off the cluster.
    consumer_pulumi "$DESTROY_SECS" destroy --yes --skip-preview >"$LOGS/destroy-cleanup.log" 2>&1 || true
  fi
  rm -rf "$WORK" "$CONSUMER"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

case "$MODE" in
  check | deploy) ;;
  *)
    echo "usage: $0 [check|deploy]" >&2
    exit 2
    ;;
esac

# tail_log FILE: the last lines of a log, indented, for a failure.
tail_log() { tail -n "${2:-25}" "$1" | sed 's/^/  | /'; }

# repo_version PACKAGE: the version the repository's npm ci installed.
repo_version() { node -p 'require(process.argv[1]).version' "$ROOT/node_modules/$1/package.json"; }

# ---------------------------------------------------------------------------
note "prerequisites ($MODE)"
for tool in node npm tar; do
  command -v "$tool" >/dev/null 2>&1 || { fail "$tool is not installed"; finish; }
done
for dep in typescript @types/node ts-node @pulumi/pulumi; do
  [ -f "$ROOT/node_modules/$dep/package.json" ] || { fail "node_modules lacks $dep; run: npm ci"; finish; }
done
case "$CONSUMER/" in
  "$ROOT"/*) fail "the temporary directory $CONSUMER is inside the repository"; finish ;;
esac
if [ "$MODE" = deploy ]; then
  for tool in pulumi curl openssl; do
    command -v "$tool" >/dev/null 2>&1 || { fail "$tool is not installed (deploy mode)"; finish; }
  done
  command -v "$KUBECTL" >/dev/null 2>&1 || { fail "kubectl ($KUBECTL) is not installed (deploy mode)"; finish; }
  for var in KUBECONFIG CONSUMER_NOTEBOOK_IMAGE CONSUMER_REGISTRY; do
    [ -n "${!var:-}" ] || { fail "deploy mode needs $var"; finish; }
  done
fi

# ---------------------------------------------------------------------------
note "npm pack"
t0=$(now)
# The prepack script builds bin/; --ignore-scripts=false keeps it on where npm_config_ignore_scripts
# is set (.ci/engine/env.sh sets it for the @pulumi/* install scripts).
if npm pack --ignore-scripts=false --pack-destination "$WORK/pack" >"$LOGS/pack.log" 2>&1; then
  TARBALL=$(find "$WORK/pack" -name '*.tgz' | head -n 1)
  built=$(grep -m1 '^build-package:' "$LOGS/pack.log")
  if [ -n "$TARBALL" ] && [ -n "$built" ]; then
    pass "npm pack built the package on pack ($built) in $(since "$t0") s: $(basename "$TARBALL"), $(($(stat -c %s "$TARBALL") / 1024)) KiB"
  else
    fail "npm pack did not run the build (prepack) or wrote no tarball"
    tail_log "$LOGS/pack.log"
    finish
  fi
else
  fail "npm pack failed"
  tail_log "$LOGS/pack.log"
  finish
fi

if [ "$MODE" = check ]; then
  note "tarball contents"
  tar -tzvf "$TARBALL" >"$WORK/listing" 2>"$LOGS/tar.log" || { fail "the tarball cannot be read: $(tail -n 1 "$LOGS/tar.log")"; finish; }
  awk '{ print $NF }' "$WORK/listing" | sed 's|^package/||' | sort >"$WORK/files"
  echo "  $(wc -l <"$WORK/files") files"
  if grep -qx 'bin/components/index.js' "$WORK/files" && grep -qx 'bin/components/index.d.ts' "$WORK/files"; then
    pass "the tarball has the entry point bin/components/index.js and its declarations bin/components/index.d.ts (package.json main and types)"
  else
    fail "the tarball lacks bin/components/index.js or bin/components/index.d.ts"
  fi
  missing=""
  modules=0
  while IFS= read -r src; do
    modules=$((modules + 1))
    for out in "bin/${src%.ts}.js" "bin/${src%.ts}.d.ts"; do
      grep -qxF "$out" "$WORK/files" || missing+=" $out"
    done
  done < <(find components -name '*.ts' ! -name '*.d.ts' | sort)
  if [ -z "$missing" ]; then
    pass "every module of components/ ($modules) is in the tarball compiled, with its declarations"
  else
    fail "compiled modules missing from the tarball:$missing"
  fi
  missing=""
  while IFS= read -r asset; do
    grep -qxF "bin/$asset" "$WORK/files" || missing+=" bin/$asset"
  done < <(find components -type f ! -name '*.ts' ! -name '*.pyc' ! -path '*/__pycache__/*' | sort)
  if [ -z "$missing" ] && grep -qx 'bin/components/hub/python/user_isolation.py' "$WORK/files"; then
    pass "the run-time assets sit beside the compiled modules that read them (bin/components/hub/python/user_isolation.py)"
  else
    fail "run-time assets missing from the tarball:${missing:- bin/components/hub/python/user_isolation.py}"
  fi
  missing=""
  modes=""
  while IFS= read -r f; do
    line=$(awk -v p="package/$f" '$NF == p' "$WORK/listing")
    if [ -z "$line" ]; then
      missing+=" $f"
    elif [ -x "$f" ] && [[ "$line" != -rwx* ]]; then
      modes+=" $f"
    fi
  done < <(find images/notebook -type f | sort)
  if [ -z "$missing$modes" ]; then
    pass "the notebook image's build context is in the tarball: every file of images/notebook ($(find images/notebook -type f | wc -l)), executables executable"
  else
    fail "images/notebook in the tarball: missing:${missing:- none}; not executable:${modes:- none}"
  fi
  unexpected=$(grep -vE '^(package\.json|README\.md|LICENSE|bin/components/.+\.(js|d\.ts)|bin/components/hub/python/[^/]+\.py|images/notebook/.+)$' "$WORK/files")
  if [ -z "$unexpected" ] && ! grep -qE '^(test|\.ci|bench|scripts|examples|policy)/' "$WORK/files"; then
    pass "nothing else is packed: no TypeScript sources, source maps, test/, .ci/, bench/, scripts/, examples/ or policy/"
  else
    fail "unexpected files in the tarball: $(head -n 15 <<<"$unexpected" | tr '\n' ' ')"
  fi
fi

# ---------------------------------------------------------------------------
note "install into a program outside the repository ($CONSUMER)"
PULUMI_VERSION=$(repo_version @pulumi/pulumi)
cat >"$CONSUMER/package.json" <<EOF
{
  "name": "ds-platform-consumer",
  "version": "0.0.0",
  "private": true,
  "main": "index.ts",
  "dependencies": {
    "@pulumi/pulumi": "$PULUMI_VERSION",
    "ds-platform": "file:$TARBALL"
  },
  "devDependencies": {
    "@types/node": "$(repo_version @types/node)",
    "ts-node": "$(repo_version ts-node)",
    "typescript": "$(repo_version typescript)"
  }
}
EOF
t0=$(now)
# --ignore-scripts: the @pulumi/* install scripts would install plugins; the engine brings its own.
if (cd "$CONSUMER" && npm install --ignore-scripts --no-audit --no-fund --prefer-offline) >"$LOGS/npm-install.log" 2>&1; then
  pass "npm install of the tarball, @pulumi/pulumi $PULUMI_VERSION and the dev tools in $(since "$t0") s"
else
  fail "npm install of the tarball failed"
  tail_log "$LOGS/npm-install.log"
  finish
fi
loaded=$(cd "$CONSUMER" && node -e '
  const p = require("ds-platform");
  if (typeof p.DataSciencePlatform !== "function") throw new Error("no DataSciencePlatform class");
  console.log(`${require.resolve("ds-platform").split("node_modules/")[1]}, ${Object.keys(p).length} exports`);' 2>"$LOGS/require.log")
if [ -n "$loaded" ]; then
  pass "require(\"ds-platform\") loads from node_modules: $loaded"
else
  fail "require(\"ds-platform\") fails: $(grep -m1 -E 'Error' "$LOGS/require.log")"
  finish
fi
copies=$(cd "$CONSUMER" && find node_modules -path '*/@pulumi/pulumi/package.json' | wc -l)
k8s=$(cd "$CONSUMER" && find node_modules -path '*/@pulumi/kubernetes/package.json' -exec node -p 'require(require("path").resolve(process.argv[1])).version' {} \; | sort -u | tr '\n' ' ')
if [ "$copies" -eq 1 ] && [ "$k8s" = "4.25.0 " ]; then
  pass "one copy of @pulumi/pulumi in the program; @pulumi/kubernetes is the pinned 4.25.0"
else
  fail "the program has $copies copies of @pulumi/pulumi and @pulumi/kubernetes ${k8s:-none} (expected one, and 4.25.0)"
fi

cp "$ROOT"/.ci/consumer/{Pulumi.yaml,tsconfig.json,index.ts,program.ts,api.ts,mocks.ts} "$CONSUMER/"
mkdir -p "$CONSUMER/example"
cp "$ROOT"/examples/team-platform/{index.ts,program.ts} "$CONSUMER/example/"

if [ "$MODE" = check ]; then
  # -------------------------------------------------------------------------
  note "type-check with the installed declarations"
  if ! node .ci/consumer/readme-snippets.js README.md "$CONSUMER/readme" >"$WORK/snippets" 2>"$LOGS/snippets.log"; then
    fail "the README's code blocks could not be read: $(cat "$LOGS/snippets.log")"
  fi
  snippets=$(wc -l <"$WORK/snippets")
  [ "$snippets" -gt 0 ] || fail "README.md has no TypeScript snippet (\`\`\`ts or \`\`\`typescript)"
  t0=$(now)
  (cd "$CONSUMER" && node_modules/.bin/tsc -p tsconfig.json --strict --noEmit) >"$LOGS/tsc.log" 2>&1
  tsc_rc=$?
  echo "  tsc in $(since "$t0") s (exit $tsc_rc)"
  errors=$(grep -E '^[^ ].*\([0-9]+,[0-9]+\): error TS' "$LOGS/tsc.log")
  if [ "$tsc_rc" -ne 0 ] && [ -z "$errors" ]; then
    fail "tsc failed without a located error"
    tail_log "$LOGS/tsc.log"
  fi
  # group PREFIX WHAT: one check per group of files: its errors, or a pass.
  group() {
    local found
    found=$(grep -E "^$1" <<<"$errors")
    if [ -z "$found" ]; then
      pass "tsc --strict --noEmit: $2"
    else
      fail "tsc --strict --noEmit: $2: $(wc -l <<<"$found") errors"
      head -n 20 <<<"$found" | sed 's/^/  | /'
    fi
  }
  group '(index|program)\.ts' "the consumer program (.ci/consumer/program.ts) imports DataSciencePlatform and its types from \"ds-platform\""
  group 'api\.ts' "the other exports (parsePlatformConfig, buildHubValues, GpuNodePool, SparkHistoryServer, ...), and $(grep -cE '^\s*// @ts-expect-error' "$CONSUMER/api.ts") invalid settings refused by the types"
  group 'example/' "examples/team-platform, as copied into another program"
  group 'mocks\.ts' "the mocks runner"
  # README snippets: an error's line is the README's line.
  found=$(grep -E '^readme/' <<<"$errors" | sed -E 's|^readme/readme-[0-9]+\.ts\(([0-9]+),([0-9]+)\)|README.md:\1:\2|')
  if [ "$snippets" -gt 0 ] && [ -z "$found" ]; then
    pass "tsc --strict --noEmit: every TypeScript snippet of README.md ($snippets, at lines $(sed -E 's/.*readme-([0-9]+)\.ts/\1/' "$WORK/snippets" | tr '\n' ' ' | sed 's/ $//'))"
  elif [ -n "$found" ]; then
    fail "tsc --strict --noEmit: README.md snippets: $(wc -l <<<"$found") errors"
    head -n 20 <<<"$found" | sed 's/^/  | /'
  fi
  other=$(grep -vE '^(index|program|api|mocks)\.ts|^(example|readme)/' <<<"$errors")
  [ -z "$other" ] || { fail "tsc --strict --noEmit: errors elsewhere"; head -n 20 <<<"$other" | sed 's/^/  | /'; }

  # -------------------------------------------------------------------------
  note "the programs under Pulumi mocks, from the installed package"
  CONTEXT_DIGEST=$(cd "$CONSUMER" && node -e 'console.log(require("ds-platform").contextDigest(process.argv[1]))' "$ROOT/images/notebook" 2>>"$LOGS/require.log")
  for program in team example; do
    t0=$(now)
    (cd "$CONSUMER" && CONSUMER_REPO_HOOK="$ROOT/components/hub/python/user_isolation.py" CONSUMER_CONTEXT_DIGEST="$CONTEXT_DIGEST" \
      node_modules/.bin/ts-node --transpile-only mocks.ts "$program") >"$LOGS/mocks-$program.log" 2>&1
    rc=$?
    echo "  $program: exit $rc in $(since "$t0") s"
    while IFS= read -r line; do
      case "$line" in
        "ok: "*) pass "mocks, $program: ${line#ok: }" ;;
        "not ok: "*) fail "mocks, $program: ${line#not ok: }" ;;
      esac
    done <"$LOGS/mocks-$program.log"
    if [ "$rc" -ne 0 ] && ! grep -q '^not ok: ' "$LOGS/mocks-$program.log"; then
      fail "mocks, $program: the run failed (exit $rc)"
      tail_log "$LOGS/mocks-$program.log"
    fi
  done
  finish
fi

# ---------------------------------------------------------------------------
# deploy
note "deploy: stack $STACK, namespace $NS"
export PULUMI_SKIP_UPDATE_CHECK=true
# Types were checked by the consumer stage; pulumi only transpiles the program.
export PULUMI_NODEJS_TRANSPILE_ONLY=${PULUMI_NODEJS_TRANSPILE_ONLY:-true}
if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
  mkdir -p "$WORK/state"
  export PULUMI_BACKEND_URL="file://$WORK/state"
fi
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ]; then
  PULUMI_CONFIG_PASSPHRASE=$(openssl rand -hex 16)
  export PULUMI_CONFIG_PASSPHRASE
fi
USER_PASSWORD=$(openssl rand -hex 12)
ADMIN_PASSWORD=$(openssl rand -hex 24)
# Mirrored images: .ci/e2e/airgap-images.sh names -> keys of the `images` config.
images=()
if [ -n "${CONSUMER_IMAGES_JSON:-}" ]; then
  node -e '
    const keys = { hub: "hub", proxy: "proxy", "user-scheduler": "userScheduler", pause: "pause", "network-tools": "networkTools" };
    const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const [name, ref] of Object.entries(d)) { if (!keys[name]) throw new Error(`unknown image ${name}`); console.log(`${keys[name]}=${ref}`); }' \
    "$CONSUMER_IMAGES_JSON" >"$WORK/images" 2>"$LOGS/images.log" ||
    { fail "the mirrored images could not be read from $CONSUMER_IMAGES_JSON: $(grep -m1 Error "$LOGS/images.log")"; finish; }
  mapfile -t images <"$WORK/images"
fi
configure() {
  consumer_pulumi 60 config set namespace "$NS" &&
    consumer_pulumi 60 config set registry "$CONSUMER_REGISTRY" &&
    consumer_pulumi 60 config set notebookImage "$CONSUMER_NOTEBOOK_IMAGE" &&
    consumer_pulumi 60 config set hubChart "${CONSUMER_HUB_CHART:-https://hub.jupyter.org/helm-chart/}" &&
    { [ -z "${CONSUMER_STORAGE_CLASS:-}" ] || consumer_pulumi 60 config set storageClass "$CONSUMER_STORAGE_CLASS"; } &&
    consumer_pulumi 60 config set --secret hubPassword "$USER_PASSWORD" &&
    consumer_pulumi 60 config set --secret hubAdminPassword "$ADMIN_PASSWORD" || return 1
  local image
  for image in "${images[@]}"; do
    consumer_pulumi 60 config set --path "images.${image%%=*}" "${image#*=}" || return 1
  done
}
if (cd "$CONSUMER" && timeout 60 pulumi stack init "$STACK" --secrets-provider passphrase --non-interactive) >"$LOGS/config.log" 2>&1; then
  STACK_CREATED=1
fi
if [ -n "$STACK_CREATED" ] && configure >>"$LOGS/config.log" 2>&1; then
  pass "stack $STACK of the program: image $CONSUMER_NOTEBOOK_IMAGE, registry $CONSUMER_REGISTRY, ${#images[@]} mirrored images, secrets set with pulumi config set --secret"
else
  fail "the program's stack could not be created and configured"
  tail_log "$LOGS/config.log" 10
  finish
fi

t0=$(now)
if consumer_pulumi "$UP_SECS" up --yes --skip-preview >"$LOGS/up.log" 2>&1; then
  pass "pulumi up of the team platform from the installed package in $(since "$t0") s ($(sed -n '/^Resources:/,/^$/p' "$LOGS/up.log" | grep -E '[0-9]+ [a-z]+' | tr -s ' ' | tr '\n' ' ' | sed 's/ *$//'))"
else
  fail "pulumi up of the team platform failed after $(since "$t0") s"
  if grep -qE 'error:' "$LOGS/up.log"; then
    grep -E 'error:' "$LOGS/up.log" | sort -u | head -n 15 | sed 's/^/  | /'
  else
    tail_log "$LOGS/up.log"
  fi
  finish
fi
out_ns=$(consumer_pulumi 60 stack output namespace 2>>"$LOGS/config.log")
if [ "$out_ns" = "$NS" ]; then
  pass "stack output namespace: $out_ns"
else
  fail "stack output namespace is '$out_ns', expected $NS"
fi

# The hub answers GET /hub/api through a port-forward of proxy-public (as .ci/e2e.sh waits for it).
hub_ready=""
deadline=$((SECONDS + HUB_READY_SECS))
while [ "$SECONDS" -lt "$deadline" ]; do
  if [ -z "$PF_PID" ] || ! kill -0 "$PF_PID" 2>/dev/null; then
    stop_port_forward
    "$KUBECTL" -n "$NS" port-forward --address 127.0.0.1 service/proxy-public :80 >"$WORK/pf.log" 2>&1 &
    PF_PID=$!
    sleep 1
  fi
  port=$(sed -n 's/^Forwarding from 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$WORK/pf.log" | head -n 1)
  if [ -n "$port" ]; then
    code=$(curl -s -o "$WORK/hub-api.json" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/hub/api" || true)
    if [ "$code" = 200 ]; then
      hub_ready=1
      break
    fi
  fi
  sleep 1
done
stop_port_forward
if [ -n "$hub_ready" ]; then
  pass "the team platform's hub answers /hub/api through proxy-public $(since "$t0") s after pulumi up started (JupyterHub $(json "$WORK/hub-api.json" 'd.version'))"
else
  fail "the team platform's hub did not answer through proxy-public within $HUB_READY_SECS s"
  "$KUBECTL" -n "$NS" get pods -o wide 2>&1 | sed 's/^/  | /'
  "$KUBECTL" -n "$NS" logs deploy/hub --tail 20 2>&1 | sed 's/^/  | /'
fi

t0=$(now)
if consumer_pulumi "$DESTROY_SECS" destroy --yes --skip-preview >"$LOGS/destroy.log" 2>&1; then
  DESTROYED=1
  pass "pulumi destroy of the team platform in $(since "$t0") s"
else
  fail "pulumi destroy of the team platform failed after $(since "$t0") s"
  tail_log "$LOGS/destroy.log"
fi
remaining=$(consumer_pulumi 60 stack export 2>/dev/null | node -e 'const d = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log((d.deployment.resources || []).length)')
# Cluster-scoped objects are named after the namespace (the hub's and the drivers' ClusterRoles,
# their bindings, the admission policies).
leftovers() {
  "$KUBECTL" get namespace "$NS" -o name 2>/dev/null
  "$KUBECTL" get clusterroles,clusterrolebindings,validatingadmissionpolicies,validatingadmissionpolicybindings,priorityclasses -o name 2>/dev/null | grep -F -- "$NS"
}
gone=""
deadline=$((SECONDS + 180))
while [ "$SECONDS" -lt "$deadline" ]; do
  if [ -z "$(leftovers)" ]; then
    gone=1
    break
  fi
  sleep 2
done
if [ "$remaining" = 0 ] && [ -n "$gone" ]; then
  pass "nothing of the team platform is left: an empty stack, namespace $NS and its cluster-scoped objects gone"
  consumer_pulumi 60 stack rm --yes >>"$LOGS/destroy.log" 2>&1 || true
else
  fail "left after destroy: ${remaining:-?} resources in the stack; in the cluster: $(leftovers | tr '\n' ' ')"
fi
finish
