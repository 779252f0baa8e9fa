#!/usr/bin/env bash
# (c) of the benchmark: the course's style of grading script, one docker or curl process per
# check, for the same scenario as bench/scenario/exercise.yaml (the same 22 commands, in order).
# Usage: bench/course-style.sh CONTEXT_DIR TAG CONTAINER_NAME [LABEL]
# LABEL (key=value) marks the container as the benchmark's on a shared engine, where a
# neighbour's cleanup of unlabelled containers would otherwise take it.
set -u
context=$1 tag=$2 name=$3 label=${4:-org.docker-autograder.run=bench}
score=0
pass() { score=$((score + 1)); }
DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$context" >/dev/null 2>&1 || { echo "build failed"; exit 1; }
docker run -d --name "$name" --label "$label" -p 127.0.0.1::8080 "$tag" >/dev/null
trap 'docker rm -f "$name" >/dev/null' EXIT
port=$(docker port "$name" 8080/tcp | head -n 1 | sed 's/.*://')
until curl -sf "http://127.0.0.1:$port/status.txt" >/dev/null; do sleep 0.05; done

[[ $(docker exec "$name" cat /www/index.html) == *'<h1>bench</h1>'* ]] && pass
[[ $(docker exec "$name" cat /www/status.txt) == ok ]] && pass
[[ $(docker exec "$name" sh -c 'wc -l < /www/lines.txt') == 3 ]] && pass
[[ $(docker exec "$name" pwd) == /www ]] && pass
[[ $(docker exec "$name" sh -c 'echo $GREETING') == hello ]] && pass
docker exec "$name" sh -c 'ps | grep -c httpd' >/dev/null && pass
[[ $(docker exec "$name" wget -q -O - http://127.0.0.1:8080/status.txt) == *ok* ]] && pass
docker exec "$name" test -d /www && pass
docker exec "$name" test -e /www/secret; [[ $? == 1 ]] && pass
[[ $(docker exec "$name" id -u) == 0 ]] && pass
[[ -n $(docker exec "$name" hostname) ]] && pass
[[ $(docker exec "$name" sh -c 'ls /www | wc -l') == 3 ]] && pass
[[ $(docker exec "$name" sed -n 2p /www/lines.txt) == two ]] && pass
[[ $(docker exec "$name" grep -n three /www/lines.txt) == *3:three* ]] && pass
[[ $(docker exec "$name" uname -s) == Linux ]] && pass
err=$(docker exec "$name" sh -c 'echo oops >&2; exit 3' 2>&1 >/dev/null); [[ $? == 3 && $err == *oops* ]] && pass
[[ $(docker exec "$name" env) == *PATH=* ]] && pass
[[ $(docker exec "$name" head -n 1 /www/lines.txt) == one ]] && pass
[[ $(docker exec "$name" sort /www/lines.txt) == $'one\nthree\ntwo' ]] && pass
[[ $(docker exec "$name" md5sum /www/status.txt) == */www/status.txt* ]] && pass
[[ $(docker exec "$name" date +%Y) =~ ^[0-9]{4} ]] && pass
docker exec "$name" busybox true && pass

[[ $(curl -s "http://127.0.0.1:$port/") == *bench* ]] && pass
[[ $(curl -s "http://127.0.0.1:$port/status.txt") == ok ]] && pass
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/missing") == 404 ]] && pass

[[ $(docker image inspect -f '{{.Config.WorkingDir}}' "$tag") == /www ]] && pass
[[ $(docker image inspect -f '{{json .Config.Cmd}}' "$tag") == '["httpd","-f","-p","8080","-h","/www"]' ]] && pass
config=$(docker image inspect -f '{{json .Config.ExposedPorts}} {{json .Config.Env}}' "$tag")
[[ $config == *8080/tcp* && $config == *GREETING=hello* ]] && pass

echo "score: $score/28"
[[ $score == 28 ]]
