#!/usr/bin/env bash
set -euo pipefail
docker network create monitoring
docker run -d --name blackbox --network monitoring -p 9115:9115 prom/blackbox-exporter
docker run -d --name prometheus --network monitoring -p 9090:9090 \
  -v "$PWD/prometheus.yml:/etc/prometheus/prometheus.yml:ro" \
  prom/prometheus
