#!/usr/bin/env bash
# Podman beside the two Docker engines: Debian's podman (the system's release, bookworm's 4.3),
# rootful, serving its Docker-compatible API on a socket of its own. Used to measure what the
# grader does on Podman (docs/engines.md); CI does not run it.
#
# It keeps to itself:
# - its own configuration file ($conf, CONTAINERS_CONF: the system's /etc/containers files are
#   not read by the service nor changed), cgroupfs (no systemd here), events in a file;
# - its own bridge and address ranges, away from docker0/172.16.0.0/12, br26's 10.225.0.0/16
#   and the 26 engine's pool 10.226.0.0/16 (podman's default pools reach 10.128.0.0/9);
# - netavark's iptables chains (NETAVARK_*), jumped to from FORWARD and POSTROUTING: the Docker
#   engines' chains and FORWARD's policy are not touched.
#
# Idempotent: installs only what is missing, starts the service only when its socket does not
# answer, loads only the stand-in images it lacks. `provision-podman.sh stop` stops the service
# (and removes nothing else).
set -euo pipefail
# shellcheck source=scripts/standins.sh
source "$(dirname "${BASH_SOURCE[0]}")/standins.sh"

log() { printf '[provision-podman] %s\n' "$*"; }

socket=${PODMAN_SOCKET:-/run/podman-ag/podman.sock}
conf_dir=/etc/podman-ag
conf=$conf_dir/containers.conf
pidfile=/run/podman-ag.pid
logfile=/var/log/podman-ag.log
network_subnet=10.229.0.0/16
pool=10.230.0.0/16
packages=(podman netavark aardvark-dns catatonit jq)

if [ "$(id -u)" -ne 0 ]; then
  log "must run as root (rootful podman: it adds a bridge and iptables rules)" >&2
  exit 1
fi

