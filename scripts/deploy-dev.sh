#!/usr/bin/env bash
# Deploys the dev stack to a local cluster, with a local file backend and a documented dev
# passphrase: no Pulumi Cloud account is needed. Extra arguments go to `pulumi up`.
#
#   PULUMI_BACKEND_URL        state backend (default: file://<project>/.pulumi-state)
#   PULUMI_CONFIG_PASSPHRASE  encrypts this stack's secrets (default: "ds-platform-dev"; set your own
#                             for anything shared)
#   KIND_CLUSTER              kind cluster to create when Pulumi.dev.yaml's context is missing
#                             (default: ds-platform)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need() { command -v "$1" >/dev/null 2>&1 || { echo "deploy-dev: '$1' is required: $2" >&2; exit 1; }; }
need pulumi "install the Pulumi CLI (https://www.pulumi.com/docs/install/)"
need kubectl "install kubectl"

[ -d node_modules ] || npm ci --no-audit --no-fund

export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$PWD/.pulumi-state}"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-ds-platform-dev}"
case "$PULUMI_BACKEND_URL" in file://*) mkdir -p "${PULUMI_BACKEND_URL#file://}" ;; esac

# A kind cluster wired for the in-cluster registry, unless the configured context already exists.
context=$(node -e 'const y=require("yaml");const c=y.parse(require("fs").readFileSync("Pulumi.dev.yaml","utf8")).config["ds-platform:cluster"]||{};console.log(c.context||"")')
if [ -n "$context" ] && ! kubectl config get-contexts -o name | grep -qx "$context"; then
  need kind "install kind, or point ds-platform:cluster.context in Pulumi.dev.yaml at your cluster"
  kind create cluster --name "${KIND_CLUSTER:-${context#kind-}}" --config scripts/kind-config.yaml
fi

pulumi stack select dev >/dev/null 2>&1 || pulumi stack init dev
if ! pulumi config get hubPassword --stack dev >/dev/null 2>&1; then
  pulumi config set --secret --stack dev hubPassword "$(node -e 'console.log(require("crypto").randomBytes(18).toString("base64url"))')"
  echo "Generated the hub login password; show it with: pulumi config get hubPassword --stack dev"
fi

pulumi up --stack dev "$@"

# The nodes' container runtime must trust the in-cluster registry's CA before a notebook starts.
ca=$(pulumi stack output registryCaCert --stack dev 2>/dev/null || true)
registry=$(pulumi stack output registryUrl --stack dev)
if [ -n "$ca" ] && command -v kind >/dev/null 2>&1 && [[ "$context" == kind-* ]]; then
  for node in $(kind get nodes --name "${context#kind-}"); do
    docker exec -i "$node" sh -c "mkdir -p /etc/containerd/certs.d/$registry && cat > /etc/containerd/certs.d/$registry/ca.crt && printf 'server = \"https://%s\"\n\n[host.\"https://%s\"]\n  ca = \"/etc/containerd/certs.d/%s/ca.crt\"\n' $registry $registry $registry > /etc/containerd/certs.d/$registry/hosts.toml" <<<"$ca"
  done
  echo "kind nodes now trust the registry at $registry"
elif [ -n "$ca" ]; then
  echo "Make your nodes' container runtime trust the registry CA (pulumi stack output registryCaCert) for $registry; see README.md"
fi
echo "Hub: $(pulumi stack output hubUrl --stack dev)  (kubectl -n $(pulumi stack output namespace --stack dev) port-forward svc/proxy-public 8080:80)"
