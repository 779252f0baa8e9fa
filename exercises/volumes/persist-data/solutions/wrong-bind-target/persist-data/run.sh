#!/usr/bin/env bash
# Mistake: mounts the page where Debian's own nginx package looks, not where the nginx image
# serves from (/usr/share/nginx/html): nginx keeps serving its welcome page.
set -euo pipefail
cd "$(dirname "$0")"
docker rm -f vol-redis vol-nginx >/dev/null 2>&1 || true
docker volume create redis-data
docker run -d --name vol-redis -v redis-data:/data redis redis-server --appendonly yes
docker run -d --name vol-nginx -p 18091:80 -v "$PWD/html:/var/www/html:ro" nginx
