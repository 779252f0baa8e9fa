#!/usr/bin/env bash
# Makes Debian's chromium available at /usr/bin/chromium for the class report's browser test
# (test/integration/class/report.itg.test.ts drives it with playwright-core; browsers cannot be
# downloaded here). Idempotent: installs only when /usr/bin/chromium is missing, with one
# apt-get update. Used by scripts/lib.sh provision() (and so by .ci/run and npm test).
set -euo pipefail

log() { printf '[provision-browser] %s\n' "$*"; }

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  log "/usr/bin/chromium is missing and this is not root: apt-get install chromium as root" >&2
  exit 1
fi
log "installing chromium from Debian"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
[ -x /usr/bin/chromium ] || { log "chromium installed, but /usr/bin/chromium is not there" >&2; exit 1; }
log "$(/usr/bin/chromium --version 2>/dev/null || echo chromium) installed"
