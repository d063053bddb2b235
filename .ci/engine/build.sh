#!/usr/bin/env bash
# Build the Pulumi engine from Go modules (the only source reachable here) into the
# persistent cache, keyed by version, and install the Kubernetes provider as a plugin:
#   $CACHE/engine/pulumi-<v>/bin/pulumi                        the CLI
#   $CACHE/engine/pulumi-<v>/bin/pulumi-language-nodejs        link to the Node.js language host
#   $CACHE/engine/pulumi-language-nodejs-<v>/bin/...           the language host itself
#   $CACHE/engine/pulumi-<v>/bin/pulumi-language-yaml          link to the YAML language host
#   $CACHE/engine/pulumi-language-yaml-<v>/bin/...             the YAML language host itself
#   $CACHE/engine/pulumi-resource-kubernetes-<v>/bin/...       the provider
#   $CACHE/engine/pulumi-home/plugins/resource-kubernetes-v<v>/ the installed plugin (PULUMI_HOME)
# CACHE is ${DS_PLATFORM_CACHE:-/var/cache/ds-platform}; Go's module and build caches live
# under $CACHE/go. Each piece is rebuilt only when its version (or the Go toolchain) changes,
# so a rerun with everything built takes seconds. Versions: versions.env.
# Prints each build's time; on failure prints one line naming what could not be built and why
# (the full log is kept under $CACHE/engine/logs) and exits 1.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$HERE/versions.env"

CACHE=${DS_PLATFORM_CACHE:-/var/cache/ds-platform}
ENGINE=$CACHE/engine
LOGS=$ENGINE/logs

log() { echo "build.sh: $*" >&2; }
# fail WHAT WHY: the one line that says what could not be built and why.
fail() {
  echo "build.sh: could not build $1: $2" >&2
  exit 1
}

# The Go toolchain's standard install location, when it is not on PATH.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  PATH="/usr/local/go/bin:$PATH"
fi
command -v go >/dev/null 2>&1 || fail "the Pulumi engine" "no Go toolchain on PATH or in /usr/local/go/bin"
command -v node >/dev/null 2>&1 || fail "the Pulumi engine" "node not found (needed to generate the provider's embedded schema)"

export GOMODCACHE=$CACHE/go/mod
export GOCACHE=$CACHE/go/build
# Never download another toolchain; let builds add the go.sum lines they need; the pulumi
# modules (the provider's pseudo-version in particular) are not all in the checksum database.
export GOTOOLCHAIN=local
export GOFLAGS="-mod=mod -buildvcs=false"
export GONOSUMDB=${GONOSUMDB:+$GONOSUMDB,}github.com/pulumi
mkdir -p "$ENGINE" "$LOGS" "$GOMODCACHE" "$GOCACHE"

GO_VERSION=$(go env GOVERSION)
PULUMI_HOME_DIR=$ENGINE/pulumi-home
CLI_DIR=$ENGINE/pulumi-$PULUMI_VERSION
LANG_DIR=$ENGINE/pulumi-language-nodejs-$PULUMI_LANGUAGE_NODEJS_SDK_VERSION
YAML_DIR=$ENGINE/pulumi-language-yaml-$PULUMI_YAML_VERSION
K8S_DIR=$ENGINE/pulumi-resource-kubernetes-v$PULUMI_KUBERNETES_VERSION

# reason LOGFILE: the most telling line of a failed step's log, on one line.
reason() {
  local line
  line=$(grep -m1 -E 'not available|Not Found|no matching versions|^go: |error|cannot |undefined|fatal|panic' "$1" || true)
  [ -n "$line" ] || line=$(grep -v '^[[:space:]]*$' "$1" | tail -n 1 || true)
  line=$(sed -E 's/^[[:space:]]*"Error": "//; s/",?[[:space:]]*$//; s/\\[nt]/ /g' <<<"$line" | tr -s '[:space:]' ' ')
  echo "${line:0:400} (log: $1)"
}

