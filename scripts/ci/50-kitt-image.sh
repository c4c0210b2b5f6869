#!/usr/bin/env bash
# kitt's own images for the image tests (test/docker-image/): the CI-only Node base image (no
# registry here, see scripts/build-node-base-image.sh), then kitt:ci from the root Dockerfile and
# kitt-web:ci from docker/web/Dockerfile. Docker's layer cache makes a rerun quick.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/build-node-base-image.sh
bash scripts/build-kitt-image.sh --tag kitt:ci --web-tag kitt-web:ci
