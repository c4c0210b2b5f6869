#!/usr/bin/env bash
# A Docker daemon for the runtime and engine tests: Debian's docker.io, started without a bridge
# (containers use host networking; test traffic stays on 127.0.0.1). Idempotent: returns at once
# when `docker info` answers.
set -euo pipefail

if ! command -v dockerd >/dev/null 2>&1; then
  echo "installing docker.io"
  export DEBIAN_FRONTEND=noninteractive
  # Package scripts must not start the daemon with its default bridge and iptables rules.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends docker.io >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

if docker info >/dev/null 2>&1; then
  exit 0
fi

echo "starting dockerd (no bridge, no iptables)"
log=/var/log/kitt-dockerd.log
nohup dockerd --bridge=none --iptables=false --ip-masq=false >"$log" 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 1
done
echo "error: dockerd did not answer within 60 s; last log lines:" >&2
tail -20 "$log" >&2
exit 1
