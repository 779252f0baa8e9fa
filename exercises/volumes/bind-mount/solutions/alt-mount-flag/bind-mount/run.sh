#!/usr/bin/env bash
# The same bind mount with --mount, read-only (nginx only reads it), flags in another order.
set -euo pipefail

docker container run \
  --mount type=bind,src="$(pwd)"/site,dst=/usr/share/nginx/html,readonly \
  --publish 18092:80 \
  --name=bind-nginx \
  --detach \
  nginx:latest
