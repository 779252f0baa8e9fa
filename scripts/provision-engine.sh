#!/usr/bin/env bash
# Makes a Docker engine answer on this machine, installing Debian's one when none is there.
# Idempotent: installs only what is missing, starts dockerd only when `docker info` fails.
# Used by .ci/run and by users.
set -euo pipefail

log() { printf '[provision-engine] %s\n' "$*"; }

# The base-image script needs these even when an engine already answers.
has_package() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
need=()
command -v dockerd >/dev/null 2>&1 || docker info >/dev/null 2>&1 || need+=(docker.io)
# The busybox stand-in is a copy of /bin/busybox: it must be the static build.
has_package busybox-static || need+=(busybox-static)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || need+=(docker-compose)
# The ssh:// engine test runs a private sshd of its own; the system's sshd stays off.
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "missing ${need[*]} and not root: install them, or run this script as root" >&2
    exit 1
  fi
  log "installing ${need[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  # No package's postinst may start a service (openssh-server's would start a system sshd):
  # invoke-rc.d asks policy-rc.d, and 101 means "not allowed". Only ours is removed again.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Under systemd, policy-rc.d does not stop the unit from being enabled for the next boot.
  if [[ " ${need[*]} " == *" openssh-server "* ]] && [ -d /run/systemd/system ]; then
    systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
  fi
fi

if docker info >/dev/null 2>&1; then
  log "engine already answering"
  exit 0
fi

# A dockerd killed earlier leaves its pid file, and a new dockerd refuses to start beside it.
pidfile=/var/run/docker.pid
if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  log "removing stale $pidfile"
  rm -f "$pidfile"
fi
if ! pgrep -x dockerd >/dev/null 2>&1; then
  log "starting dockerd (log: /var/log/dockerd.log)"
  nohup dockerd >/var/log/dockerd.log 2>&1 &
fi
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    log "engine ready: $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"
    exit 0
  fi
  sleep 0.5
done
log "dockerd did not answer within 30 s; last lines of /var/log/dockerd.log:" >&2
tail -n 20 /var/log/dockerd.log >&2 || true
exit 1
