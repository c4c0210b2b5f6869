#!/usr/bin/env bash
# Builds kitt/llama-server:cpu (and :cpu-<commit>) from the llama.cpp source inside node-llama-cpp
# (node_modules/node-llama-cpp/llama/gitRelease.bundle). No registry is needed: the image is FROM
# scratch with the binary, the shared libraries ldd lists and the dynamic loader.
#
#   scripts/build-llamacpp-image.sh [--force]          CPU image for this host's architecture
#   scripts/build-llamacpp-image.sh --spark [--force]  kitt/llama-server:spark (ARM64, CUDA sm_121),
#                                                      compiled inside docker/llama_cpp/Dockerfile.spark;
#                                                      needs an arm64 host and the nvidia/cuda base images
#
# Environment:
#   KITT_CACHE       cache root (default ~/.cache/kitt); the build lands in llama-server-<commit>/
#                    so a second run needs no compiler at all
#   LLAMA_BUILD_DIR  an existing CMake build dir of the same commit to take bin/llama-server from
#   JOBS             parallel compile jobs (default: number of CPUs)
# Needs git, cmake, a C++ compiler (Debian: build-essential cmake git) and docker.
set -euo pipefail
cd "$(dirname "$0")/.."

force=0
spark=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    --spark) spark=1 ;;
    *) echo "usage: $0 [--spark] [--force]" >&2; exit 2 ;;
  esac
done
bundle=node_modules/node-llama-cpp/llama/gitRelease.bundle
[[ -f "$bundle" ]] || { echo "error: $bundle not found (run npm ci first)" >&2; exit 1; }

commit=$(git bundle list-heads "$bundle" | awk 'NR==1 {print $1}')
short=${commit:0:12}
image=kitt/llama-server
log() { echo "build-llamacpp-image: $*" >&2; }
cache=${KITT_CACHE:-$HOME/.cache/kitt}

clone_source() { # the llama.cpp tree at the bundle's commit, cloned once per commit
  src="$cache/llama-src-$short"
  if [[ ! -d "$src/.git" ]]; then
    rm -rf "$src"
    mkdir -p "$cache"
    git clone -q "$bundle" "$src"
    git -C "$src" -c advice.detachedHead=false checkout -q "$commit"
  fi
}

if [[ $spark == 1 ]]; then
  if [[ $force == 0 ]] && docker image inspect "$image:spark-$short" >/dev/null 2>&1; then
    docker tag "$image:spark-$short" "$image:spark"
    exit 0
  fi
  clone_source
  log "building $image:spark-$short (CUDA, sm_121; tens of minutes)"
  docker build --platform linux/arm64 -f docker/llama_cpp/Dockerfile.spark \
    --label "kitt.llama-cpp.commit=$commit" -t "$image:spark-$short" -t "$image:spark" "$src"
  exit 0
fi

# The image is rebuilt when its Dockerfile changed (e.g. the non-root USER), even for the same commit:
# the Dockerfile's hash is a label, and an image without the current one does not count as built.
recipe=$(sha256sum docker/llama_cpp/Dockerfile.cpu | cut -c1-12)
if [[ $force == 0 ]] &&
  [[ $(docker image inspect -f '{{index .Config.Labels "kitt.image.recipe"}}' "$image:cpu-$short" 2>/dev/null) == "$recipe" ]]; then
  docker tag "$image:cpu-$short" "$image:cpu"
  exit 0
fi

out="$cache/llama-server-$short"
binary="$out/llama-server"

if [[ $force == 1 || ! -x "$binary" ]]; then
  mkdir -p "$out"
  if [[ -n "${LLAMA_BUILD_DIR:-}" && -x "$LLAMA_BUILD_DIR/bin/llama-server" ]]; then
    src_commit=$(git -C "$LLAMA_BUILD_DIR/.." rev-parse HEAD 2>/dev/null || echo unknown)
    if [[ "$src_commit" != "$commit" ]]; then
      echo "error: LLAMA_BUILD_DIR is built from $src_commit, the bundle is $commit" >&2
      exit 1
    fi
    log "reusing $LLAMA_BUILD_DIR/bin/llama-server ($short)"
    cp "$LLAMA_BUILD_DIR/bin/llama-server" "$binary.tmp"
  else
    clone_source
    log "compiling llama-server $short (about 10 minutes on 2 cores)"
    cmake -S "$src" -B "$src/build" -DLLAMA_CURL=OFF -DGGML_NATIVE=OFF -DBUILD_SHARED_LIBS=OFF \
      -DCMAKE_BUILD_TYPE=Release -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF >"$out/cmake.log" 2>&1 ||
      { tail -30 "$out/cmake.log" >&2; exit 1; }
    cmake --build "$src/build" --target llama-server -j "${JOBS:-$(nproc)}" >>"$out/cmake.log" 2>&1 ||
      { tail -30 "$out/cmake.log" >&2; exit 1; }
    cp "$src/build/bin/llama-server" "$binary.tmp"
  fi
  mv "$binary.tmp" "$binary" # atomic: a half-copied binary never looks cached
  echo "$commit" >"$out/COMMIT"
fi

# The image context: the binary, exactly the libraries ldd resolves, and the loader.
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
root="$ctx/rootfs"
mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/kitt" "$root/tmp"
chmod 1777 "$root/tmp"
cp "$binary" "$root/usr/local/bin/llama-server"
ldd "$binary" | awk '/=> \// {print $3}' | while read -r lib; do
  cp -L "$lib" "$root/usr/local/lib/kitt/"
done
loader=$(ldd "$binary" | awk '$1 ~ /^\/.*ld-linux/ {print $1}')
[[ -n "$loader" ]] || { echo "error: no dynamic loader in ldd output" >&2; exit 1; }
mkdir -p "$root$(dirname "$loader")"
cp -L "$loader" "$root$loader"
cp docker/llama_cpp/Dockerfile.cpu "$ctx/Dockerfile"

docker build -q --label "kitt.llama-cpp.commit=$commit" --label "kitt.image.recipe=$recipe" -t "$image:cpu-$short" -t "$image:cpu" "$ctx" \
  >"$ctx/build.log" 2>&1 || { cat "$ctx/build.log" >&2; exit 1; }
log "built $image:cpu and $image:cpu-$short"
