# kitt as a container. It launches inference engines as SIBLING containers through the host's
# Docker daemon, so run it with the socket mounted (which grants root on the host, see docs/DOCKER.md):
#
#   docker build --network host -t kitt .
#   docker run --rm --network host -v /var/run/docker.sock:/var/run/docker.sock \
#     --group-add "$(stat -c %g /var/run/docker.sock)" -v /models:/models \
#     kitt run -m /models/x.gguf -e llamacpp
#
# or, instead of --group-add, `--user root`: the entrypoint then reads the socket's group itself and
# drops to the user kitt (bin/kitt-entrypoint.sh).
#
# Multi-architecture without cross tricks: the official base image is multi-arch, npm installs the
# native packages of the architecture it runs on, and nothing here names an architecture. Build on
# an arm64 host (or `kitt-agent build`) to get an arm64 image.
ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: compile better-sqlite3, the TypeScript sources and the socket stamper -------------------------------------
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Compile native addons against this Node's own headers (/usr/local/include/node) instead of
# downloading prebuilt binaries or headers; skip node-llama-cpp's postinstall probe/download (the
# prebuilt llama.cpp binaries ship as npm packages).
ENV npm_config_build_from_source=true \
    npm_config_update_notifier=false \
    npm_config_nodedir=/usr/local \
    NODE_LLAMA_CPP_SKIP_DOWNLOAD=true
COPY package.json package-lock.json ./
# The lock lists every platform's optional packages (package-lock.test.ts checks linux x64 and
# arm64), so `npm ci` installs exactly it on either architecture and skips the other platforms'.
RUN npm ci --no-audit --no-fund --loglevel=error
# The rest of the context: .dockerignore lets through only bin/, src/, assets/ and the configs.
COPY . .
# The socket arrival stamper (docs/metrics.md, "Arrival stamps") is built against the same headers.
RUN mkdir -p assets && npx tsc -p tsconfig.build.json && sh scripts/build-native.sh
# Production dependencies only, and only this architecture's llama.cpp binaries: node-llama-cpp's
# other platforms and its CUDA and Vulkan packages (about 600 MB) are removed, since this image runs
# engines on the CPU (GPU engines run in their own images, launched as siblings). The kept package
# is named after the architecture Node reports, so the same line works on amd64 and arm64.
# TypeScript stays behind as node-llama-cpp's optional peer; kitt does not need it at run time.
RUN npm prune --omit=dev --no-audit --no-fund --loglevel=error \
 && keep="linux-$(node -p process.arch)" \
 && for dir in node_modules/@node-llama-cpp/*; do [ "${dir##*/}" = "$keep" ] || rm -rf "$dir"; done \
 && rm -rf node_modules/typescript node_modules/@typescript \
 && npm cache clean --force

# --- docker-cli: the Docker client alone ------------------------------------------------------------
# Debian bookworm has no client-only package (docker.io brings dockerd, containerd, runc and
# iptables), so take /usr/bin/docker out of the docker.io package without installing it.
FROM ${NODE_IMAGE} AS docker-cli
RUN apt-get update \
 && cd /tmp \
 && apt-get download docker.io \
 && dpkg-deb --fsys-tarfile docker.io_*.deb | tar -x -C / ./usr/bin/docker \
 && rm -rf /tmp/*.deb /var/lib/apt/lists/* \
 && /usr/bin/docker --version

# --- runtime ---------------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=docker-cli /usr/bin/docker /usr/local/bin/docker
# Non-root by default. Using the mounted socket as this user needs the socket's group:
# `--group-add $(stat -c %g /var/run/docker.sock)`, or `--user root`, under which the entrypoint
# adds that group itself and drops to kitt (setpriv is util-linux's, in every Debian base).
RUN useradd --uid 10001 --user-group --create-home --home-dir /home/kitt --shell /usr/sbin/nologin kitt \
 && mkdir -p /data /config \
 && chown kitt:kitt /data
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/assets ./assets
RUN ln -s /app/bin/kitt.js /usr/local/bin/kitt \
 && ln -s /app/bin/kitt-agent.js /usr/local/bin/kitt-agent \
 && chmod +x /app/bin/*.js
# Results, models and the SQLite store live under KITT_HOME: mount a volume there to keep them.
ENV NODE_ENV=production \
    KITT_HOME=/data
USER kitt
ENTRYPOINT ["/app/bin/kitt-entrypoint.sh"]
CMD ["--help"]
