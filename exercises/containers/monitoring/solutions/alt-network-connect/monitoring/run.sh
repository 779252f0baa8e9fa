#!/usr/bin/env bash
# The configuration folder is mounted elsewhere and named with --config.file; the network is
# joined after the containers were created.
set -euo pipefail

docker network create --driver bridge monitoring

docker container create --name blackbox --publish 9115:9115 prom/blackbox-exporter \
  --config.file=/etc/blackbox_exporter/config.yml
docker network connect monitoring blackbox
docker container start blackbox

docker container create --name prometheus --publish 9090:9090 \
  --mount "type=bind,source=$PWD/config,target=/etc/prometheus/custom,readonly" \
  prom/prometheus \
  --config.file=/etc/prometheus/custom/availability.yml \
  --storage.tsdb.path=/prometheus \
  --storage.tsdb.retention.time=1d
docker network connect monitoring prometheus
docker container start prometheus
