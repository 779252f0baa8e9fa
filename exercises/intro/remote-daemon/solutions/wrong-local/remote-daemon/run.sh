#!/usr/bin/env bash
# The classic mistake: the right command, sent to the local daemon.
set -euo pipefail
docker run -d --name web -p 8080:80 nginx
