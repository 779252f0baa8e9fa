#!/usr/bin/env bash
# Long options with "=", the limit in capitals, interactive shells kept open instead of sleep,
# and hog run in the background and waited for.
set -euo pipefail

docker container run --detach --interactive --tty --name=limited --memory=64M --pids-limit=32 busybox
docker container run --detach --name=hog --memory=32m busybox sh -c 'head -c 200m /dev/zero | tail'
echo "hog exited with $(docker container wait hog)"
docker container run --detach --interactive --tty --name=peek --pid=container:limited busybox sh

docker container inspect --format '{{.State.OOMKilled}}' hog
docker container exec peek ps
