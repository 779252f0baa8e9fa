#!/usr/bin/env bash
# Mistake: ubuntu2 from busybox, because busybox "already has ping". Its ping needs the NET_RAW
# capability, which the sandbox drops, so it never sends; the script carries on regardless.
docker run -dit --name ubuntu1 debian:bookworm-slim
docker run -dit --name ubuntu2 busybox
ip=$(docker inspect -f '{{.NetworkSettings.IPAddress}}' ubuntu1)
docker exec ubuntu2 ping -c 2 "$ip" || echo "ping did not work"
