#!/usr/bin/env bash
# A docker context names the remote daemon once; every command given --context goes there.
set -euo pipefail
docker context create other-machine --docker "host=ssh://$REMOTE_USER@$REMOTE_HOST"
docker --context other-machine run -d --name web -p 8080:80 nginx
docker --context other-machine ps
