#!/usr/bin/env bash
# Mistake: the containers run, but ping is never installed (the image does not have it), and
# the script does not stop when the ping fails.
docker run -dit --name ubuntu1 debian:bookworm-slim
docker run -dit --name ubuntu2 debian:bookworm-slim
ip=$(docker inspect -f '{{.NetworkSettings.IPAddress}}' ubuntu1)
docker exec ubuntu2 ping -c 2 "$ip"
exit 0
