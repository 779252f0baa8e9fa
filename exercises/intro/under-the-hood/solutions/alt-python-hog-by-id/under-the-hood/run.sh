#!/usr/bin/env bash
# The limit in bytes, limited named by the id docker run printed, and a Python hog that asks
# for 100 MiB at once.
set -uo pipefail

limited_id=$(docker run -d --name limited -m 67108864 --pids-limit 32 busybox sh -c 'while :; do sleep 5; done')
docker run --name hog -m 32m python:3.11-slim python3 -c 'data = bytearray(100 * 1024 * 1024)'
echo "hog: exit code $?"
docker run -d --name peek --pid "container:$limited_id" busybox sleep 3600
