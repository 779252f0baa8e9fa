#!/usr/bin/env bash
# A second, newer Docker engine beside the first: Debian trixie's docker.io 26 with its
# containerd, the docker CLI 26, and the compose v2 and buildx plugins, extracted into a folder of
# their own (no dpkg -i: that would replace the 20.10 engine). It answers on its own socket with
# its own data root, exec root, pidfile, bridge and address pool, and leaves the first engine,
# its iptables chains and its NAT alone: iptables rules of its own only, in chains named AG26-*.
#
# Idempotent: downloads only what is missing, starts dockerd only when its socket does not answer.
# Prints nothing but progress; the socket is $ENGINE26_SOCKET (default /run/docker26.sock).
# Used by .ci/run (scripts/test.sh runs the integration suite on both engines).
set -euo pipefail
# shellcheck source=scripts/standins.sh
source "$(dirname "${BASH_SOURCE[0]}")/standins.sh"

log() { printf '[provision-engine26] %s\n' "$*"; }

prefix=${ENGINE26_PREFIX:-/opt/docker26}
socket=${ENGINE26_SOCKET:-/run/docker26.sock}
data_root=/var/lib/docker26
exec_root=/run/docker26
pidfile=/run/docker26.pid
logfile=/var/log/dockerd26.log
bridge=br26
bridge_cidr=10.225.0.1/16
bridge_net=10.225.0.0/16
pool=10.226.0.0/16
# What the packages are: trixie's, from the same mirror as the system's.
mirror=http://deb.debian.org/debian
packages=(docker.io containerd docker-cli docker-compose docker-buildx)

if [ "$(id -u)" -ne 0 ]; then
  log "must run as root (it starts a dockerd and adds a bridge and iptables rules)" >&2
  exit 1
fi

