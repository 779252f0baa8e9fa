#!/usr/bin/env bash
# Mistake: flask-app is never connected to private-net-1, so it cannot reach the database.
set -euo pipefail
docker network create public-net-1
docker network create private-net-1
docker build -t isolated-flask-app app
docker build -t isolated-proxy proxy
docker run -d --name redis --network private-net-1 redis
docker run -d --name flask-app --network public-net-1 isolated-flask-app
docker run -d --name nginx --network public-net-1 -p 18090:80 isolated-proxy
