#!/usr/bin/env bash
# Mistake: --pid is left out, so peek gets a PID namespace of its own and sees only itself.
set -euo pipefail
docker run -d --name limited --memory 64m --pids-limit 32 busybox sleep infinity
docker run --name hog --memory 32m busybox tail /dev/zero || true
docker run -d --name peek busybox sleep infinity
docker exec peek ps
