#!/usr/bin/env bash
# --mount for both; the volume is created by its first use, not by docker volume create.
set -euo pipefail

docker container run --detach --name=own-bind \
  --mount "type=bind,source=$(pwd)/shared,target=/test" \
  debian:bookworm-slim sleep infinity
docker container run --detach --name=own-volume \
  --mount source=own-vol,target=/test \
  debian:bookworm-slim sleep infinity

for container in own-bind own-volume; do
  docker exec "$container" bash -c 'printf "%s\n" "written in the container" | tee /test/from-container.txt'
done
