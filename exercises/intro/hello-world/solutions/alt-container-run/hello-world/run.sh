#!/usr/bin/env bash
# The management-command spelling, with the tag written out.
set -euo pipefail
docker container run --name=hello hello-world:latest
