#!/usr/bin/env bash
# Mistake: both containers on Docker's default bridge, where containers cannot find each other
# by name, so Prometheus cannot reach blackbox:9115.
set -euo pipefail
docker run -d --name blackbox -p 9115:9115 prom/blackbox-exporter
docker run -d --name prometheus -p 9090:9090 \
  -v "$PWD/prometheus.yml:/etc/prometheus/prometheus.yml:ro" \
  prom/prometheus
