#!/usr/bin/env bash
# PostgreSQL for the store's tests: Debian's server on 127.0.0.1:5432 with a `kitt` role that owns
# the `kitt_test` database. The tests read KITT_TEST_PG_URL (default
# postgres://kitt:kitt@127.0.0.1:5432/kitt_test). Idempotent: quick when all is in place.
set -euo pipefail

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi

version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"' | grep -q .; then
  pg_createcluster --port 5432 "$version" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
  pg_ctlcluster "$version" main start
fi

for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 0.5
done
pg_isready -q -h 127.0.0.1 -p 5432

as_postgres() { runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -p 5432 "$@"; }
if [ "$(as_postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'kitt'")" != "1" ]; then
  as_postgres -c "CREATE ROLE kitt LOGIN PASSWORD 'kitt'"
fi
if [ "$(as_postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'kitt_test'")" != "1" ]; then
  as_postgres -c "CREATE DATABASE kitt_test OWNER kitt"
fi