export CONTAINERS_CONF=$conf
podman_() { podman "$@"; }
answers() { curl -fsS --max-time 5 --unix-socket "$socket" http://podman/_ping >/dev/null 2>&1; }

if [ "${1:-}" = stop ]; then
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    log "stopping the service (pid $(cat "$pidfile"))"
    kill "$(cat "$pidfile")"
    for _ in $(seq 1 40); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.25; done
  fi
  rm -f "$pidfile" "$socket"
  exit 0
fi

# 1. The packages, once. Only podman's own: the Docker engines' runc and containerd stay as they
#    are (podman runs containers with runc, through conmon).
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]} (Debian $(. /etc/os-release && echo "$VERSION_CODENAME"))"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. Its configuration. Everything not set here keeps podman's built-in default.
#    Rootful podman gives every container nofile and nproc limits of 1048576 unless told
#    otherwise (Docker leaves them as dockerd has them). Where root lacks CAP_SYS_RESOURCE (this
#    machine: the limits cannot be raised), runc fails with "error setting rlimits". The runtime
#    podman calls is then a wrapper that lowers each rlimit of the container's config.json to
#    what runc itself may set, and runs runc; a container that asks for less keeps its own.
mkdir -p "$conf_dir"
cat >"$conf_dir/runc.new" <<'WRAPPER'
#!/bin/bash
# runc, with the rlimits of a container (create: the bundle's config.json) or of an exec
# (--process FILE) lowered to this process's hard limits (provision-podman.sh).
bundle=
process=
previous=
for arg in "$@"; do
  case "$previous" in --bundle | -b) bundle=$arg ;; --process | -p) process=$arg ;; esac
  case "$arg" in --bundle=*) bundle=${arg#--bundle=} ;; --process=*) process=${arg#--process=} ;; esac
  previous=$arg
done
clamp() { # file jq-path-of-rlimits
  [ -f "$1" ] || return 0
  jq --argjson nofile "$(ulimit -Hn)" --argjson nproc "$(ulimit -Hu)" '
    def cap($n): if . > $n then $n else . end;
    if '"$2"' then '"$2"' |= map(
      if .type == "RLIMIT_NOFILE" then .hard |= cap($nofile) | .soft |= cap($nofile)
      elif .type == "RLIMIT_NPROC" then .hard |= cap($nproc) | .soft |= cap($nproc)
      else . end) else . end' "$1" >"$1.ag" && mv "$1.ag" "$1"
}
[ -z "$bundle" ] || clamp "$bundle/config.json" .process.rlimits
[ -z "$process" ] || clamp "$process" .rlimits
exec /usr/sbin/runc "$@"
WRAPPER
chmod 755 "$conf_dir/runc.new"
if cmp -s "$conf_dir/runc.new" "$conf_dir/runc"; then rm -f "$conf_dir/runc.new"; else mv "$conf_dir/runc.new" "$conf_dir/runc"; fi
cat >"$conf.new" <<CONF
# Written by scripts/provision-podman.sh: the grader's podman service only (CONTAINERS_CONF).
[containers]
log_driver = "k8s-file"
init_path = "/usr/bin/catatonit"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc-ag"

[engine.runtimes]
runc-ag = ["$conf_dir/runc"]

[network]
network_backend = "netavark"
default_subnet = "$network_subnet"
default_subnet_pools = [{"base" = "$pool", "size" = 24}]
CONF
if ! cmp -s "$conf.new" "$conf"; then
  mv "$conf.new" "$conf"
  config_changed=true
else
  rm -f "$conf.new"
  config_changed=false
fi

# The default network "podman" is made from default_subnet the first time podman needs it. One
# made before (by another configuration) keeps its subnet: it is made again when it is unused.
current=$(podman_ network inspect podman --format '{{range .Subnets}}{{.Subnet}}{{end}}' 2>/dev/null || true)
if [ -n "$current" ] && [ "$current" != "$network_subnet" ]; then
  log "the default network has $current, not $network_subnet: recreating it"
  podman_ network rm podman >/dev/null 2>&1 || true
fi

# 3. The service, unless it answers already (and its configuration did not change).
if answers && [ "$config_changed" = true ] && [ -f "$pidfile" ]; then
  log "configuration changed: restarting the service"
  bash "$0" stop
fi
if answers; then
  log "service already answering on $socket"
else
  if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then rm -f "$pidfile"; fi
  if [ -f "$pidfile" ]; then
    log "pid $(cat "$pidfile") in $pidfile runs but $socket does not answer" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$socket")"
  rm -f "$socket"
  log "starting podman system service on $socket (log: $logfile)"
  nohup podman system service --time=0 "unix://$socket" >"$logfile" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 60); do
    answers && break
    sleep 0.5
  done
  if ! answers; then
    log "the service did not answer within 30 s; last lines of $logfile:" >&2
    tail -n 20 "$logfile" >&2 || true
    exit 1
  fi
fi
log "service ready: $(curl -fsS --unix-socket "$socket" http://podman/version | sed -n 's/.*"Components":\[{"Name":"\([^"]*\)","Version":"\([^"]*\)".*"ApiVersion":"\([^"]*\)".*/\1 \2 (API \3)/p')"

# 4. The offline base images: the first engine's stand-ins (scripts/build-base-images.sh), loaded
#    when missing or different. podman loads `docker save`'s archive as it is.
first=${PODMAN_IMAGES_FROM:-unix:///var/run/docker.sock}
missing=()
while read -r reference want; do
  case "$reference" in */*) full=docker.io/$reference ;; *) full=docker.io/library/$reference ;; esac
  have=$(podman_ image inspect --format '{{.Id}}' "$full" 2>/dev/null || true)
  [ "sha256:$have" = "$want" ] || [ "$have" = "$want" ] || missing+=("$reference")
done < <(first_engine_standins "$first")
if [ "${#missing[@]}" -gt 0 ]; then
  log "loading ${missing[*]} from $first"
  docker -H "$first" save "${missing[@]}" | podman_ load -q >/dev/null
fi
# podman names what `docker save` calls python:3.11-slim localhost/python:3.11-slim; a pulled
# image would be docker.io/library/python:3.11-slim, as Docker names it too. The stand-ins are
# given the name a pull gives.
while read -r name; do
  short=${name#localhost/}
  case "$short" in */*) full=docker.io/$short ;; *) full=docker.io/library/$short ;; esac
  podman_ tag "$name" "$full"
  podman_ untag "$name" "$name"
done < <(podman_ images --format '{{.Repository}}:{{.Tag}}' --filter label=org.docker-autograder.standin=true | grep '^localhost/' || true)
log "done"
