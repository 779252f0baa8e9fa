#!/usr/bin/env bash
# Mistake: hog's limit (256 MiB) is larger than what it asks for (64 MiB), so nothing is ever
# enforced: it ends normally, with exit code 0.
set -euo pipefail
docker run -d --name limited --memory 64m --pids-limit 32 busybox sleep infinity
docker run --name hog --memory 256m busybox sh -c 'head -c 64m /dev/zero | tail > /dev/null'
docker run -d --name peek --pid container:limited busybox sleep infinity
