#!/usr/bin/env bash
# Local images the tests run (no registry is reachable in CI): kitt/test-hog (a static C program
# for OOM and CPU-limit tests) and kitt/llama-server:cpu (llama.cpp's server from the source in
# node-llama-cpp). Both scripts return at once when their image exists; the llama.cpp build is
# cached per commit under ${KITT_CACHE:-~/.cache/kitt}.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
for pkg in gcc libc6-dev binutils cmake g++ make git; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

bash scripts/build-test-hog-image.sh

# The llama.cpp source ships inside node-llama-cpp: install dependencies first if this is a fresh clone.
if [ ! -f node_modules/node-llama-cpp/llama/gitRelease.bundle ]; then
  sh scripts/ensure-built.sh
fi
bash scripts/build-llamacpp-image.sh
