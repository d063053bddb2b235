#!/usr/bin/env bash
# Ensure a local Docker engine is installed and running. Safe to source or run,
# and safe to call repeatedly: it only acts when something is missing.
# Uses Debian's docker.io because its /usr/bin/docker has BuildKit built in
# (no buildx plugin needed).
# No "set -e" at file level: sourcing this must not change the caller's shell
# options, so failures are handled explicitly.

DOCKER=${DOCKER:-/usr/bin/docker}
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/ds-platform-dockerd.log}
DOCKER_WAIT_SECS=${DOCKER_WAIT_SECS:-60}
export DOCKER

ensure_docker() {
  if [ ! -x "$DOCKER" ] || ! command -v dockerd >/dev/null 2>&1; then
    echo "docker.sh: installing docker.io" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || return 1
    apt-get install -y -qq docker.io >&2 || return 1
  fi
  if "$DOCKER" info >/dev/null 2>&1; then
    return 0
  fi
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    echo "docker.sh: starting dockerd (log: $DOCKERD_LOG)" >&2
    # setsid detaches dockerd from the caller's process group so a CI step's
    # cleanup does not take the daemon down with it.
    setsid dockerd >>"$DOCKERD_LOG" 2>&1 < /dev/null &
  fi
  local i=0
  until "$DOCKER" info >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -gt "$DOCKER_WAIT_SECS" ]; then
      echo "docker.sh: dockerd did not come up within ${DOCKER_WAIT_SECS}s; last log lines:" >&2
      tail -n 30 "$DOCKERD_LOG" >&2 || true
      return 1
    fi
    sleep 1
  done
}

# Run directly: do the work. Sourced: only define the function.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  ensure_docker
  echo "docker ready: $("$DOCKER" version --format '{{.Server.Version}}')"
fi
