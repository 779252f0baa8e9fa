#!/usr/bin/env bash
# Mistake: "shared" without a path is the name of a volume, so own-bind gets a second named
# volume, not the host folder: nothing it writes reaches the host.
set -euo pipefail
cd "$(dirname "$0")"
docker run -d --name own-bind -v shared:/test debian:bookworm-slim sleep infinity
docker exec own-bind sh -c 'echo "written in the container" > /test/from-container.txt'

docker volume create own-vol
docker run -d --name own-volume -v own-vol:/test debian:bookworm-slim sleep infinity
docker exec own-volume sh -c 'echo "written in the container" > /test/from-container.txt'
