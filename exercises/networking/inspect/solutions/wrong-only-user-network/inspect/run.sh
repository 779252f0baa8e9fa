#!/usr/bin/env bash
# Mistake: --network replaces the default bridge instead of adding a network to it.
set -euo pipefail
docker network create inspect-net
docker run -d --name box --network inspect-net busybox sleep infinity
