#!/usr/bin/env bash
# limited: a cgroup of 64 MiB and 32 processes. hog: 32 MiB, and tail /dev/zero, which keeps
# reading a line that never ends until the kernel kills it. peek: in limited's PID namespace.
set -euo pipefail
docker run -d --name limited --memory 64m --pids-limit 32 busybox sleep infinity
docker run --name hog --memory 32m busybox tail /dev/zero || echo "hog ended with exit code $?"
docker run -d --name peek --pid container:limited busybox sleep infinity
docker exec peek ps
