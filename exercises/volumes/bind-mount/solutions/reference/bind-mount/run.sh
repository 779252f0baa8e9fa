#!/usr/bin/env bash
# nginx serves site/ straight from the host: a bind mount needs the folder's absolute path.
set -euo pipefail
cd "$(dirname "$0")"
docker run -d --name bind-nginx -p 18092:80 -v "$PWD/site:/usr/share/nginx/html" nginx
