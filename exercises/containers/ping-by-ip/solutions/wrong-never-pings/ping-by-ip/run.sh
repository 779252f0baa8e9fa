#!/usr/bin/env bash
# Mistake: everything is ready (both containers, ping installed, the address found), but the
# ping itself is never sent: only printed as the command to run.
set -euo pipefail
docker run -dit --name ubuntu1 debian:bookworm-slim
docker run -dit --name ubuntu2 debian:bookworm-slim
docker exec ubuntu2 sh -c 'apt-get update -qq && apt-get install -y -qq iputils-ping'
ip=$(docker inspect -f '{{.NetworkSettings.IPAddress}}' ubuntu1)
echo "now run: docker exec ubuntu2 ping -c 3 $ip"
