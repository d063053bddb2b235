#!/usr/bin/env bash
# The developers' environment is the CI environment: .devcontainer/devcontainer.json builds
# images/notebook (target cpu), and the Dev Containers CLI (@devcontainers/cli, a pinned
# devDependency) reads and builds it here, then runs a container of it as the developer's user.
#
# The configuration leaves BASE_IMAGE to the Dockerfile's pinned default, which CI cannot pull (no
# registry is reachable) and passes no build secret. The Dev Containers CLI takes neither build
# arguments nor secrets on its command line, so CI builds through a CI-only configuration generated
# from the committed one, beside it (same relative paths), that changes only the build:
#   build.args.BASE_IMAGE  the local debootstrap base (.ci/lib/base-image.sh), as .ci/image-test.sh;
#   build.options          --secret id=ca,src=<CA bundle>, for networks that intercept TLS.
# Everything else -- target, user, UID/GID handling, ports -- is the developers' configuration.
# The generated file is removed afterwards (and ignored by git).
#
# Env: BUILD_CA_BUNDLE (default: the system bundle), DEVCONTAINER_IMAGE (default
#      ds-platform/devcontainer:ci). Ends with "N passed, M failed".
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/checks.sh
source "$ROOT/.ci/lib/checks.sh"
cd "$ROOT" || exit 1

DOCKER=${DOCKER:-/usr/bin/docker}
CA_BUNDLE=${BUILD_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
IMAGE=${DEVCONTAINER_IMAGE:-ds-platform/devcontainer:ci}
CONFIG=.devcontainer/devcontainer.json
CI_CONFIG=.devcontainer/.ci-devcontainer.json
CLI="$ROOT/node_modules/.bin/devcontainer"
WORK=$(mktemp -d)
cleanup() {
  rm -f "$ROOT/$CI_CONFIG"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

note "prerequisites"
# shellcheck source=lib/docker.sh
source "$ROOT/.ci/lib/docker.sh"
ensure_docker || { fail "docker engine could not be started"; finish; }
[ -x "$CLI" ] || { fail "node_modules lacks the Dev Containers CLI; run: npm ci"; finish; }
echo "devcontainer CLI $("$CLI" --version)"
BASE_IMAGE=$(bash "$ROOT/.ci/lib/base-image.sh") || { fail "base image could not be built"; finish; }

# ---------------------------------------------------------------------------
note "read-configuration"
if "$CLI" read-configuration --workspace-folder . --config "$CONFIG" >"$WORK/config.json" 2>"$WORK/read.err"; then
  pass "devcontainer read-configuration accepts $CONFIG"
else
  fail "devcontainer read-configuration: $(tail -3 "$WORK/read.err")"
  finish
fi
C='d.configuration'
checks=(
  "$C.build.dockerfile === '../images/notebook/Dockerfile' && $C.build.context === '../images/notebook'|builds images/notebook"
  "$C.build.target === 'cpu'|target cpu"
  "$C.build.args?.BASE_IMAGE === undefined|BASE_IMAGE left to the Dockerfile's pinned default"
  "$C.build.args?.NB_UID === '1000' && $C.build.args?.NB_GID === '100'|NB_UID/NB_GID build args 1000/100"
  "$C.remoteUser === 'jovyan' && $C.updateRemoteUserUID === true|remoteUser jovyan, updateRemoteUserUID (the developer's UID/GID)"
  "($C.forwardPorts ?? []).includes(8888)|forwards JupyterLab's port 8888"
)
for entry in "${checks[@]}"; do
  if [ "$(json "$WORK/config.json" "${entry%%|*}")" = true ]; then pass "config: ${entry#*|}"; else fail "config: ${entry#*|}"; fi
done

# ---------------------------------------------------------------------------
note "devcontainer build (CI configuration: local base image, CA secret)"
[ -r "$CA_BUNDLE" ] || { fail "CA bundle $CA_BUNDLE is not readable (set BUILD_CA_BUNDLE)"; finish; }
node -e '
  const fs = require("fs");
  const [src, dst, base, ca] = process.argv.slice(1);
  const c = JSON.parse(fs.readFileSync(src, "utf8"));
  c.build.args = { ...c.build.args, BASE_IMAGE: base };
  c.build.options = [...(c.build.options ?? []), "--secret", `id=ca,src=${ca}`];
  fs.writeFileSync(dst, JSON.stringify(c, null, 2) + "\n");
' "$CONFIG" "$CI_CONFIG" "$BASE_IMAGE" "$CA_BUNDLE"
t0=$(now)
if DOCKER_BUILDKIT=1 "$CLI" build --docker-path "$DOCKER" --workspace-folder . --config "$CI_CONFIG" --image-name "$IMAGE" \
  >"$WORK/build.log" 2>&1; then
  pass "devcontainer build produced $IMAGE in $(since "$t0") s"
else
  tail -30 "$WORK/build.log"
  fail "devcontainer build failed"
  finish
fi

# ---------------------------------------------------------------------------
note "the built image is the notebook image"
out=$("$DOCKER" run --rm --network none "$IMAGE" bash -c 'echo "$(id -un) $(id -u) $(id -g)"; python -c "import pyspark; print(pyspark.__version__)"; ls "$SPARK_HOME/jars" | grep -c "^hadoop-aws-"' 2>&1)
echo "$out" | sed 's/^/  | /'
if [ "$(sed -n 1p <<<"$out")" = "jovyan 1000 100" ] && [[ "$(sed -n 2p <<<"$out")" =~ ^4\. ]] && [ "$(sed -n 3p <<<"$out")" = 1 ]; then
  pass "runs as jovyan 1000:100 with PySpark 4 and the S3A connector"
else
  fail "the devcontainer image: $out"
fi

finish
