#!/usr/bin/env bash
# Mistake: the configuration is mounted where Prometheus does not look for it, so Prometheus
# runs with the image's default configuration (it scrapes only itself).
set -euo pipefail
docker network create monitoring
docker run -d --name blackbox --network monitoring -p 9115:9115 prom/blackbox-exporter
docker run -d --name prometheus --network monitoring -p 9090:9090 \
  -v "$PWD/prometheus.yml:/prometheus/prometheus.yml:ro" \
  prom/prometheus
