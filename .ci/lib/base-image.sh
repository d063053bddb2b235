#!/usr/bin/env bash
# Build a local Debian bookworm base image (the stand-in for debian:bookworm-slim
# where no image registry can be reached): debootstrap minbase -> docker import.
# The rootfs tarball is cached so later runs on the same machine only re-import
# (or do nothing if the image already exists). Prints the image name on stdout.
set -euo pipefail

DOCKER=${DOCKER:-/usr/bin/docker}
BASE_IMAGE_NAME=${BASE_IMAGE_NAME:-ds-platform/base:bookworm}
BASE_CACHE_DIR=${BASE_CACHE_DIR:-/var/cache/ds-platform}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
TARBALL="$BASE_CACHE_DIR/rootfs-$SUITE-minbase.tar"

log() { echo "base-image.sh: $*" >&2; }

if "$DOCKER" image inspect "$BASE_IMAGE_NAME" >/dev/null 2>&1; then
  log "$BASE_IMAGE_NAME already present"
  echo "$BASE_IMAGE_NAME"
  exit 0
fi

if [ ! -s "$TARBALL" ]; then
  command -v debootstrap >/dev/null 2>&1 || {
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
  }
  mkdir -p "$BASE_CACHE_DIR"
  work=$(mktemp -d "$BASE_CACHE_DIR/rootfs.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  log "debootstrap $SUITE (minbase) from $DEBIAN_MIRROR"
  debootstrap --variant=minbase "$SUITE" "$work/root" "$DEBIAN_MIRROR" >&2
  # Same apt sources layout as the official slim image, including updates and
  # security, so package versions resolve the same way in both.
  rm -f "$work/root/etc/apt/sources.list"
  cat > "$work/root/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: ${DEBIAN_MIRROR}
Suites: ${SUITE} ${SUITE}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${DEBIAN_MIRROR}-security
Suites: ${SUITE}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  # Keep the image small, as the slim image does: no apt lists or caches.
  rm -rf "$work/root/var/lib/apt/lists/"* "$work/root/var/cache/apt/"*.bin \
         "$work/root/var/cache/apt/archives/"*.deb
  tar -C "$work/root" --numeric-owner -cf "$TARBALL.tmp" .
  mv "$TARBALL.tmp" "$TARBALL"
else
  log "using cached rootfs $TARBALL"
fi

log "importing $TARBALL as $BASE_IMAGE_NAME"
"$DOCKER" import --change 'CMD ["bash"]' "$TARBALL" "$BASE_IMAGE_NAME" >&2
echo "$BASE_IMAGE_NAME"
