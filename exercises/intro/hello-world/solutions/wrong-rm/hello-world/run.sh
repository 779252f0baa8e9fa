#!/usr/bin/env bash
# Mistake: --rm deletes the container as soon as hello-world exits, so there is nothing left
# called "hello" for anyone (or the grader) to inspect.
set -euo pipefail
docker run --rm --name hello hello-world
