#!/usr/bin/env bash
# Builds kitt's image from the root Dockerfile (and optionally the web image on top of it) with the
# Docker CLI, host networking for the build steps (no Docker bridge is needed). Quiet unless a
# build fails, when the last lines of its output are shown.
#
# Usage: scripts/build-kitt-image.sh [--tag kitt:local] [--web-tag kitt-web:local] [--base IMAGE]
set -euo pipefail
cd "$(dirname "$0")/.."

tag=kitt:local
web_tag=""
base_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag="$2"; shift ;;
    --web-tag) web_tag="$2"; shift ;;
    --base) base_args=(--build-arg "NODE_IMAGE=$2"); shift ;;
    *) echo "usage: $0 [--tag IMAGE] [--web-tag IMAGE] [--base IMAGE]" >&2; exit 2 ;;
  esac
  shift
done

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# build IMAGE [docker build args...]
build() {
  local image="$1" started=$SECONDS
  shift
  if ! DOCKER_BUILDKIT=0 docker build --network host -t "$image" "$@" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "building $image failed" >&2
    exit 1
  fi
  echo "built $image in $((SECONDS - started)) s"
}
build "$tag" "${base_args[@]}" .
if [ -n "$web_tag" ]; then
  build "$web_tag" --build-arg "KITT_IMAGE=$tag" -f docker/web/Dockerfile .
fi
