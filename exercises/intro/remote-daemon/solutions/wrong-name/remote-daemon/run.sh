#!/usr/bin/env bash
# On the remote machine, but under another name than the one asked for.
set -euo pipefail
export DOCKER_HOST=ssh://student@remote
docker run -d --name nginx -p 8080:80 nginx
