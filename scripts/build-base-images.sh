#!/usr/bin/env bash
# Builds offline stand-ins for the public base images the exercises and tests use, because no
# image registry is reachable here. Only missing images are built. An image that exists
# without our stand-in label was really pulled, and is never overwritten.
# On a GitHub runner none of this is needed: the real images are pulled.
set -euo pipefail

STANDIN_LABEL=org.docker-autograder.standin
# Stand-ins whose contents changed carry a version: an older one is brought up to date (below).
VERSION_LABEL=org.docker-autograder.standin-version
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
log() { printf '[base-images] %s\n' "$*"; }

exists() { docker image inspect "$1" >/dev/null 2>&1; }
is_standin() { [ "$(docker image inspect -f "{{index .Config.Labels \"$STANDIN_LABEL\"}}" "$1" 2>/dev/null)" = "true" ]; }
want() {
  if exists "$1"; then
    if is_standin "$1"; then log "$1: stand-in present"; else log "$1: real image present, kept"; fi
    return 1
  fi
  return 0
}

standin_version() { docker image inspect -f "{{index .Config.Labels \"$VERSION_LABEL\"}}" "$1" 2>/dev/null || true; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(cd "$(dirname "$0")" && pwd)

if want busybox:latest; then
  log "busybox:latest: importing /bin/busybox from busybox-static"
  root=$work/busybox
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  tar -C "$root" -c . | docker import \
    --change "LABEL $STANDIN_LABEL=true" \
    --change 'ENV PATH=/bin' \
    --change 'CMD ["sh"]' - busybox:latest >/dev/null
  # A dynamically linked busybox imports fine and then cannot start: check it runs.
  if ! docker run --rm busybox:latest true >/dev/null 2>&1; then
    docker rmi busybox:latest >/dev/null
    log "busybox:latest does not start (is /bin/busybox the static build? apt-get install busybox-static)" >&2
    exit 1
  fi
fi

if want debian:bookworm-slim; then
  log "debian:bookworm-slim: debootstrap --variant=minbase bookworm (about 30 s)"
  root=$work/debian
  debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
  rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*
  tar -C "$root" -c . | docker import \
    --change "LABEL $STANDIN_LABEL=true" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - debian:bookworm-slim >/dev/null
fi
exists debian:bookworm || docker tag debian:bookworm-slim debian:bookworm

# Student Dockerfiles run `pip install -r requirements.txt`; PyPI is unreachable, so the
# exercises' Python packages come preinstalled from Debian and pip answers "already satisfied".
if want python:3.11-slim; then
  log "python:3.11-slim: Debian's python3 3.11 with flask and redis preinstalled"
  docker build -q -t python:3.11-slim --label "$STANDIN_LABEL=true" - >/dev/null <<'DOCKERFILE'
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip python3-flask python3-redis python3-requests curl \
 && rm -rf /var/lib/apt/lists/* /usr/lib/python3.11/EXTERNALLY-MANAGED \
 && ln -s /usr/bin/python3 /usr/local/bin/python
ENV PYTHONUNBUFFERED=1
CMD ["python3"]
DOCKERFILE
fi

# hello-world: the official image is a static binary printing this message; a busybox shell
# script prints the same text (the exercises grade the message and the exit code).
if want hello-world:latest; then
  log "hello-world:latest: busybox with /hello printing the official message"
  ctx=$work/hello-world
  mkdir -p "$ctx"
  cat >"$ctx/hello" <<'HELLO'
#!/bin/sh
cat <<'MESSAGE'

Hello from Docker!
This message shows that your installation appears to be working correctly.

To generate this message, Docker took the following steps:
 1. The Docker client contacted the Docker daemon.
 2. The Docker daemon pulled the "hello-world" image from the Docker Hub.
    (amd64)
 3. The Docker daemon created a new container from that image which runs the
    executable that produces the output you are currently reading.
 4. The Docker daemon streamed that output to the Docker client, which sent it
    to your terminal.

To try something more ambitious, you can run an Ubuntu container with:
 $ docker run -it ubuntu bash

Share images, automate workflows, and more with a free Docker ID:
 https://hub.docker.com/

For more examples and ideas, visit:
 https://docs.docker.com/get-started/

MESSAGE
HELLO
  chmod 755 "$ctx/hello"
  printf 'FROM busybox:latest\nCOPY hello /hello\nCMD ["/hello"]\n' >"$ctx/Dockerfile"
  docker build -q -t hello-world:latest --label "$STANDIN_LABEL=true" "$ctx" >/dev/null
fi

# nginx: Debian's nginx laid out like the official image: the default server serves
# /usr/share/nginx/html on port 80, logs go to the container's stdout/stderr, no daemon.
if want nginx:latest; then
  log "nginx:latest: Debian's nginx, configured like the official image"
  docker build -q -t nginx:latest --label "$STANDIN_LABEL=true" - >/dev/null <<'DOCKERFILE'
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default \
 && ln -sf /dev/stdout /var/log/nginx/access.log \
 && ln -sf /dev/stderr /var/log/nginx/error.log \
 && mkdir -p /usr/share/nginx/html \
 && printf '%s\n' '<!DOCTYPE html>' '<html><head><title>Welcome to nginx!</title></head>' \
      '<body><h1>Welcome to nginx!</h1><p>If you see this page, the nginx web server is successfully installed and working.</p></body></html>' \
      >/usr/share/nginx/html/index.html \
 && printf '%s\n' 'server {' '    listen       80;' '    server_name  localhost;' \
      '    location / {' '        root   /usr/share/nginx/html;' '        index  index.html index.htm;' '    }' \
      '    error_page   500 502 503 504  /50x.html;' '    location = /50x.html {' '        root   /usr/share/nginx/html;' '    }' '}' \
      >/etc/nginx/conf.d/default.conf
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
DOCKERFILE
fi

# redis: Debian's redis-server run like the official image: in /data (a volume), listening on
# every address with protected mode off (the official build turns it off at compile time).
if want redis:latest; then
  log "redis:latest: Debian's redis-server, protected mode off, data in /data"
  docker build -q -t redis:latest --label "$STANDIN_LABEL=true" - >/dev/null <<'DOCKERFILE'
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data \
 && printf '%s\n' '#!/bin/sh' 'set -e' \
      '# like the official image: options alone mean redis-server with those options' \
      'case "$1" in -*|*.conf) set -- redis-server "$@" ;; esac' \
      'if [ "$1" = redis-server ]; then' \
      '  case " $* " in *" --protected-mode "*|*".conf "*) ;; *) set -- "$@" --protected-mode no ;; esac' \
      'fi' \
      'exec "$@"' >/usr/local/bin/docker-entrypoint.sh \
 && chmod 755 /usr/local/bin/docker-entrypoint.sh
VOLUME /data
WORKDIR /data
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
DOCKERFILE
fi

# prom/prometheus and prom/blackbox-exporter (containers/monitoring): Debian's packages laid out
# like the official images: same entrypoints, default flags and config paths, port 9090 (as
# nobody, data in the /prometheus volume) and 9115. The exporter's default modules include icmp.
if want prom/prometheus:latest; then
  log "prom/prometheus:latest: Debian's prometheus, run like the official image"
  docker build -q -t prom/prometheus:latest --label "$STANDIN_LABEL=true" - >/dev/null <<'DOCKERFILE'
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends prometheus \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /prometheus /usr/share/prometheus \
 && ln -s /etc/prometheus/console_libraries /usr/share/prometheus/console_libraries \
 && ln -s /etc/prometheus/consoles /usr/share/prometheus/consoles \
 && printf '%s\n' '# my global config' 'global:' '  scrape_interval: 15s' '  evaluation_interval: 15s' \
      'scrape_configs:' '  - job_name: "prometheus"' '    static_configs:' '      - targets: ["localhost:9090"]' \
      >/etc/prometheus/prometheus.yml \
 && chown -R nobody:nogroup /prometheus /etc/prometheus
USER nobody
EXPOSE 9090
VOLUME ["/prometheus"]
WORKDIR /prometheus
ENTRYPOINT ["/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--web.console.libraries=/usr/share/prometheus/console_libraries", "--web.console.templates=/usr/share/prometheus/consoles"]
DOCKERFILE
fi
if want prom/blackbox-exporter:latest; then
  log "prom/blackbox-exporter:latest: Debian's prometheus-blackbox-exporter, run like the official image"
  docker build -q -t prom/blackbox-exporter:latest --label "$STANDIN_LABEL=true" - >/dev/null <<'DOCKERFILE'
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends prometheus-blackbox-exporter \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /etc/blackbox_exporter \
 && cp /etc/prometheus/blackbox.yml /etc/blackbox_exporter/config.yml \
 && ln -s /usr/bin/prometheus-blackbox-exporter /bin/blackbox_exporter
EXPOSE 9115
ENTRYPOINT ["/bin/blackbox_exporter"]
CMD ["--config.file=/etc/blackbox_exporter/config.yml"]
DOCKERFILE
fi

# python:3.13-slim (images/build-args builds one Dockerfile on two Python versions): Debian 13
# (trixie) packages Python 3.13, so the stand-in really runs 3.13, on trixie as the official
# image does; flask and PyYAML preinstalled (pip answers "already satisfied", as with
# python:3.11-slim above). Bootstrapped with its packages and imported in one go: no build
# container to lose halfway.
if want python:3.13-slim; then
  log "python:3.13-slim: debootstrap trixie with Debian 13's python3 3.13, flask and yaml (minutes)"
  root=$work/trixie
  debootstrap --variant=minbase --include=python3,python3-pip,python3-flask,python3-yaml,curl \
    trixie "$root" "$MIRROR" >"$work/debootstrap-trixie.log" 2>&1 || {
    tail -n 30 "$work/debootstrap-trixie.log" >&2; exit 1; }
  rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"* \
    "$root/usr/lib/python3.13/EXTERNALLY-MANAGED"
  ln -s /usr/bin/python3 "$root/usr/local/bin/python"
  tar -C "$root" -c . | docker import \
    --change "LABEL $STANDIN_LABEL=true" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV PYTHONUNBUFFERED=1' \
    --change 'CMD ["python3"]' - python:3.13-slim >/dev/null
fi

# The client image student scripts and compose files run in (src/steps/client-image.ts): bash,
# coreutils, the docker CLI and Compose v2. Debian's docker CLI: bookworm's docker.io is 20.10,
# whose `docker run -v ./html:/x` is refused (relative bind sources came with CLI 23), so the
# CLI and Compose come from trixie's docker-cli (26.1) and docker-compose (2.26) packages,
# pinned so that nothing else is taken from trixie. On a runner with a registry the grader
# builds it on the spot from the official docker:cli image instead.
# Version 2: OpenSSH's client, for ssh:// daemons (a script step with `remote: true`), and a user
# for the client's uid 62375 (src/steps/client-user.ts) with the client's HOME, without which
# ssh refuses to run ("No user exists for uid"). An older stand-in gets them as a layer on top.
CLIENT_IMAGE=docker-autograder/client:1
CLIENT_STANDIN_VERSION=2
CLIENT_USER_LINE='docker-autograder:x:62375:62375:student docker client:/tmp:/bin/bash'
if want "$CLIENT_IMAGE"; then
  log "$CLIENT_IMAGE: Debian's docker-cli and docker-compose (trixie) on bookworm-slim, with ssh"
  docker build -q -t "$CLIENT_IMAGE" --label "$STANDIN_LABEL=true" \
    --label "$VERSION_LABEL=$CLIENT_STANDIN_VERSION" - >/dev/null <<DOCKERFILE
FROM debian:bookworm-slim
RUN echo 'deb $MIRROR trixie main' >/etc/apt/sources.list.d/trixie.list \
 && printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' >/etc/apt/preferences.d/trixie \
 && apt-get update \
 && apt-get install -y --no-install-recommends -t trixie docker-cli docker-compose \
 && apt-get install -y --no-install-recommends openssh-client \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && echo '$CLIENT_USER_LINE' >>/etc/passwd
CMD ["bash"]
DOCKERFILE
elif is_standin "$CLIENT_IMAGE" && [ "$(standin_version "$CLIENT_IMAGE")" != "$CLIENT_STANDIN_VERSION" ]; then
  log "$CLIENT_IMAGE: adding OpenSSH's client and the client's user"
  docker build -q -t "$CLIENT_IMAGE" --label "$STANDIN_LABEL=true" \
    --label "$VERSION_LABEL=$CLIENT_STANDIN_VERSION" - >/dev/null <<DOCKERFILE
FROM $CLIENT_IMAGE
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssh-client \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && (getent passwd 62375 >/dev/null || echo '$CLIENT_USER_LINE' >>/etc/passwd)
DOCKERFILE
fi

# The remote machine of a script step with `remote: true` (src/steps/remote-machine.ts): OpenSSH's
# server and a docker CLI (for `docker system dial-stdio`), and the user `student` (uid 62376)
# the student logs in as. The grader configures and starts sshd itself. On a runner with a
# registry the grader builds it on the spot from the official docker:cli image instead.
REMOTE_IMAGE=docker-autograder/remote:1
if want "$REMOTE_IMAGE"; then
  log "$REMOTE_IMAGE: Debian's openssh-server and docker-cli (trixie) on bookworm-slim"
  docker build -q -t "$REMOTE_IMAGE" --label "$STANDIN_LABEL=true" - >/dev/null <<DOCKERFILE
FROM debian:bookworm-slim
RUN echo 'deb $MIRROR trixie main' >/etc/apt/sources.list.d/trixie.list \
 && printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' >/etc/apt/preferences.d/trixie \
 && apt-get update \
 && apt-get install -y --no-install-recommends -t trixie docker-cli \
 && apt-get install -y --no-install-recommends openssh-server \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /etc/ssh/ssh_host_* \
 && useradd --uid 62376 --create-home --shell /bin/sh student
DOCKERFILE
fi

# A PyPI stand-in: `pip install flask` from the package index, as a student's Dockerfile or
# container does on a runner, finds wheels made from Debian's Python packages (those the pack's
# requirements.txt files name: flask, redis, pyyaml, and their dependencies), in the "simple"
# index layout, served by busybox httpd. It listens on the host's own network (port 3141), so
# that the classic builder's build containers on the default bridge and containers on any
# user-defined network reach it at the default bridge's gateway address, without host
# networking of their own. The Debian and Python stand-ins name it in /etc/pip.conf.
PYPI_IMAGE=docker-autograder/pypi-standin:1
PYPI_CONTAINER=docker-autograder-pypi-standin
PYPI_PORT=3141
if want "$PYPI_IMAGE"; then
  log "$PYPI_IMAGE: wheels of Debian's python3-flask, python3-redis, python3-yaml and their dependencies"
  ctx=$work/pypi
  mkdir -p "$ctx"
  cp "$here/base-images/make-index.py" "$ctx/"
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM debian:bookworm-slim AS wheels
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-flask python3-redis python3-yaml \
 && rm -rf /var/lib/apt/lists/*
COPY make-index.py /
RUN python3 /make-index.py /srv python3-flask python3-redis python3-yaml
FROM busybox:latest
COPY --from=wheels /srv /srv
EXPOSE 3141
CMD ["httpd", "-f", "-p", "3141", "-h", "/srv"]
DOCKERFILE
  docker build -q -t "$PYPI_IMAGE" --label "$STANDIN_LABEL=true" "$ctx" >/dev/null
fi
# The host's port is one for all the engines on it: a second engine (CI's Docker 26 beside
# 20.10) finds the index already served and starts none, rather than a container that restarts
# forever on a taken port.
port_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$PYPI_PORT") 2>/dev/null; }
if [ "$(docker inspect -f '{{.State.Running}}/{{.State.Restarting}}' "$PYPI_CONTAINER" 2>/dev/null)" != true/false ]; then
  docker rm -f "$PYPI_CONTAINER" >/dev/null 2>&1 || true
  if port_answers; then
    log "$PYPI_CONTAINER: the host's port $PYPI_PORT already serves the package index (another engine's stand-in)"
  else
    log "$PYPI_CONTAINER: serving the package index on the host's port $PYPI_PORT"
    docker run -d --name "$PYPI_CONTAINER" --network host --restart unless-stopped \
      --label "$STANDIN_LABEL=true" "$PYPI_IMAGE" httpd -f -p "$PYPI_PORT" -h /srv >/dev/null
  fi
fi
gateway=$(docker network inspect bridge -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}')
gateway=${gateway:-172.17.0.1}
index_url="http://$gateway:$PYPI_PORT/simple/"

# Version 2 of the Debian and Python stand-ins: /etc/pip.conf names the package index above.
# A stand-in made before that (no version label) gets it as a layer on top, under the same tag;
# a pulled image is never touched.
PIP_STANDIN_VERSION=2
with_pip_conf() {
  local image=$1
  exists "$image" && is_standin "$image" || return 0
  local version
  version=$(standin_version "$image")
  [ "${version:-1}" -ge "$PIP_STANDIN_VERSION" ] && return 0
  log "$image: /etc/pip.conf names the package index stand-in ($index_url)"
  local ctx=$work/pip-conf
  rm -rf "$ctx" && mkdir -p "$ctx"
  printf '[global]\nindex-url = %s\ntrusted-host = %s\n' "$index_url" "$gateway" >"$ctx/pip.conf"
  printf 'FROM %s\nCOPY pip.conf /etc/pip.conf\n' "$image" >"$ctx/Dockerfile"
  docker build -q -t "$image" --label "$STANDIN_LABEL=true" \
    --label "$VERSION_LABEL=$PIP_STANDIN_VERSION" "$ctx" >/dev/null
}
with_pip_conf debian:bookworm-slim
# debian:bookworm is the same stand-in under another name: follow it.
if exists debian:bookworm && is_standin debian:bookworm \
  && [ "$(standin_version debian:bookworm)" != "$PIP_STANDIN_VERSION" ]; then
  docker tag debian:bookworm-slim debian:bookworm
fi
with_pip_conf python:3.11-slim
with_pip_conf python:3.13-slim

log "done"
