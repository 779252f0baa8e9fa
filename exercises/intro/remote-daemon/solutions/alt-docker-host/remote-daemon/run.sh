#!/usr/bin/env bash
# DOCKER_HOST points every docker command of the script at the remote machine.
set -euo pipefail
export DOCKER_HOST=ssh://student@remote
docker run --detach --name web --publish 8080:80 nginx:latest
docker container ls
