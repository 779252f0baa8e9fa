#!/usr/bin/env bash
# Mistake: a relative source. "site" is not a path to Docker but the name of a volume, so nginx
# gets a new named volume (filled with its own welcome page) instead of the folder.
set -euo pipefail
cd "$(dirname "$0")"
docker run -d --name bind-nginx -p 18092:80 -v site:/usr/share/nginx/html nginx
