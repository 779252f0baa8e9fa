#!/usr/bin/env bash
# Mistake: no restart policy and no MY_VAR.
set -euo pipefail
docker run -d --name my-nginx -p 18080:80 nginx
docker exec my-nginx sed -i 's/^worker_processes auto;/worker_processes 1;/' /etc/nginx/nginx.conf
docker restart my-nginx
