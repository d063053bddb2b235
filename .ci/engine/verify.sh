#!/usr/bin/env bash
# Checks the engine that build.sh built, without a cluster, in a temporary project and a
# temporary file backend:
#   1. pulumi version is the pinned one;
#   2. pulumi plugin ls lists the kubernetes plugin at the pinned version;
#   3. pulumi about, in a temporary TypeScript project, finds the nodejs language host;
#   4. that project's program imports @pulumi/random, tls, aws and docker-build (whose plugins
#      are not available) and declares one ConfigMap: its preview against a kubeconfig whose
#      cluster does not exist plans the ConfigMap, and no other plugin is asked for;
#   5. its "pulumi up" fails the way it must without a cluster: the provider reports the
#      cluster unreachable (proof that the plugin runs and talks to the API server address).
#   6. the YAML language host: pulumi about in a Pulumi YAML project finds it, and that project's
#      program (one ConfigMap) previews against the same missing cluster.
# Needs the project's node_modules (npm ci) with @pulumi/kubernetes at the plugin's version.
# Ends with "N passed, N failed"; exits 1 if any check failed.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=env.sh
. "$HERE/env.sh" || exit 1

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export PULUMI_BACKEND_URL="file://$TMP/state" PULUMI_CONFIG_PASSPHRASE=test
mkdir -p "$TMP/state"
PASSED=0
FAILED=0
ok() { echo "verify.sh: ok: $*"; PASSED=$((PASSED + 1)); }
ko() { echo "verify.sh: FAILED: $*"; FAILED=$((FAILED + 1)); }

# 1. The CLI.
version=$(pulumi version 2>&1)
if [ "$version" = "$PULUMI_VERSION" ]; then ok "pulumi version $version"; else ko "pulumi version said: $version"; fi

# 2. The plugin cache.
plugins=$(pulumi plugin ls 2>&1)
if grep -Eq "^kubernetes[[:space:]]+resource[[:space:]]+$PULUMI_KUBERNETES_VERSION([[:space:]]|$)" <<<"$plugins"; then
  ok "pulumi plugin ls lists kubernetes $PULUMI_KUBERNETES_VERSION"
else
  ko "pulumi plugin ls does not list kubernetes $PULUMI_KUBERNETES_VERSION: $(tr -s '[:space:]' ' ' <<<"$plugins")"
fi

# A cluster that does not exist: nothing listens on port 1 of the loopback address.
cat >"$TMP/kubeconfig" <<'EOF'
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

# 3. A program through the language host and the provider.
k8s_npm=$(node -p 'require(process.argv[1]).version' "$ROOT/node_modules/@pulumi/kubernetes/package.json" 2>/dev/null)
if [ "$k8s_npm" != "$PULUMI_KUBERNETES_VERSION" ]; then
  ko "program preview: node_modules has @pulumi/kubernetes '${k8s_npm:-none}', not $PULUMI_KUBERNETES_VERSION (run npm ci)"
else
  prog=$TMP/probe
  mkdir -p "$prog"
  ln -s "$ROOT/node_modules" "$prog/node_modules"
  cat >"$prog/Pulumi.yaml" <<'EOF'
name: engine-probe
runtime:
  name: nodejs
  options:
    typescript: true
main: index.ts
EOF
  cat >"$prog/package.json" <<'EOF'
{ "name": "engine-probe", "version": "0.0.0", "private": true, "main": "index.ts" }
EOF
  cat >"$prog/tsconfig.json" <<'EOF'
{ "compilerOptions": { "strict": true, "target": "es2022", "module": "commonjs", "moduleResolution": "node", "skipLibCheck": true } }
EOF
  cat >"$prog/index.ts" <<'EOF'
import * as k8s from "@pulumi/kubernetes";
// Imported but unused, as in the project's kubeconfig stacks: their plugins must not be needed.
import "@pulumi/random";
import "@pulumi/tls";
import "@pulumi/aws";
import "@pulumi/docker-build";

