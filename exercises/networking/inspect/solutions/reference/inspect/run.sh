#!/usr/bin/env bash
# box starts on the default bridge, then joins a network of our own: it keeps both.
set -euo pipefail
docker network create inspect-net
docker run -d --name box busybox sleep infinity
docker network connect inspect-net box
