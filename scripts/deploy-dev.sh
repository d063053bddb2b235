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
# The shared-password login: one password for users, a longer one for the admins listed in the stack.
random_password() { node -e 'console.log(require("crypto").randomBytes(Number(process.argv[1])).toString("base64url"))' "$1"; }
if ! pulumi config get hubPassword --stack dev >/dev/null 2>&1; then
  pulumi config set --secret --stack dev hubPassword "$(random_password 18)"
  echo "Generated the users' hub password; show it with: pulumi config get hubPassword --stack dev"
fi
if ! pulumi config get hubAdminPassword --stack dev >/dev/null 2>&1; then
  pulumi config set --secret --stack dev hubAdminPassword "$(random_password 36)"
  echo "Generated the admins' hub password; show it with: pulumi config get hubAdminPassword --stack dev"
fi

stack_urn() { echo "urn:pulumi:dev::ds-platform::$1"; }
registry_kind=$(node -e 'const y=require("yaml");const r=y.parse(require("fs").readFileSync("Pulumi.dev.yaml","utf8")).config["ds-platform:registry"]||{};console.log(r.kind||"in-cluster")')
if [ "$registry_kind" = "in-cluster" ] && ! pulumi stack output registryCaCert --stack dev >/dev/null 2>&1; then
  # First deployment: the registry (and what it needs) first, so its CA can be trusted before the
  # image is pushed to it.
  pulumi up --stack dev --yes \
    --target "$(stack_urn 'ds-platform:index:DataSciencePlatform::dev')" \
    --target "$(stack_urn '**pulumi:providers:kubernetes::dev-k8s')" \
    --target "$(stack_urn '**kubernetes:core/v1:Namespace::dev-namespace')" \
    --target "$(stack_urn '**ds-platform:registry:Registry**')"
fi

ca=$(pulumi stack output registryCaCert --stack dev 2>/dev/null || true)
if [ -n "$ca" ]; then
  server=$(pulumi stack output registryUrl --stack dev)
  hosts=$(pulumi stack output registryHostsToml --stack dev)
  # The build host pushes to the registry: Docker reads per-registry CAs from certs.d.
  sudo_if_needed() { if [ -w /etc ]; then "$@"; else sudo "$@"; fi; }
  sudo_if_needed mkdir -p "/etc/docker/certs.d/$server"
  printf '%s\n' "$ca" | sudo_if_needed tee "/etc/docker/certs.d/$server/ca.crt" >/dev/null
  # The nodes pull from it: containerd reads certs.d on every pull.
  if [[ "$context" == kind-* ]] && command -v kind >/dev/null 2>&1; then
    for node in $(kind get nodes --name "${context#kind-}"); do
      docker exec "$node" mkdir -p "/etc/containerd/certs.d/$server"
      printf '%s\n' "$ca" | docker exec -i "$node" tee "/etc/containerd/certs.d/$server/ca.crt" >/dev/null
      printf '%s\n' "$hosts" | docker exec -i "$node" tee "/etc/containerd/certs.d/$server/hosts.toml" >/dev/null
    done
    echo "kind nodes trust the registry at $server"
  else
    echo "Install the outputs registryCaCert and registryHostsToml as /etc/containerd/certs.d/$server/{ca.crt,hosts.toml} on every node (see README.md)"
  fi
fi

pulumi up --stack dev "$@"
echo "Hub: $(pulumi stack output hubUrl --stack dev)  (kubectl -n $(pulumi stack output namespace --stack dev) port-forward svc/proxy-public 8080:80)"
