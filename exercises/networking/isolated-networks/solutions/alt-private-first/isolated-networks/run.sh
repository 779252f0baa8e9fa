#!/usr/bin/env bash
# The same topology built the other way round: flask-app starts on the private network and
# joins the public one afterwards.
set -euo pipefail
docker network create --driver bridge private-net-1
docker network create --driver bridge public-net-1
docker image build --tag isolated-flask-app ./app
docker image build --tag isolated-proxy ./proxy
docker container run --detach --network=private-net-1 --name=redis redis:latest
docker container run --detach --network=private-net-1 --name=flask-app isolated-flask-app
docker network connect public-net-1 flask-app
docker container run --detach --network=public-net-1 --publish 18090:80 --name=nginx isolated-proxy
