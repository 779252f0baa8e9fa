#!/usr/bin/env bash
# A common slip: hog without --memory. It is still killed for its memory, but at the grader's
# own cap, not at a limit of its own: the OOM kill alone does not show the student set one.
set -euo pipefail
docker run -d --name limited --memory 64m --pids-limit 32 busybox sleep infinity
docker run --name hog busybox tail /dev/zero || echo "hog ended with exit code $?"
docker run -d --name peek --pid container:limited busybox sleep infinity
