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
#     3. tsc --strict --noEmit there, against the installed declarations, of: the team program
#        (.ci/consumer/), the cluster stack program (.ci/consumer/cluster/), settings the types must
#        refuse (@ts-expect-error), examples/team-platform, and every ```ts / ```typescript snippet
#        of README.md (an error names its README line);
#     4. the programs run under Pulumi mocks from the installed package (.ci/consumer/mocks.ts): the
#        team program on a cluster stack whose outputs the mocks answer (provider from the
#        referenced kubeconfig, the cluster's facts in its config, namespace, hub Release, values,
#        hooks; a stack without a kubeconfig output refused), the cluster stack program (its
#        outputs, no resource), and the example, whose image is built from the images/notebook
#        installed with the package, with the repository's context digest;
#     5. the component provider for other languages, from the installed package: the schema Pulumi's
#        analyzer derives from the packed declarations (ds-platform:index:Platform, its inputs and
#        outputs), and provider/pulumi-resource-ds-platform starts and prints its port.
#
#   bash .ci/consumer-test.sh deploy   (a step of .ci/e2e.sh, on its cluster and engine)
#     the same pack and install, then two stacks on one backend, as a cluster stack and a team stack
#     are split (README, "A cluster stack and team stacks"): the cluster stack (cluster/, no
#     resource) exports the cluster's kubeconfig (`kubectl config view --minify --flatten`, a secret)
#     and facts: the API server's Kubernetes minor, the GPU pools of the nodes labelled
#     ds-platform.io/gpu-pool, CONSUMER_MATCH_NODE_PURPOSE (default prefer), CONSUMER_STORAGE_CLASS
#     and CONSUMER_REGISTRY. The team program deploys a small platform of its own with `pulumi up`
#     into its own namespace (kubernetes resources only: the cluster's registry as an external one,
#     prebuilt image, the chart's secrets, one small profile, no pre-puller or user-scheduler),
#     reading the cluster stack through a StackReference (organization/ds-platform-consumer-cluster/
#     cluster), deployed first; every team pulumi command runs with KUBECONFIG pointing nowhere, so
#     only the referenced kubeconfig reaches the cluster (a reference that cannot be used fails the
#     team's `pulumi up`, with the program's ClusterStackError shown); the facts the platform was
#     configured with must be the cluster stack's. Its hub answers /hub/api through a port-forward
#     of proxy-public; `pulumi destroy` removes the team platform, then the cluster stack.
#     Env: KUBECONFIG (required), CONSUMER_NOTEBOOK_IMAGE (the notebook image by digest) and
#     CONSUMER_REGISTRY (where the nodes pull it, anonymously) required; CONSUMER_HUB_CHART (z2jh
#     4.4.0: a repository URL or a local .tgz; default https://hub.jupyter.org/helm-chart/),
#     CONSUMER_IMAGES_JSON (mirrored images as .ci/e2e/airgap-images.sh --out writes them),
#     CONSUMER_NAMESPACE (default ds-consumer), CONSUMER_STORAGE_CLASS, CONSUMER_MATCH_NODE_PURPOSE,
#     KUBECTL (default kubectl), PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE (default: a file
#     backend in the temporary directory and a random passphrase; both stacks use them). pulumi must
#     be on PATH with the kubernetes plugin.
#
#   bash .ci/consumer-test.sh preview-yaml   (no cluster; the engine of .ci/engine with its YAML host)
#     the same pack; a Pulumi YAML program (.ci/consumer/yaml/Pulumi.yaml) installs the tarball and
#     @pulumi/pulumi only (no TypeScript: the analyzer falls back to the one @pulumi/pulumi vendors) and
#     declares a team platform with the package's Platform component; `pulumi preview` against a
#     kubeconfig whose cluster does not exist plans the platform's resources, the engine having
#     executed provider/pulumi-resource-ds-platform of the installed package; `pulumi up` creates the
#     provider's Platform and stops at the kubernetes provider's "configured Kubernetes cluster is
#     unreachable", `pulumi destroy` empties the stack; a namespace the schema refuses fails the
#     preview with the schema's message. Env: as deploy, all optional
#     (CONSUMER_HUB_CHART: give a local .tgz where the chart repository cannot be reached).
#
#   bash .ci/consumer-test.sh deploy-yaml   (a step of .ci/e2e.sh, on its cluster and engine)
#     deploy, from that YAML program, on the cluster of KUBECONFIG (no cluster stack): pulumi up,
#     its hub answers, pulumi destroy, nothing left.
#     Env: as deploy; CONSUMER_STORAGE_CLASS is required (the YAML program cannot leave it out).
#
# Env for every mode: CONSUMER_LOG_DIR (keep the logs: npm, tsc, pulumi). Needs node and npm, and the
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
# The program: TypeScript (.ci/consumer/, examples/team-platform) or Pulumi YAML (.ci/consumer/yaml/).
case "$MODE" in
  *-yaml) PROGRAM=yaml ;;
  *) PROGRAM=ts ;;
