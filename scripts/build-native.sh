#!/bin/sh
# Builds kitt's one native addon, the socket arrival stamper (native/socket-stamp.c), into
# dist/native/. It is optional: without a C compiler or Node's headers kitt stamps token arrivals on
# its event loop instead, and says so in every result's self-check. N-API keeps one build good for
# every Node from 20 on. Quiet unless it fails.
set -e
cd "$(dirname "$0")/.."
out=dist/native/socket-stamp.node
[ "$(uname -s)" = Linux ] || { echo "[kitt] socket arrival stamps need Linux; stamping on the event loop" >&2; exit 0; }
compiler=""
for candidate in "${CC:-}" cc gcc; do
  if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1; then compiler="$candidate"; break; fi
done
# g++ alone (no gcc package) still compiles C with -x c
[ -n "$compiler" ] || { command -v g++ >/dev/null 2>&1 && compiler="g++ -x c"; }
# Node's own headers: beside its binary (official tarballs, nvm, Debian's nodejs), or npm's nodedir
headers=""
for dir in "$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")/include/node" "${npm_config_nodedir:-/nonexistent}/include/node" /usr/include/node /usr/local/include/node; do
  if [ -f "$dir/node_api.h" ]; then headers="$dir"; break; fi
done
if [ -z "$compiler" ] || [ -z "$headers" ]; then
  echo "[kitt] no C compiler or no Node headers: socket arrival stamps not built; stamping on the event loop" >&2
  exit 0
fi
mkdir -p dist/native
# shellcheck disable=SC2086 # "g++ -x c" is two words on purpose
$compiler -O2 -Wall -Wextra -std=gnu11 -shared -fPIC -I"$headers" native/socket-stamp.c -o "$out.tmp" -lpthread
mv "$out.tmp" "$out"
