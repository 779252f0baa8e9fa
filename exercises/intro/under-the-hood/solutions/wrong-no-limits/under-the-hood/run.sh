#!/usr/bin/env bash
# Mistake: limits given to hog only; limited runs with the defaults, so its cgroup does not
# hold it to 64 MiB and 32 processes.
set -euo pipefail
docker run -d --name limited busybox sleep infinity
docker run --name hog --memory 32m busybox tail /dev/zero || true
docker run -d --name peek --pid container:limited busybox sleep infinity