esac
WORK=$(mktemp -d)
# The program lives outside the repository: nothing of the repository's node_modules resolves there.
CONSUMER=$(mktemp -d)
LOGS=${CONSUMER_LOG_DIR:-$WORK/logs}
mkdir -p "$LOGS" "$WORK/pack"
KUBECTL=${KUBECTL:-kubectl}
if [ "$PROGRAM" = yaml ]; then NS=${CONSUMER_NAMESPACE:-ds-consumer-yaml}; else NS=${CONSUMER_NAMESPACE:-ds-consumer}; fi
STACK=consumer
# deploy: the cluster stack the team stack references, fully qualified as a local backend needs it.
CLUSTER_STACK=organization/ds-platform-consumer-cluster/cluster
# deploy: every pulumi command runs with KUBECONFIG here (no such file), so that the team platform
# reaches the cluster only through the kubeconfig it reads from the cluster stack.
NO_KUBECONFIG=$WORK/no-kubeconfig
UP_SECS=900
HUB_READY_SECS=180
DESTROY_SECS=600
STACK_CREATED=""
DESTROYED=""
CLUSTER_CREATED=""
CLUSTER_DESTROYED=""
PF_PID=""
PROVIDER_PID=""
DEPLOYS=""

stop_port_forward() {
  if [ -n "$PF_PID" ]; then
    kill "$PF_PID" 2>/dev/null
    wait "$PF_PID" 2>/dev/null
    PF_PID=""
  fi
}

# consumer_pulumi SECONDS COMMAND...: pulumi in the program's directory, on its stack, bounded.
# In TypeScript, the team program reaches the cluster only through the cluster stack's kubeconfig.
consumer_pulumi() {
  local secs=$1 kubeconfig=${KUBECONFIG:-}
  shift
  [ "$PROGRAM" = yaml ] || kubeconfig=$NO_KUBECONFIG
  (cd "$CONSUMER" && KUBECONFIG=$kubeconfig timeout "$secs" pulumi "$@" --stack "$STACK" --non-interactive --color never)
}

# cluster_pulumi SECONDS COMMAND...: pulumi in the cluster stack program's directory, on its stack.
cluster_pulumi() {
  local secs=$1
  shift
  (cd "$CONSUMER/cluster" && KUBECONFIG=$NO_KUBECONFIG timeout "$secs" pulumi "$@" --stack "$CLUSTER_STACK" --non-interactive --color never)
}

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
  stop_port_forward
  if [ -n "$PROVIDER_PID" ]; then
    kill "$PROVIDER_PID" 2>/dev/null
    wait "$PROVIDER_PID" 2>/dev/null
  fi
  if [ -n "$DEPLOYS" ] && [ -n "$STACK_CREATED" ] && [ -z "$DESTROYED" ]; then
    # A run that stopped half-way still takes its platform off the cluster, before the cluster stack.
    consumer_pulumi "$DESTROY_SECS" destroy --yes --skip-preview >"$LOGS/destroy-cleanup.log" 2>&1 || true
  fi
  if [ -n "$CLUSTER_CREATED" ] && [ -z "$CLUSTER_DESTROYED" ]; then
    if cluster_pulumi 120 destroy --yes --skip-preview >>"$LOGS/destroy-cleanup.log" 2>&1; then
      cluster_pulumi 60 stack rm --yes >>"$LOGS/destroy-cleanup.log" 2>&1
    fi
  fi
  rm -rf "$WORK" "$CONSUMER"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

case "$MODE" in
  check | deploy | preview-yaml | deploy-yaml) ;;
  *)
    echo "usage: $0 [check|deploy|preview-yaml|deploy-yaml]" >&2
    exit 2
    ;;
esac
# The modes that deploy onto a cluster.
case "$MODE" in deploy | deploy-yaml) DEPLOYS=1 ;; esac
# What the deploy messages call the program's platform.
if [ "$PROGRAM" = yaml ]; then TEAM="the YAML program's team platform"; else TEAM="the team platform"; fi

