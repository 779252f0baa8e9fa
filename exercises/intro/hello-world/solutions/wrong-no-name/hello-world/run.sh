#!/usr/bin/env bash
# Mistake: the container gets a random name, so nothing called "hello" exists.
set -euo pipefail
docker run hello-world
