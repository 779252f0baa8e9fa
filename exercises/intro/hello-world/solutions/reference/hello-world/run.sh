#!/usr/bin/env bash
# Runs hello-world in the foreground, in a container named "hello" that is kept afterwards.
set -euo pipefail
docker run --name hello hello-world