# tail_log FILE: the last lines of a log, indented, for a failure.
tail_log() { tail -n "${2:-25}" "$1" | sed 's/^/  | /'; }

# resource_counts LOG: pulumi's "Resources:" summary on one line ("+ 21 to create").
resource_counts() { sed -n '/^Resources:/,/^$/p' "$1" | grep -E '[0-9]+ [a-z]+' | tr '\n' ' ' | tr -s ' ' | sed 's/^ *//; s/ *$//'; }

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
if [ "$MODE" != check ]; then
  for tool in pulumi openssl; do
    command -v "$tool" >/dev/null 2>&1 || { fail "$tool is not installed ($MODE mode)"; finish; }
  done
fi
if [ "$PROGRAM" = yaml ] && ! command -v pulumi-language-yaml >/dev/null 2>&1 && ! [ -x "$(dirname "$(command -v pulumi)")/pulumi-language-yaml" ]; then
  fail "the Pulumi YAML language host pulumi-language-yaml is neither beside pulumi nor on PATH (.ci/engine/build.sh builds it)"
  finish
fi
if [ -n "$DEPLOYS" ]; then
  command -v curl >/dev/null 2>&1 || { fail "curl is not installed ($MODE mode)"; finish; }
  command -v "$KUBECTL" >/dev/null 2>&1 || { fail "kubectl ($KUBECTL) is not installed ($MODE mode)"; finish; }
  for var in KUBECONFIG CONSUMER_NOTEBOOK_IMAGE CONSUMER_REGISTRY; do
    [ -n "${!var:-}" ] || { fail "$MODE mode needs $var"; finish; }
  done
  if [ "$MODE" = deploy-yaml ] && [ -z "${CONSUMER_STORAGE_CLASS:-}" ]; then
    fail "deploy-yaml mode needs CONSUMER_STORAGE_CLASS (the YAML program cannot leave the homes' StorageClass out)"
    finish
  fi
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
  # The component provider (provider/): its launcher executable, the script it runs, what the analyzer reads.
  missing=""
  modes=""
  while IFS= read -r f; do
    line=$(awk -v p="package/$f" '$NF == p' "$WORK/listing")
    if [ -z "$line" ]; then
      missing+=" $f"
    elif [ -x "$f" ] && [[ "$line" != -rwx* ]]; then
      modes+=" $f"
    fi
  done < <(find provider -type f | sort)
  if [ -z "$missing$modes" ] && [ -x provider/pulumi-resource-ds-platform ] && grep -qx 'bin/components/provider/platform.d.ts' "$WORK/files"; then
    pass "the component provider is in the tarball: every file of provider/ ($(find provider -type f | wc -l)), pulumi-resource-ds-platform executable, and the declarations its analyzer reads (bin/components/provider/platform.d.ts)"
  else
    fail "provider/ in the tarball: missing:${missing:- none}; not executable:${modes:- none}"
  fi
  # provider/index.ts is no source of the package: it only re-exports declarations for the analyzer.
  unexpected=$(grep -vE '^(package\.json|README\.md|LICENSE|bin/components/.+\.(js|d\.ts)|bin/components/hub/python/[^/]+\.py|images/notebook/.+|provider/(pulumi-resource-ds-platform|PulumiPlugin\.yaml|package\.json|tsconfig\.json|index\.(js|ts)))$' "$WORK/files")
  if [ -z "$unexpected" ] && ! grep -qE '^(test|\.ci|bench|scripts|examples|policy)/' "$WORK/files"; then
    pass "nothing else is packed: no TypeScript sources (provider/index.ts only re-exports declarations), source maps, test/, .ci/, bench/, scripts/, examples/ or policy/"
  else
    fail "unexpected files in the tarball: $(head -n 15 <<<"$unexpected" | tr '\n' ' ')"
  fi
fi

# ---------------------------------------------------------------------------
note "install into a program outside the repository ($CONSUMER)"
PULUMI_VERSION=$(repo_version @pulumi/pulumi)
if [ "$PROGRAM" = yaml ]; then
  # A YAML program's folder holds the package and the SDK its provider runs on, no TypeScript tools.
  cat >"$CONSUMER/package.json" <<EOF
{
  "name": "ds-platform-consumer-yaml",
  "version": "0.0.0",
  "private": true,
  "dependencies": {
    "@pulumi/pulumi": "$PULUMI_VERSION",
    "ds-platform": "file:$TARBALL"
  }
}
EOF
  installed="the tarball and @pulumi/pulumi $PULUMI_VERSION"
