#!/usr/bin/env bash
# Mistake: copies the page into the container instead of mounting the folder. The first page is
# right, but later changes on the host never reach nginx.
set -euo pipefail
cd "$(dirname "$0")"
docker run -d --name bind-nginx -p 18092:80 nginx
docker cp site/index.html bind-nginx:/usr/share/nginx/html/index.html
