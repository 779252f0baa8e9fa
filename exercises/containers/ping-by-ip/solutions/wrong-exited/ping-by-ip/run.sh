#!/usr/bin/env bash
# Mistake: -d without -it. bash finds no terminal, exits at once, and the containers stop;
# ping is installed in a throwaway container instead.
set -euo pipefail
docker run -d --name ubuntu1 debian:bookworm-slim
docker run -d --name ubuntu2 debian:bookworm-slim
docker run --rm debian:bookworm-slim sh -c 'apt-get update -qq && apt-get install -y -qq iputils-ping >/dev/null && ping -c 1 127.0.0.1'
