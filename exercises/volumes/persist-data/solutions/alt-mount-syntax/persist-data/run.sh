#!/usr/bin/env bash
# --mount instead of -v; the containers are replaced on every run, the volume is kept.
set -euo pipefail
for name in vol-redis vol-nginx; do
  if [ -n "$(docker container ls --all --quiet --filter "name=^${name}$")" ]; then
    docker container rm --force "$name" >/dev/null
  fi
done
docker volume inspect redis-data >/dev/null 2>&1 || docker volume create redis-data >/dev/null
docker container run --detach --name vol-redis \
  --mount type=volume,source=redis-data,target=/data \
  redis:latest redis-server --appendonly yes
docker container run --detach --name vol-nginx --publish 18091:80 \
  --mount "type=bind,source=$PWD/html,target=/usr/share/nginx/html,readonly" \
  nginx:latest
