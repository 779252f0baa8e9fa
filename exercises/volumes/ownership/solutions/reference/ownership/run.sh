#!/usr/bin/env bash
# The same file written by the container's root user on a bind mount and on a named volume.
set -euo pipefail
cd "$(dirname "$0")"
docker run -d --name own-bind -v "$PWD/shared:/test" debian:bookworm-slim sleep infinity
docker exec own-bind sh -c 'echo "written in the container" > /test/from-container.txt'

docker volume create own-vol
docker run -d --name own-volume -v own-vol:/test debian:bookworm-slim sleep infinity
docker exec own-volume sh -c 'echo "written in the container" > /test/from-container.txt'