const cm = new k8s.core.v1.ConfigMap("probe", { metadata: { name: "engine-probe" }, data: { hello: "world" } });
export const name = cm.metadata.name;
EOF
  about=$(cd "$prog" && pulumi stack init probe --non-interactive >/dev/null 2>&1 && pulumi about 2>&1)
  if grep -Eq "^language[[:space:]]+nodejs[[:space:]]+${PULUMI_LANGUAGE_NODEJS_SDK_VERSION#v}" <<<"$about"; then
    ok "pulumi about finds the nodejs language host ${PULUMI_LANGUAGE_NODEJS_SDK_VERSION#v}"
  else
    ko "pulumi about does not list language nodejs ${PULUMI_LANGUAGE_NODEJS_SDK_VERSION#v}: $(tr -s '[:space:]' ' ' <<<"$about" | head -c 400)"
  fi
  out=$TMP/preview.log
  (cd "$prog" &&
    KUBECONFIG=$TMP/kubeconfig pulumi preview --non-interactive --diff) >"$out" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ]; then
    ko "program preview exited $rc: $(grep -m3 -iE 'error|plugin' "$out" | tr -s '[:space:]' ' ')"
  elif ! grep -q 'kubernetes:core/v1:ConfigMap' "$out"; then
    ko "program preview did not plan the ConfigMap: $(tail -n 3 "$out" | tr -s '[:space:]' ' ')"
  elif grep -qiE 'no resource plugin|could not find plugin|failed to load plugin' "$out"; then
    ko "program preview asked for a missing plugin: $(grep -m1 -iE 'plugin' "$out")"
  else
    ok "program preview: ConfigMap planned through kubernetes $PULUMI_KUBERNETES_VERSION (unreachable cluster), no random/tls/aws/docker-build plugin needed"
  fi
  if [ "$FAILED" -gt 0 ] || [ -n "${VERIFY_VERBOSE:-}" ]; then sed 's/^/  | /' "$out"; fi

  up=$TMP/up.log
  (cd "$prog" && KUBECONFIG=$TMP/kubeconfig pulumi up --yes --non-interactive) >"$up" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ] && grep -q 'configured Kubernetes cluster is unreachable' "$up"; then
    ok "pulumi up without a cluster: $(grep -m1 -o 'configured Kubernetes cluster is unreachable.*' "$up" | head -c 200)"
  else
    ko "pulumi up without a cluster exited $rc without the provider's unreachable-cluster error"
    sed 's/^/  | /' "$up"
  fi
fi

# 6. The YAML language host, with the same provider and the same missing cluster.
yprog=$TMP/yaml-probe
mkdir -p "$yprog"
cat >"$yprog/Pulumi.yaml" <<'EOF'
name: engine-probe-yaml
runtime: yaml
resources:
  probe:
    type: kubernetes:core/v1:ConfigMap
    properties:
      metadata:
        name: engine-probe-yaml
      data:
        hello: world
outputs:
  name: ${probe.metadata.name}
EOF
about=$(cd "$yprog" && pulumi stack init probe --non-interactive >/dev/null 2>&1 && pulumi about 2>&1)
if grep -Eq "^language[[:space:]]+yaml[[:space:]]+v?${PULUMI_YAML_VERSION#v}" <<<"$about"; then
  ok "pulumi about finds the yaml language host ${PULUMI_YAML_VERSION#v}"
else
  ko "pulumi about in a YAML project does not list language yaml ${PULUMI_YAML_VERSION#v}: $(tr -s '[:space:]' ' ' <<<"$about" | head -c 400)"
fi
out=$TMP/yaml-preview.log
(cd "$yprog" && KUBECONFIG=$TMP/kubeconfig pulumi preview --non-interactive --diff) >"$out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q 'kubernetes:core/v1:ConfigMap' "$out"; then
  ok "YAML program preview: ConfigMap planned through the yaml language host and kubernetes $PULUMI_KUBERNETES_VERSION (unreachable cluster)"
else
  ko "YAML program preview exited $rc: $(grep -m3 -iE 'error' "$out" | tr -s '[:space:]' ' ')"
  sed 's/^/  | /' "$out"
fi

echo "engine: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
