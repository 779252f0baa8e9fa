#!/usr/bin/env bash
# The other way round: box starts on inspect-net and is then connected to the default bridge.
set -euo pipefail

docker network create --driver bridge inspect-net
docker container run --network inspect-net --detach --name box busybox:latest sh -c 'while true; do sleep 5; done'
docker network connect bridge box
