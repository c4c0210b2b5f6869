#!/bin/sh
# The kitt image's entrypoint. Run as the image's user (kitt), it runs kitt. Started as root (as
# docker-compose.yml does, so that no variable has to be exported first), it gives kitt the group of
# the mounted Docker socket, read from the socket itself, then drops to kitt with no capabilities
# left: root only reads the socket's group.
set -eu
socket=/var/run/docker.sock
if [ "$(id -u)" = 0 ]; then
  groups=kitt
  if [ -S "$socket" ]; then groups="kitt,$(stat -c %g "$socket")"; fi
  HOME=/home/kitt exec setpriv --reuid=kitt --regid=kitt --groups="$groups" --inh-caps=-all -- kitt "$@"
fi
exec kitt "$@"
