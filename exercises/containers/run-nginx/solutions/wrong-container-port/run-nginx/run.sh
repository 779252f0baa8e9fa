#!/usr/bin/env bash
# Mistake: publishes container port 8080, but nginx listens on port 80 inside the container.
set -euo pipefail
docker run -d --name my-nginx --restart unless-stopped -p 18080:8080 -e MY_VAR=my_value nginx
docker exec my-nginx sed -i 's/^worker_processes auto;/worker_processes 1;/' /etc/nginx/nginx.conf
docker restart my-nginx
