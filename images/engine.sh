#!/bin/sh
# A Docker engine that answers: Debian's docker.io installed if missing, dockerd started
# if none runs (its log in /var/log/dtaas-dockerd.log). Needs root.
set -eu
if docker info >/dev/null 2>&1; then
  exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
if docker info >/dev/null 2>&1; then
  exit 0  # the package's service started it
fi
nohup dockerd >/var/log/dtaas-dockerd.log 2>&1 &
i=0
until docker info >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -gt 60 ]; then
    echo "dockerd did not answer within 60 s:" >&2
    tail -20 /var/log/dtaas-dockerd.log >&2
    exit 1
  fi
  sleep 1
done