# 1. The binaries, once. apt reads a sources list and state of its own, so the system's apt
#    (bookworm only) is neither changed nor refreshed by this.
if [ ! -x "$prefix/usr/sbin/dockerd" ] || [ ! -x "$prefix/usr/bin/containerd" ]; then
  log "downloading ${packages[*]} from Debian trixie into $prefix"
  apt_dir=$(mktemp -d)
  trap 'rm -rf "$apt_dir"' EXIT
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs"
  echo "deb $mirror trixie main" >"$apt_dir/sources.list"
  apt_opts=(
    -o "Dir::Etc::SourceList=$apt_dir/sources.list"
    -o "Dir::Etc::SourceParts=-"
    -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::Cache=$apt_dir/cache"
    -o "APT::Get::List-Cleanup=0"
    -o "APT::Sandbox::User=root"
  )
  apt-get "${apt_opts[@]}" update -qq
  (cd "$apt_dir/debs" && apt-get "${apt_opts[@]}" download "${packages[@]}" >/dev/null)
  staging="$prefix.new"
  rm -rf "$staging"
  mkdir -p "$staging"
  for deb in "$apt_dir"/debs/*.deb; do dpkg-deb -x "$deb" "$staging"; done
  # trixie's docker-init links to tini-static, and its runc wants a newer libc than bookworm's:
  # bookworm's tini and runc serve (dockerd finds runc in PATH, the extracted folder first).
  ln -sfn /usr/bin/tini-static "$staging/usr/bin/docker-init"
  # The CLI plugins where a DOCKER_CONFIG folder finds them.
  mkdir -p "$staging/docker-config/cli-plugins"
  for plugin in docker-compose docker-buildx; do
    ln -sfn "$prefix/usr/libexec/docker/cli-plugins/$plugin" "$staging/docker-config/cli-plugins/$plugin"
  done
  rm -rf "$prefix"
  mv "$staging" "$prefix"
fi
for tool in /usr/sbin/runc /usr/bin/tini-static; do
  if [ ! -x "$tool" ]; then
    log "$tool is missing: scripts/provision-engine.sh installs it with Debian's docker.io" >&2
    exit 1
  fi
done

# 2. Its bridge (dockerd --bridge uses an existing one and does not create it).
if ! ip link show "$bridge" >/dev/null 2>&1; then
  log "adding bridge $bridge ($bridge_cidr)"
  ip link add "$bridge" type bridge
  ip addr add "$bridge_cidr" dev "$bridge"
fi
ip link set "$bridge" up

# 3. Forwarding and NAT for its subnets, in chains of its own jumped to from the END of FORWARD
#    and POSTROUTING: the first engine's rules come first and are not touched. This host passes
#    bridged traffic through iptables and the first engine set FORWARD's policy to DROP.
#    - bridged (one network, layer 2) traffic of its subnets is accepted; traffic routed between
#      two of its networks is not (docker's isolation of networks, which --iptables=false drops);
#    - out through the uplink, and the replies back in;
#    - MASQUERADE for its subnets leaving through the uplink.
uplink=$(ip -o route show default | awk '{print $5; exit}')
ensure_chain() { # table chain parent
  iptables -t "$1" -N "$2" 2>/dev/null || iptables -t "$1" -F "$2"
  iptables -t "$1" -C "$3" -j "$2" 2>/dev/null || iptables -t "$1" -A "$3" -j "$2"
}
ensure_chain filter AG26-FORWARD FORWARD
ensure_chain nat AG26-POSTROUTING POSTROUTING
for net in "$bridge_net" "$pool"; do
  iptables -A AG26-FORWARD -s "$net" -d "$net" -m physdev --physdev-is-bridged -j ACCEPT
  if [ -n "$uplink" ]; then
    iptables -A AG26-FORWARD -s "$net" -o "$uplink" -j ACCEPT
    iptables -A AG26-FORWARD -d "$net" -i "$uplink" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
    iptables -t nat -A AG26-POSTROUTING -s "$net" -o "$uplink" -j MASQUERADE
  fi
done

# 4. The daemon, unless it answers already. A killed dockerd leaves its pid file behind, and a new
#    one refuses to start beside it; the same for the containerd it manages.
export PATH="$prefix/usr/sbin:$prefix/usr/bin:$PATH"
docker26() { "$prefix/usr/bin/docker" -H "unix://$socket" "$@"; }
answers() { docker26 version >/dev/null 2>&1; }
start_daemon() {
  for file in "$pidfile" "$exec_root/containerd/containerd.pid"; do
    if [ -f "$file" ] && ! kill -0 "$(cat "$file")" 2>/dev/null; then
      log "removing stale $file"
      rm -f "$file"
    fi
  done
  if [ ! -f "$pidfile" ]; then
    log "starting dockerd 26 on $socket (log: $logfile)"
    mkdir -p "$data_root" "$exec_root"
    nohup "$prefix/usr/sbin/dockerd" \
      --host "unix://$socket" \
      --data-root "$data_root" \
      --exec-root "$exec_root" \
      --pidfile "$pidfile" \
      --bridge "$bridge" \
      --iptables=false \
      --ip-masq=false \
      --default-address-pool "base=$pool,size=24" \
      >"$logfile" 2>&1 &
  fi
  for _ in $(seq 1 60); do
    answers && return 0
    sleep 0.5
  done
  log "dockerd 26 did not answer within 30 s; last lines of $logfile:" >&2
  tail -n 20 "$logfile" >&2 || true
  return 1
}
# Docker 26 deletes the first engine's default bridge (docker0) as it starts, though it is told
# to use a bridge of its own: measured twice here, at each start of this daemon. The first engine
# keeps its network and iptables rules by the bridge's name and finds the link by name each time a
# container joins, so the bridge is put back as it was, with its addresses.
first_bridge=docker0
first_bridge_addresses=$(ip -o addr show dev "$first_bridge" 2>/dev/null | awk '$3 == "inet" || $3 == "inet6" {print $4}' | grep -v '^fe80:' || true)
restore_first_bridge() {
  [ -n "$first_bridge_addresses" ] || return 0
  ip link show "$first_bridge" >/dev/null 2>&1 && return 0
  log "dockerd 26 removed the first engine's $first_bridge: adding it again ($(echo $first_bridge_addresses))"
  ip link add "$first_bridge" type bridge
  for address in $first_bridge_addresses; do ip addr add "$address" dev "$first_bridge"; done
  ip link set "$first_bridge" up
}
if answers; then log "engine already answering on $socket"; else start_daemon; fi
restore_first_bridge
log "engine ready: $(docker26 version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"

# 5. The offline base images: the first engine's stand-ins (scripts/build-base-images.sh), copied
#    when missing or older than the first engine's. An image the second engine pulled is kept.
#    Images built on a stand-in inherit its label: those of a grading run (run label, or the
#    run-owned tags of the grader's own builds, src/naming/labels.ts) are not stand-ins.
first=${ENGINE26_IMAGES_FROM:-unix:///var/run/docker.sock}
missing=()
while read -r reference want; do
  # Missing, or a stand-in of an older build of the script (the first engine's was rebuilt,
  # e.g. with the package index's pip.conf): a stand-in is ours to replace, a pulled image is not.
  have=$(docker26 image inspect -f '{{.Id}} {{index .Config.Labels "org.docker-autograder.standin"}}' "$reference" 2>/dev/null || true)
  if [ -z "$have" ] || { [ "${have% *}" != "$want" ] && [ "${have#* }" = true ]; }; then
    missing+=("$reference")
  fi
done < <(first_engine_standins "$first")
if [ "${#missing[@]}" -gt 0 ]; then
  log "copying ${missing[*]} from $first"
  docker -H "$first" save "${missing[@]}" | docker26 load -q >/dev/null
fi
restore_first_bridge
log "done"
