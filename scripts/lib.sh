# Shared by the project's scripts: provision the engine and images, install dependencies.
# shellcheck shell=bash

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

provision() {
  bash "$root/scripts/provision-engine.sh"
  bash "$root/scripts/build-base-images.sh"
  bash "$root/scripts/provision-browser.sh"
}

# npm ci only when node_modules does not match the lock file (a fresh clone, or a changed lock).
ensure_dependencies() {
  local stamp="$root/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$root/package-lock.json" -nt "$stamp" ]; then
    (cd "$root" && npm ci --no-audit --no-fund)
  fi
}
