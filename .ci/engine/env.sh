# shellcheck shell=bash
# Source this (". .ci/engine/env.sh") after .ci/engine/build.sh to use the locally built engine:
#   PATH                  the CLI's directory first (pulumi, and the language hosts pulumi-language-nodejs
#                         and pulumi-language-yaml beside it)
#   PULUMI_HOME           the cache's plugin home, where build.sh installed the kubernetes plugin
#   PULUMI_SKIP_UPDATE_CHECK, PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION,
#   PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK   nothing is ever looked up or downloaded
#   PULUMI_BACKEND_URL    kept if the caller set it; else file://<project>/.pulumi-state (as scripts/deploy-dev.sh)
#   npm_config_ignore_scripts=true   the @pulumi/* packages' install scripts run "pulumi plugin install",
#                         which would try to download plugins once pulumi is on PATH; "npm test" and
#                         "npm run X" still run their named script.
# PULUMI_CONFIG_PASSPHRASE is left to the caller. Returns 1 (with one line on stderr) if the
# engine is not built.

_ds_engine_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$_ds_engine_dir/versions.env"
_ds_engine_cache=${DS_PLATFORM_CACHE:-/var/cache/ds-platform}/engine
_ds_engine_bin=$_ds_engine_cache/pulumi-$PULUMI_VERSION/bin

if [ -x "$_ds_engine_bin/pulumi" ] && [ -x "$_ds_engine_bin/pulumi-language-nodejs" ] && [ -x "$_ds_engine_bin/pulumi-language-yaml" ]; then
  case ":$PATH:" in
    *":$_ds_engine_bin:"*) ;;
    *) export PATH="$_ds_engine_bin:$PATH" ;;
  esac
  export PULUMI_HOME="$_ds_engine_cache/pulumi-home"
  export PULUMI_SKIP_UPDATE_CHECK=true
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
  export npm_config_ignore_scripts=true
  export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$(cd "$_ds_engine_dir/../.." && pwd)/.pulumi-state}"
  case "$PULUMI_BACKEND_URL" in file://*) mkdir -p "${PULUMI_BACKEND_URL#file://}" ;; esac
  unset _ds_engine_dir _ds_engine_cache _ds_engine_bin
else
  echo "env.sh: pulumi $PULUMI_VERSION or a language host is not built in $_ds_engine_bin: run .ci/engine/build.sh first" >&2
  unset _ds_engine_dir _ds_engine_cache _ds_engine_bin
  return 1
fi
