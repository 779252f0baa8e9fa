#!/usr/bin/env bash
# Mistake: the volume is created but not used: -v /test gives own-volume a new anonymous volume.
set -euo pipefail
cd "$(dirname "$0")"
docker run -d --name own-bind -v "$PWD/shared:/test" debian:bookworm-slim sleep infinity
docker exec own-bind sh -c 'echo "written in the container" > /test/from-container.txt'

docker volume create own-vol
docker run -d --name own-volume -v /test debian:bookworm-slim sleep infinity
docker exec own-volume sh -c 'echo "written in the container" > /test/from-container.txt'
