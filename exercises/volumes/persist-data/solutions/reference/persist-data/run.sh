#!/usr/bin/env bash
# Re-runnable: the containers are replaced; the named volume, and so the data, stays.
set -euo pipefail
cd "$(dirname "$0")"
docker rm -f vol-redis vol-nginx >/dev/null 2>&1 || true
docker volume create redis-data
# Append-only persistence: every write reaches the volume at once, so a kill loses nothing.
docker run -d --name vol-redis -v redis-data:/data redis redis-server --appendonly yes
docker run -d --name vol-nginx -p 18091:80 -v "$PWD/html:/usr/share/nginx/html:ro" nginx
