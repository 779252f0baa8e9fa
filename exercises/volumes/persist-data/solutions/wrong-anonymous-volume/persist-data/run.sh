#!/usr/bin/env bash
# Mistake: no named volume. The redis image declares VOLUME /data, so each new container gets
# a new, empty anonymous volume: the data stays behind with the removed container.
set -euo pipefail
cd "$(dirname "$0")"
docker rm -f vol-redis vol-nginx >/dev/null 2>&1 || true
docker run -d --name vol-redis redis redis-server --appendonly yes
docker run -d --name vol-nginx -p 18091:80 -v "$PWD/html:/usr/share/nginx/html:ro" nginx