# module_dir WHAT MODULE@VERSION: downloads the module (if needed) and prints its directory.
module_dir() {
  local log=$LOGS/download-${2//\//_}.log dir
  if ! (cd "$ENGINE" && go mod download -json "$2") >"$log" 2>&1; then
    fail "$1" "cannot download module $2: $(reason "$log")"
  fi
  dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' "$log")
  [ -d "$dir" ] || fail "$1" "downloading module $2 gave no directory: $(reason "$log")"
  echo "$dir"
}

# remote_replaces GO_MOD: the module's replace directives whose target is another module
# (not a local directory), as go mod edit -replace arguments. The wrapper modules carry them,
# since a dependency's replace directives do not apply when it is built from another module.
remote_replaces() {
  awk '
    function emit(line,   parts, lhs, rhs) {
      sub(/\/\/.*/, "", line)
      if (split(line, parts, "=>") != 2) return
      split(parts[1], lhs, " "); split(parts[2], rhs, " ")
      if (rhs[1] ~ /^[.\/]/ || rhs[2] == "") return
      printf "-replace=%s%s=%s@%s\n", lhs[1], (lhs[2] == "" ? "" : "@" lhs[2]), rhs[1], rhs[2]
    }
    /^replace[ \t]*\(/ { block = 1; next }
    block && /^\)/ { block = 0; next }
    block { emit($0); next }
    /^replace[ \t]/ { sub(/^replace[ \t]+/, ""); emit($0) }
  ' "$1"
}

# up_to_date BIN KEY: BIN exists and was built from KEY.
up_to_date() { [ -x "$1" ] && [ -f "$1.key" ] && [ "$(cat "$1.key")" = "$2" ]; }

# build_wrapped NAME KEY OUT PACKAGE LDFLAGS -- ARGS...
# Builds PACKAGE from a generated wrapper module (beside OUT's bin directory). ARGS starting
# with "-" (-require=..., -replace=...) edit its go.mod; the others are go.sum files that seed its go.sum.
build_wrapped() {
  local name=$1 key=$2 out=$3 pkg=$4 ldflags=$5
  shift 6
  local dir wrap log start arg
  local -a edits=() seeds=()
  for arg in "$@"; do
    case $arg in
      -*) edits+=("$arg") ;;
      *) seeds+=("$arg") ;;
    esac
  done
  dir=$(dirname "$(dirname "$out")")
  wrap=$dir/wrapper
  log=$LOGS/$name.log
  if up_to_date "$out" "$key"; then
    log "$name: up to date ($out)"
    return 0
  fi
  log "$name: building $pkg (log: $log)"
  start=$SECONDS
  rm -rf "$wrap"
  mkdir -p "$wrap" "$(dirname "$out")"
  {
    (cd "$wrap" && go mod init "ds-platform.invalid/engine/$name" && go mod edit "${edits[@]}") &&
      cat "${seeds[@]}" >"$wrap/go.sum" &&
      go build -C "$wrap" -trimpath -ldflags "$ldflags" -o "$out.tmp" "$pkg"
  } >"$log" 2>&1 || fail "${key% *}" "go build failed: $(reason "$log")"
  mv -f "$out.tmp" "$out"
  echo "$key" >"$out.key"
  log "$name: built in $((SECONDS - start)) s, $(du -h "$out" | cut -f1) ($out)"
}

SDK_VERSION_VAR=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version

# 1. The CLI.
cli_key="pulumi $PULUMI_VERSION $GO_VERSION"
if ! up_to_date "$CLI_DIR/bin/pulumi" "$cli_key"; then
  pkg_dir=$(module_dir "pulumi $PULUMI_VERSION" "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION")
  sdk_dir=$(module_dir "pulumi $PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION")
  mapfile -t replaces < <(remote_replaces "$pkg_dir/go.mod")
  build_wrapped pulumi "$cli_key" "$CLI_DIR/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    "-s -w -X $SDK_VERSION_VAR=$PULUMI_VERSION" -- "$pkg_dir/go.sum" "$sdk_dir/go.sum" \
    "-require=github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" \
    "-require=github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION" "${replaces[@]}"
else
  log "pulumi: up to date ($CLI_DIR/bin/pulumi)"
fi

# 2. The Node.js language host.
lang_key="pulumi-language-nodejs $PULUMI_LANGUAGE_NODEJS_SDK_VERSION $GO_VERSION"
lang_bin=$LANG_DIR/bin/pulumi-language-nodejs
if ! up_to_date "$lang_bin" "$lang_key"; then
  sdk_dir=$(module_dir "pulumi-language-nodejs $PULUMI_LANGUAGE_NODEJS_SDK_VERSION" \
    "github.com/pulumi/pulumi/sdk/v3@$PULUMI_LANGUAGE_NODEJS_SDK_VERSION")
  mapfile -t replaces < <(remote_replaces "$sdk_dir/go.mod")
  build_wrapped pulumi-language-nodejs "$lang_key" "$lang_bin" \
    github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
    "-s -w -X $SDK_VERSION_VAR=$PULUMI_LANGUAGE_NODEJS_SDK_VERSION" -- "$sdk_dir/go.sum" \
    "-require=github.com/pulumi/pulumi/sdk/v3@$PULUMI_LANGUAGE_NODEJS_SDK_VERSION" "${replaces[@]}"
else
  log "pulumi-language-nodejs: up to date ($lang_bin)"
fi
# The CLI looks for its language hosts next to itself (and on PATH).
ln -sfn "$lang_bin" "$CLI_DIR/bin/pulumi-language-nodejs"