else
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
  installed="the tarball, @pulumi/pulumi $PULUMI_VERSION and the dev tools"
fi
t0=$(now)
# --ignore-scripts: the @pulumi/* install scripts would install plugins; the engine brings its own.
if (cd "$CONSUMER" && npm install --ignore-scripts --no-audit --no-fund --prefer-offline) >"$LOGS/npm-install.log" 2>&1; then
  pass "npm install of $installed in $(since "$t0") s"
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

if [ "$PROGRAM" = yaml ]; then
  cp "$ROOT/.ci/consumer/yaml/Pulumi.yaml" "$CONSUMER/"
else
  cp "$ROOT"/.ci/consumer/{Pulumi.yaml,tsconfig.json,index.ts,program.ts,api.ts,mocks.ts} "$CONSUMER/"
  mkdir -p "$CONSUMER/example" "$CONSUMER/cluster"
  cp "$ROOT"/examples/team-platform/{index.ts,program.ts} "$CONSUMER/example/"
  cp "$ROOT"/.ci/consumer/cluster/{Pulumi.yaml,index.ts} "$CONSUMER/cluster/"
fi

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
  group '(index|program)\.ts' "the consumer program (.ci/consumer/program.ts) imports DataSciencePlatform, clusterFromStack and their types from \"ds-platform\""
  group 'cluster/' "the cluster stack program (.ci/consumer/cluster/index.ts): clusterStackOutputs and parseClusterFacts"
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
  other=$(grep -vE '^(index|program|api|mocks)\.ts|^(example|readme|cluster)/' <<<"$errors")
  [ -z "$other" ] || { fail "tsc --strict --noEmit: errors elsewhere"; head -n 20 <<<"$other" | sed 's/^/  | /'; }

  # -------------------------------------------------------------------------
  note "the programs under Pulumi mocks, from the installed package"
  CONTEXT_DIGEST=$(cd "$CONSUMER" && node -e 'console.log(require("ds-platform").contextDigest(process.argv[1]))' "$ROOT/images/notebook" 2>>"$LOGS/require.log")
  for program in team cluster example; do
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

  # -------------------------------------------------------------------------
  note "the component provider for other languages, from the installed package"
  t0=$(now)
  schema=$(cd "$CONSUMER" && node -e '
    require("ds-platform/bin/components/provider/host").providerSchema().then((text) => {
      const s = JSON.parse(text);
      const r = s.resources["ds-platform:index:Platform"];
      if (!r || !r.isComponent) throw new Error(`no component ds-platform:index:Platform among ${Object.keys(s.resources)}`);
      console.log(`${s.name} ${s.version}, ${Object.keys(s.resources).join(" ")}: inputs ${Object.keys(r.inputProperties).join(" ")}; outputs ${Object.keys(r.properties).join(" ")}`);
    }).catch((e) => { console.error(e.stack || e.message); process.exit(1); });' 2>"$LOGS/provider-schema.log")
  if grep -q 'ds-platform:index:Platform: inputs config .*; outputs hubUrl namespace imageRef registryUrl$' <<<"$schema"; then
    pass "the provider's schema, derived by Pulumi's analyzer from the packed declarations in $(since "$t0") s: $schema"
  else
    fail "the provider's schema from the installed package: ${schema:-none}: $(grep -m1 -E 'Error' "$LOGS/provider-schema.log")"
  fi
  # The engine executes the launcher with its address; the provider prints the port it serves on.
  t0=$(now)
  (cd "$CONSUMER" && exec node_modules/ds-platform/provider/pulumi-resource-ds-platform 127.0.0.1:1) >"$WORK/provider.out" 2>"$LOGS/provider.log" &
  PROVIDER_PID=$!
  port=""
  deadline=$((SECONDS + 120))
  while [ "$SECONDS" -lt "$deadline" ] && kill -0 "$PROVIDER_PID" 2>/dev/null; do
    port=$(grep -m1 -E '^[0-9]+$' "$WORK/provider.out")
    [ -n "$port" ] && break
    sleep 0.5
  done
  kill "$PROVIDER_PID" 2>/dev/null
  wait "$PROVIDER_PID" 2>/dev/null
  PROVIDER_PID=""
  if [ -n "$port" ]; then
    pass "node_modules/ds-platform/provider/pulumi-resource-ds-platform starts the provider: it serves on port $port after $(since "$t0") s"
  else
    fail "node_modules/ds-platform/provider/pulumi-resource-ds-platform printed no port: $(tail -n 3 "$LOGS/provider.log" | tr '\n' ' ')"
  fi
  finish
fi

# ---------------------------------------------------------------------------
# deploy, deploy-yaml, preview-yaml
note "$MODE: stack $STACK, namespace $NS, the $([ "$PROGRAM" = yaml ] && echo "Pulumi YAML program .ci/consumer/yaml/Pulumi.yaml" || echo "TypeScript program .ci/consumer/program.ts")"
if [ "$MODE" = preview-yaml ]; then
  # Nothing is pulled or contacted: the preview plans against a cluster that does not exist (nothing
  # listens on port 1 of the loopback address), with an image reference by digest.
  CONSUMER_REGISTRY=${CONSUMER_REGISTRY:-registry.example.com}
  CONSUMER_NOTEBOOK_IMAGE=${CONSUMER_NOTEBOOK_IMAGE:-$CONSUMER_REGISTRY/ds-platform/notebook@sha256:$(printf preview | sha256sum | cut -c1-64)}
  CONSUMER_STORAGE_CLASS=${CONSUMER_STORAGE_CLASS:-standard}
  cat >"$WORK/kubeconfig" <<'EOF'
apiVersion: v1
kind: Config
clusters:
- name: nowhere
  cluster: { server: "https://127.0.0.1:1", insecure-skip-tls-verify: true }
users:
- name: nobody
  user: { token: unused }
contexts:
- name: nowhere
  context: { cluster: nowhere, user: nobody, namespace: default }
current-context: nowhere
EOF
  export KUBECONFIG=$WORK/kubeconfig
fi
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
    const keys = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
    const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const [name, ref] of Object.entries(d)) { if (!keys[name]) throw new Error(`unknown image ${name}`); console.log(`${keys[name]}=${ref}`); }' \
    "$CONSUMER_IMAGES_JSON" "$ROOT/.ci/e2e/image-keys.json" >"$WORK/images" 2>"$LOGS/images.log" ||
    { fail "the mirrored images could not be read from $CONSUMER_IMAGES_JSON: $(grep -m1 Error "$LOGS/images.log")"; finish; }
  mapfile -t images <"$WORK/images"
