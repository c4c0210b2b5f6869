#!/bin/sh
# Installs dependencies when the lock file changed since the last install, and compiles when any
# source is newer than the build, so a fresh clone needs no step before `npm start` or `npm test`.
set -e
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[kitt] installing dependencies..." >&2
  # `npm ci`: exactly the committed lock, which it never rewrites (a lock that no longer matches
  # package.json is an error here, not a silent update of the tree).
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
stamp=dist/.build-stamp
if [ ! -f "$stamp" ] || [ -n "$(find src package.json tsconfig.json tsconfig.build.json -newer "$stamp" -type f 2>/dev/null | head -n 1)" ]; then
  echo "[kitt] compiling TypeScript..." >&2
  rm -rf dist
  npx tsc -p tsconfig.build.json
  touch "$stamp"
fi
native=dist/native/socket-stamp.node
if [ ! -f "$native" ] || [ native/socket-stamp.c -nt "$native" ]; then
  sh scripts/build-native.sh || echo "[kitt] socket arrival stamps failed to build; stamping on the event loop" >&2
fi