# 3. The YAML language host, built with the pulumi pkg/v3 and sdk/v3 its own go.mod requires:
# against the CLI's newer pkg/v3 it does not compile (the plugin API changed in between). The
# language-host protocol is the CLI's to keep compatible, as with the older Node.js host above.
yaml_mod=github.com/pulumi/pulumi-yaml
yaml_key="pulumi-language-yaml $PULUMI_YAML_VERSION $GO_VERSION"
yaml_bin=$YAML_DIR/bin/pulumi-language-yaml
if ! up_to_date "$yaml_bin" "$yaml_key"; then
  yaml_dir=$(module_dir "pulumi-language-yaml $PULUMI_YAML_VERSION" "$yaml_mod@$PULUMI_YAML_VERSION")
  mapfile -t replaces < <(remote_replaces "$yaml_dir/go.mod")
  build_wrapped pulumi-language-yaml "$yaml_key" "$yaml_bin" "$yaml_mod/cmd/pulumi-language-yaml" \
    "-s -w -X $yaml_mod/pkg/version.Version=$PULUMI_YAML_VERSION" -- "$yaml_dir/go.sum" \
    "-require=$yaml_mod@$PULUMI_YAML_VERSION" "${replaces[@]}"
else
  log "pulumi-language-yaml: up to date ($yaml_bin)"
fi
ln -sfn "$yaml_bin" "$CLI_DIR/bin/pulumi-language-yaml"

# 4. The Kubernetes provider. Its command embeds schema-embed.json and
# terraform-mapping-embed.json, generated upstream at release time and absent from the module
# zip: build from a writable copy of the module with them generated the way upstream's
# generate.go does (minified; the schema's version set to the release).
k8s_mod=github.com/pulumi/pulumi-kubernetes/provider/v4
k8s_key="pulumi-resource-kubernetes $PULUMI_KUBERNETES_VERSION $PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION $GO_VERSION"
k8s_bin=$K8S_DIR/bin/pulumi-resource-kubernetes
if ! up_to_date "$k8s_bin" "$k8s_key"; then
  mod_dir=$(module_dir "pulumi-resource-kubernetes $PULUMI_KUBERNETES_VERSION" "$k8s_mod@$PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION")
  src=$K8S_DIR/src
  cmd=$src/cmd/pulumi-resource-kubernetes
  log=$LOGS/pulumi-resource-kubernetes-embed.log
  rm -rf "$src"
  mkdir -p "$K8S_DIR"
  cp -R "$mod_dir" "$src"
  chmod -R u+w "$src"
  (cd "$cmd" && VERSION=$PULUMI_KUBERNETES_VERSION node -e '
    const fs = require("fs");
    const schema = JSON.parse(fs.readFileSync("schema.json", "utf8"));
    schema.version = process.env.VERSION;
    fs.writeFileSync("schema-embed.json", JSON.stringify(schema));
    fs.writeFileSync("terraform-mapping-embed.json",
      JSON.stringify(JSON.parse(fs.readFileSync("terraform-mapping.json", "utf8"))));
  ') >"$log" 2>&1 ||
    fail "pulumi-resource-kubernetes $PULUMI_KUBERNETES_VERSION" "generating the embedded schema failed: $(reason "$log")"
  mapfile -t replaces < <(remote_replaces "$src/go.mod")
  build_wrapped pulumi-resource-kubernetes "$k8s_key" "$k8s_bin" "$k8s_mod/cmd/pulumi-resource-kubernetes" \
    "-s -w -X $k8s_mod/pkg/version.Version=$PULUMI_KUBERNETES_VERSION" -- "$src/go.sum" \
    "-require=$k8s_mod@$PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION" "-replace=$k8s_mod=$src" "${replaces[@]}"
else
  log "pulumi-resource-kubernetes: up to date ($k8s_bin)"
fi

# 5. Install the provider as the CLI's plugin (the CLI writes its own plugin-cache layout).
plugin=$PULUMI_HOME_DIR/plugins/resource-kubernetes-v$PULUMI_KUBERNETES_VERSION
if [ -e "$plugin.partial" ] || ! cmp -s "$k8s_bin" "$plugin/pulumi-resource-kubernetes"; then
  log=$LOGS/plugin-install-kubernetes.log
  PULUMI_HOME=$PULUMI_HOME_DIR PULUMI_SKIP_UPDATE_CHECK=true \
    "$CLI_DIR/bin/pulumi" plugin install resource kubernetes "v$PULUMI_KUBERNETES_VERSION" \
    --file "$k8s_bin" --reinstall --non-interactive >"$log" 2>&1 ||
    fail "the kubernetes plugin install" "$(reason "$log")"
  cmp -s "$k8s_bin" "$plugin/pulumi-resource-kubernetes" ||
    fail "the kubernetes plugin install" "pulumi plugin install left no copy of the provider in $plugin"
  log "kubernetes plugin v$PULUMI_KUBERNETES_VERSION installed in $plugin"
else
  log "kubernetes plugin v$PULUMI_KUBERNETES_VERSION: installed ($plugin)"
fi
log "done: source .ci/engine/env.sh to use pulumi $PULUMI_VERSION"
