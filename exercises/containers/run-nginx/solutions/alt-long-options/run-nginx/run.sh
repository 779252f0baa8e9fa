#!/usr/bin/env bash
# The same container with long options in another order, and the config edited through a shell.
set -euo pipefail
docker container run --detach --publish 18080:80 --env MY_VAR=my_value --restart=unless-stopped --name=my-nginx nginx:latest
docker container exec my-nginx sh -c "sed -i -e 's/^worker_processes[[:space:]]*auto;/worker_processes 1;/' /etc/nginx/nginx.conf"
docker container restart my-nginx
