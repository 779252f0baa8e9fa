#!/usr/bin/env bash
# -H on the one command that must run remotely; `docker context use` is not needed.
docker -H "ssh://${REMOTE_USER}@${REMOTE_HOST}:22" container run -d -p 8080:80 --name web nginx
