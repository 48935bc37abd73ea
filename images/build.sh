#!/bin/sh
# `make images`: the base image (debootstrap), a wheelhouse of the dtaas wheel and its
# dependencies made on the host, then the workspace and hub images from them. Nothing is
# pulled from a registry. Prints each image's size.   images/build.sh PYTHON [IMAGE...]
set -eu
PY="$1"
shift
IMAGES="${*:-workspace hub}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BASE="${DTAAS_BASE_IMAGE:-dtaas-base:bookworm}"
STAGE="$ROOT/images/.build"
"$ROOT/images/base/build.sh" "$BASE"
mkdir -p "$STAGE"
# the wheelhouse: the project's wheel (its Lab extension is already built) and every
# dependency, from pip's cache when it has them
if [ ! -f "$STAGE/wheels.stamp" ] || [ -n "$(find "$ROOT/pyproject.toml" "$ROOT/asset_library" \
    "$ROOT/hub_config" "$ROOT/spawner" "$ROOT/platform_services" "$ROOT/extensions/dtaas" \
    "$ROOT/examples" -newer "$STAGE/wheels.stamp" -print -quit)" ]; then
  rm -rf "$STAGE/wheels"
  HATCH_JUPYTER_BUILDER_SKIP_NPM=1 "$PY" -m pip wheel -q --disable-pip-version-check \
    --wheel-dir "$STAGE/wheels" "$ROOT[kubernetes]"
  touch "$STAGE/wheels.stamp"
fi
for image in $IMAGES; do
  ctx="$STAGE/$image"
  rm -rf "$ctx" && mkdir -p "$ctx"
  cp "$ROOT/images/$image/Dockerfile" "$ctx/"
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/"
  cp -al "$STAGE/wheels" "$ctx/wheels"
  if [ "$image" = hub ]; then
    cp -a "$ROOT/node_modules" "$ctx/node_modules"
    cp "$ROOT/jupyterhub_config.py" "$ctx/"
  fi
  docker build -q --build-arg "BASE_IMAGE=$BASE" -t "dtaas-$image:latest" "$ctx" >/dev/null
done
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' \
  | grep -E "^(dtaas-base|dtaas-workspace|dtaas-hub):" | sed 's/^/image /'
