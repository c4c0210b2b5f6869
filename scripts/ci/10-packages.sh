#!/usr/bin/env bash
# Debian packages the test suite runs for real: Prometheus and InfluxDB 1.x (monitoring tests),
# docker-compose v1 (compose file validation), debootstrap (the CI-only Node base image), cmake
# and g++ (llama.cpp server build), gcc and libc6-dev (kitt/test-hog, a static
# program for limit and OOM tests), sqlite3 for inspecting stores by hand, chromium (report.html is
# opened in a real browser by playwright-core, which is never allowed to download one).
set -euo pipefail
need=()
for pkg in prometheus influxdb docker-compose debootstrap cmake g++ gcc libc6-dev make python3 sqlite3 git procps chromium; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  # Package scripts must not start daemons here: tests start their own on loopback ports.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi
