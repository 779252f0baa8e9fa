#!/usr/bin/env bash
# Mistake: the volume is right, but redis only snapshots now and then: a killed redis loses
# what it was given since the last snapshot.
set -euo pipefail
cd "$(dirname "$0")"
docker rm -f vol-redis vol-nginx >/dev/null 2>&1 || true
docker volume create redis-data
docker run -d --name vol-redis -v redis-data:/data redis
docker run -d --name vol-nginx -p 18091:80 -v "$PWD/html:/usr/share/nginx/html:ro" nginx
