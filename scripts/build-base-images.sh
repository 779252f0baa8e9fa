#!/usr/bin/env bash
# Builds offline stand-ins for the public base images the exercises and tests use, because no
# image registry is reachable here. Only missing images are built. An image that exists
# without our stand-in label was really pulled, and is never overwritten.
# On a GitHub runner none of this is needed: the real images are pulled.
set -euo pipefail

STANDIN_LABEL=org.docker-autograder.standin
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

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

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

log "done"
