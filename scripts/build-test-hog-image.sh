#!/usr/bin/env bash
# Builds kitt/test-hog: a static C program in a FROM-scratch image that allocates memory and/or
# spins threads, for the runtime's OOM and CPU-limit tests. Skips when the image exists
# (--force rebuilds). Needs gcc with static glibc (Debian: build-essential).
set -euo pipefail
cd "$(dirname "$0")/.."
image=kitt/test-hog
if [[ "${1:-}" != "--force" ]] && docker image inspect "$image" >/dev/null 2>&1; then
  exit 0
fi
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
gcc -O2 -static -pthread -o "$ctx/hog" docker/test-hog/hog.c
strip "$ctx/hog"
cp docker/test-hog/Dockerfile "$ctx/Dockerfile"
docker build -q -t "$image" "$ctx" >"$ctx/build.log" 2>&1 || { cat "$ctx/build.log" >&2; exit 1; }
echo "built $image"
