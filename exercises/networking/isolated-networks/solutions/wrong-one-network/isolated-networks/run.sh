#!/usr/bin/env bash
# Mistake: one network for everything, so nginx can reach the database too.
set -euo pipefail
docker network create app-net
docker build -t isolated-flask-app app
docker build -t isolated-proxy proxy
docker run -d --name redis --network app-net redis
docker run -d --name flask-app --network app-net isolated-flask-app
docker run -d --name nginx --network app-net -p 18090:80 isolated-proxy
