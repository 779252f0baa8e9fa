#!/usr/bin/env bash
# Keeps the containers alive with a long-running command instead of a terminal, installs ping
# in both of them, and reads the address from the container's networks.
set -euo pipefail

for name in ubuntu1 ubuntu2; do
  docker container run --detach --name "$name" debian:bookworm-slim sleep infinity
  docker container exec "$name" apt-get -qq update
  docker container exec -e DEBIAN_FRONTEND=noninteractive "$name" apt-get -qq install -y iputils-ping
done

ubuntu1_ip=$(docker container inspect ubuntu1 \
  --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}')
echo "ubuntu1 has the address $ubuntu1_ip"
docker container exec ubuntu2 ping -c 1 "$ubuntu1_ip"
