#!/usr/bin/env bash
# Mistake: the bind mount is right, but nginx is published on the usual 8080 instead of the
# port the task names, so localhost:18092 answers nothing.
set -euo pipefail
cd "$(dirname "$0")"
docker run -d --name bind-nginx -p 8080:80 -v "$(pwd)/site:/usr/share/nginx/html:ro" nginx
