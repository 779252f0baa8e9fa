#!/usr/bin/env bash
# Mistake: the network is created, but box is never connected to it.
set -euo pipefail
docker network create inspect-net
docker run -d --name box busybox sleep infinity
