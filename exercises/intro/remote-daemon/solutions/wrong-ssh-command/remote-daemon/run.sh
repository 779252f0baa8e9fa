#!/usr/bin/env bash
# Logs in to run the remote machine's own docker client: not the local client talking to the
# remote daemon, and the machine refuses it.
set -euo pipefail
ssh student@remote docker run -d --name web -p 8080:80 nginx
