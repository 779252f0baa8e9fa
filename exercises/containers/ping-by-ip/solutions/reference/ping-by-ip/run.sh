#!/usr/bin/env bash
# Two detached containers with a terminal kept open (-dit), so that bash keeps running.
set -euo pipefail
docker run -dit --name ubuntu1 debian:bookworm-slim
docker run -dit --name ubuntu2 debian:bookworm-slim
docker exec ubuntu2 sh -c 'apt-get update && apt-get install -y --no-install-recommends iputils-ping'
ip=$(docker inspect -f '{{.NetworkSettings.IPAddress}}' ubuntu1)
docker exec ubuntu2 ping -c 2 "$ip"