fi

if [ "$MODE" = deploy ]; then
  # The cluster stack states what the cluster is, read from the cluster itself: the current
  # context's kubeconfig, self-contained; the API server's minor; the GPU pools of the labelled
  # nodes (their fewest allocatable GPUs, their count); and where the nodes pull from and homes are
  # stored.
  "$KUBECTL" config view --raw --minify --flatten >"$WORK/cluster.kubeconfig" 2>"$LOGS/cluster-facts.log"
  context=$("$KUBECTL" config current-context 2>>"$LOGS/cluster-facts.log")
  k8s_version=$("$KUBECTL" version -o json 2>>"$LOGS/cluster-facts.log" | node -e '
    const v = JSON.parse(require("fs").readFileSync(0, "utf8")).serverVersion;
    console.log(`${v.major}.${v.minor.replace(/[^0-9]/g, "")}`);' 2>>"$LOGS/cluster-facts.log")
  gpu_pools=$("$KUBECTL" get nodes -l ds-platform.io/gpu-pool -o json 2>>"$LOGS/cluster-facts.log" | node -e '
    const pools = new Map();
    for (const n of JSON.parse(require("fs").readFileSync(0, "utf8")).items) {
      const name = n.metadata.labels["ds-platform.io/gpu-pool"];
      const gpus = Number((n.status.allocatable || {})["nvidia.com/gpu"] || 0);
      const p = pools.get(name) || { name, gpusPerNode: gpus, maxSize: 0 };
      pools.set(name, { name, gpusPerNode: Math.min(p.gpusPerNode, gpus), maxSize: p.maxSize + 1 });
    }
    console.log(JSON.stringify([...pools.values()].filter((p) => p.gpusPerNode > 0)));' 2>>"$LOGS/cluster-facts.log")
  if [ ! -s "$WORK/cluster.kubeconfig" ] || [ -z "$k8s_version" ] || [ -z "$gpu_pools" ]; then
    fail "the cluster's kubeconfig, Kubernetes version or GPU pools could not be read"
    tail_log "$LOGS/cluster-facts.log" 10
    finish
  fi
  configure_cluster() {
    cluster_pulumi 60 config set --secret kubeconfig <"$WORK/cluster.kubeconfig" &&
      cluster_pulumi 60 config set kubernetesVersion "$k8s_version" &&
      cluster_pulumi 60 config set matchNodePurpose "${CONSUMER_MATCH_NODE_PURPOSE:-prefer}" &&
      cluster_pulumi 60 config set gpuPools "$gpu_pools" &&
      cluster_pulumi 60 config set registryUrl "$CONSUMER_REGISTRY" &&
      { [ -z "${CONSUMER_STORAGE_CLASS:-}" ] || cluster_pulumi 60 config set homeStorageClass "$CONSUMER_STORAGE_CLASS"; }
  }
  if (cd "$CONSUMER/cluster" && timeout 60 pulumi stack init "$CLUSTER_STACK" --secrets-provider passphrase --non-interactive) >"$LOGS/cluster-config.log" 2>&1; then
    CLUSTER_CREATED=1
  fi
  if [ -n "$CLUSTER_CREATED" ] && configure_cluster >>"$LOGS/cluster-config.log" 2>&1; then
    pass "cluster stack $CLUSTER_STACK: the kubeconfig of context ${context:-?} (secret), Kubernetes $k8s_version, GPU pools $gpu_pools, matchNodePurpose ${CONSUMER_MATCH_NODE_PURPOSE:-prefer}, registry $CONSUMER_REGISTRY, home class ${CONSUMER_STORAGE_CLASS:-none}"
  else
    fail "the cluster stack could not be created and configured"
    tail_log "$LOGS/cluster-config.log" 10
    finish
  fi
fi

# The TypeScript program takes the registry and the home class from the cluster stack; the YAML
# program from its config.
configure() {
  if [ "$PROGRAM" = yaml ]; then
    consumer_pulumi 60 config set registry "$CONSUMER_REGISTRY" &&
      { [ -z "${CONSUMER_STORAGE_CLASS:-}" ] || consumer_pulumi 60 config set storageClass "$CONSUMER_STORAGE_CLASS"; } || return 1
  else
    consumer_pulumi 60 config set clusterStack "$CLUSTER_STACK" || return 1
  fi
  consumer_pulumi 60 config set namespace "$NS" &&
    consumer_pulumi 60 config set notebookImage "$CONSUMER_NOTEBOOK_IMAGE" &&
    consumer_pulumi 60 config set hubChart "${CONSUMER_HUB_CHART:-https://hub.jupyter.org/helm-chart/}" &&
    consumer_pulumi 60 config set --secret hubPassword "$USER_PASSWORD" &&
    consumer_pulumi 60 config set --secret hubAdminPassword "$ADMIN_PASSWORD" || return 1
  local image
  for image in "${images[@]}"; do
    consumer_pulumi 60 config set --plaintext --path "images.${image%%=*}" "${image#*=}" || return 1
  done
}
if (cd "$CONSUMER" && timeout 60 pulumi stack init "$STACK" --secrets-provider passphrase --non-interactive) >"$LOGS/config.log" 2>&1; then
  STACK_CREATED=1
fi
if [ -n "$STACK_CREATED" ] && configure >>"$LOGS/config.log" 2>&1; then
  if [ "$PROGRAM" = yaml ]; then from="registry $CONSUMER_REGISTRY"; else from="cluster stack $CLUSTER_STACK"; fi
  pass "stack $STACK of the program: $from, image $CONSUMER_NOTEBOOK_IMAGE, ${#images[@]} mirrored images, secrets set with pulumi config set --secret"
else
  fail "the program's stack could not be created and configured"
  tail_log "$LOGS/config.log" 10
  finish
fi

if [ "$MODE" = preview-yaml ]; then
  t0=$(now)
  # -v=9: the engine's log names the file it executes for each plugin.
  consumer_pulumi 600 preview --diff -v=9 --logtostderr >"$LOGS/preview.log" 2>"$LOGS/preview-engine.log"
  rc=$?
  plan=$(resource_counts "$LOGS/preview.log")
  launcher=$(grep -m1 -o "Launching plugin 'ds-platform (resource)' from '[^']*'" "$LOGS/preview-engine.log" | sed "s/.* from '//; s/'$//")
  if [ "$rc" -eq 0 ] && grep -q 'ds-platform:index:Platform: (create)' "$LOGS/preview.log" &&
    grep -q 'kubernetes:helm.sh/v3:Release: (create)' "$LOGS/preview.log" && grep -q 'kubernetes:core/v1:Namespace: (create)' "$LOGS/preview.log"; then
    pass "pulumi preview of the YAML program in $(since "$t0") s plans the team platform against a cluster that does not exist ($plan): ds-platform:index:Platform, its DataSciencePlatform, Namespace, the hub's helm Release, ..."
  else
    fail "pulumi preview of the YAML program exited $rc after $(since "$t0") s${plan:+ ($plan)}"
    if grep -qE 'error' "$LOGS/preview.log"; then
      grep -E 'error' "$LOGS/preview.log" | sort -u | head -n 10 | sed 's/^/  | /'
    else
      tail_log "$LOGS/preview.log"
    fi
  fi
  if [ "$launcher" = "$CONSUMER/node_modules/ds-platform/provider/pulumi-resource-ds-platform" ]; then
    pass "the engine executed the installed package's plugin: node_modules/ds-platform/provider/pulumi-resource-ds-platform"
  else
    fail "the engine did not execute node_modules/ds-platform/provider/pulumi-resource-ds-platform (it launched: ${launcher:-nothing named ds-platform})"
  fi
  if grep -q "namespace *: \"$NS\"" "$LOGS/preview.log"; then
    pass "the preview's outputs: namespace $NS, $(grep -oE 'imageRef *: "[^"]*"' "$LOGS/preview.log" | tr -s ' ')"
  else
    fail "the preview's outputs lack namespace $NS"
  fi
  # The update path through the provider: its components are created, then the kubernetes provider
  # stops at the missing cluster; destroy takes what was created.
  t0=$(now)
  consumer_pulumi 600 up --yes --skip-preview >"$LOGS/up-nowhere.log" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ] && grep -q 'ds-platform:index:Platform .* created' "$LOGS/up-nowhere.log" &&
    grep -q 'configured Kubernetes cluster is unreachable' "$LOGS/up-nowhere.log"; then
    pass "pulumi up without a cluster, in $(since "$t0") s: the provider's Platform created, then the kubernetes provider's \"configured Kubernetes cluster is unreachable\" ($(resource_counts "$LOGS/up-nowhere.log"))"
  else
    fail "pulumi up without a cluster exited $rc without creating the Platform and stopping at the unreachable cluster"
    tail_log "$LOGS/up-nowhere.log" 15
  fi
  consumer_pulumi 600 destroy --yes --skip-preview >"$LOGS/destroy-nowhere.log" 2>&1
  rc=$?
  remaining=$(consumer_pulumi 60 stack export 2>/dev/null | node -e 'const d = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log((d.deployment.resources || []).length)')
  if [ "$rc" -eq 0 ] && [ "$remaining" = 0 ]; then
    pass "pulumi destroy of what was created: an empty stack"
  else
    fail "pulumi destroy exited $rc, ${remaining:-?} resources left in the stack"
    tail_log "$LOGS/destroy-nowhere.log" 10
  fi
  # The schema's rules cross the language boundary: a namespace that is no DNS label is refused by name.
  consumer_pulumi 60 config set namespace Not_A_Namespace >>"$LOGS/config.log" 2>&1
  consumer_pulumi 600 preview >"$LOGS/preview-invalid.log" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ] && grep -q 'Invalid ds-platform configuration' "$LOGS/preview-invalid.log" && grep -qE -- '- cluster\.namespace: ' "$LOGS/preview-invalid.log"; then
    pass "a namespace the schema refuses fails the preview with its message: $(grep -m1 -oE -- '- cluster\.namespace: .*' "$LOGS/preview-invalid.log" | head -c 200)"
  else
    fail "preview with namespace Not_A_Namespace exited $rc without the schema's cluster.namespace problem"
    tail_log "$LOGS/preview-invalid.log" 15
  fi
  finish
fi

if [ "$MODE" = deploy ]; then
  # The cluster stack first: until it is deployed, it has no outputs to read.
  t0=$(now)
  if cluster_pulumi 300 up --yes --skip-preview >"$LOGS/cluster-up.log" 2>&1 &&
    cluster_pulumi 60 stack output --json >"$WORK/cluster-outputs.json" 2>>"$LOGS/cluster-up.log"; then
    shown=$(json "$WORK/cluster-outputs.json" 'Object.keys(d).join(", ")')
    if [ "$(json "$WORK/cluster-outputs.json" 'd.kubeconfig')" = "[secret]" ]; then
      pass "pulumi up of the cluster stack (no resources) in $(since "$t0") s; its outputs: $shown, the kubeconfig a secret"
    else
      fail "the cluster stack's kubeconfig output is missing or not a secret (outputs: $shown)"
    fi
  else
    fail "pulumi up of the cluster stack failed after $(since "$t0") s"
    tail_log "$LOGS/cluster-up.log"
    finish
  fi
fi

t0=$(now)
if consumer_pulumi "$UP_SECS" up --yes --skip-preview >"$LOGS/up.log" 2>&1; then
  if [ "$PROGRAM" = yaml ]; then through=""; else through=", through the cluster stack's kubeconfig alone (KUBECONFIG pointing at no file)"; fi
  pass "pulumi up of $TEAM from the installed package$through in $(since "$t0") s ($(resource_counts "$LOGS/up.log"))"
else
  fail "pulumi up of $TEAM failed after $(since "$t0") s"
  if grep -q '^Diagnostics:' "$LOGS/up.log"; then
    # The engine's and the program's errors (a ClusterStackError says why the reference cannot be used).
    sed -n '/^Diagnostics:/,/^Resources:/p' "$LOGS/up.log" | grep -vE '^(Diagnostics|Resources):|^ *$|^ +at ' | head -n 20 | sed 's/^/  | /'
  elif grep -qE 'error:' "$LOGS/up.log"; then
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
# The facts the team platform was configured with are the cluster stack's, read through the reference.
if [ "$MODE" = deploy ]; then
  if consumer_pulumi 60 stack output --json >"$WORK/team-outputs.json" 2>>"$LOGS/config.log"; then
    agreed=$(node -e '
      const fs = require("fs");
      const [cluster, team] = process.argv.slice(1, 3).map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
      // Compared with their keys sorted: the engine keeps no key order.
      const canon = (v) => JSON.stringify(v, (k, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x));
      const bad = [];
      if (team.clusterStack !== process.argv[3]) bad.push(`clusterStack ${team.clusterStack}`);
      const facts = Object.keys(cluster).filter((k) => k !== "kubeconfig");
      for (const k of facts) {
        if (canon(cluster[k]) !== canon((team.clusterFacts || {})[k])) bad.push(`${k}: cluster ${JSON.stringify(cluster[k])}, team ${JSON.stringify((team.clusterFacts || {})[k])}`);
      }
      if (bad.length > 0) { console.error(bad.join("; ")); process.exit(1); }
      console.log(facts.map((k) => `${k} ${JSON.stringify(cluster[k])}`).join(", "));' \
      "$WORK/cluster-outputs.json" "$WORK/team-outputs.json" "$CLUSTER_STACK" 2>"$WORK/facts.err")
    if [ -n "$agreed" ]; then
      pass "the team platform was configured with the cluster stack's facts, read through the StackReference: $agreed"
    else
      fail "the team platform's facts are not the cluster stack's: $(cat "$WORK/facts.err")"
    fi
  else
    fail "the team stack's outputs could not be read"
  fi
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
  pass "${TEAM}'s hub answers /hub/api through proxy-public $(since "$t0") s after pulumi up started (JupyterHub $(json "$WORK/hub-api.json" 'd.version'))"
else
  fail "${TEAM}'s hub did not answer through proxy-public within $HUB_READY_SECS s"
  "$KUBECTL" -n "$NS" get pods -o wide 2>&1 | sed 's/^/  | /'
  "$KUBECTL" -n "$NS" logs deploy/hub --tail 20 2>&1 | sed 's/^/  | /'
fi

t0=$(now)
if consumer_pulumi "$DESTROY_SECS" destroy --yes --skip-preview >"$LOGS/destroy.log" 2>&1; then
  DESTROYED=1
  pass "pulumi destroy of $TEAM in $(since "$t0") s"
else
  fail "pulumi destroy of $TEAM failed after $(since "$t0") s"
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
  pass "nothing of $TEAM is left: an empty stack, namespace $NS and its cluster-scoped objects gone"
  consumer_pulumi 60 stack rm --yes >>"$LOGS/destroy.log" 2>&1 || true
else
  fail "left after destroy: ${remaining:-?} resources in the stack; in the cluster: $(leftovers | tr '\n' ' ')"
fi

# The cluster stack last, once no team stack builds on it.
if [ "$MODE" = deploy ] && [ -n "$DESTROYED" ]; then
  t0=$(now)
  if cluster_pulumi 120 destroy --yes --skip-preview >"$LOGS/cluster-destroy.log" 2>&1 &&
    cluster_pulumi 60 stack rm --yes >>"$LOGS/cluster-destroy.log" 2>&1; then
    CLUSTER_DESTROYED=1
    pass "the cluster stack destroyed and removed after the team's, in $(since "$t0") s"
  else
    fail "the cluster stack could not be destroyed and removed"
    tail_log "$LOGS/cluster-destroy.log"
  fi
fi
finish
