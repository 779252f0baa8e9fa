#!/usr/bin/env bash
# Mistake: the bind-mounted file is written by the script on the host side, not by the
# container: it belongs to whoever runs the script, not to the container's root.
set -euo pipefail
cd "$(dirname "$0")"
docker run -d --name own-bind -v "$PWD/shared:/test" debian:bookworm-slim sleep infinity
echo "written in the container" > shared/from-container.txt

docker volume create own-vol
docker run -d --name own-volume -v own-vol:/test debian:bookworm-slim sleep infinity
docker exec own-volume sh -c 'echo "written in the container" > /test/from-container.txt'
