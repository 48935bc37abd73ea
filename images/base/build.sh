#!/bin/sh
# The base image of every DTaaS image: Debian bookworm made here with debootstrap and
# imported, so nothing is pulled from a registry. Needs root, debootstrap and a Docker
# engine.   images/base/build.sh [TAG] [MIRROR]
set -eu
TAG="${1:-dtaas-base:bookworm}"
MIRROR="${2:-http://deb.debian.org/debian}"
if docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "$TAG exists"
  exit 0
fi
ROOTFS="$(mktemp -d /tmp/dtaas-rootfs.XXXXXX)"
trap 'rm -rf "$ROOTFS"' EXIT
debootstrap --variant=minbase \
  --include=python3,python3-venv,ca-certificates,tini,nodejs \
  bookworm "$ROOTFS" "$MIRROR" >"$ROOTFS.log" 2>&1 || { tail -20 "$ROOTFS.log"; exit 1; }
rm -f "$ROOTFS.log"
# no caches or package lists in the image
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
tar -C "$ROOTFS" -c . | docker import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  - "$TAG" >/dev/null
echo "$TAG built"
