#!/usr/bin/env bash
# The whole test suite, with all its set-up: the Docker engines, the offline base images,
# dependencies, a fresh build of dist/ (the bundle is tested as the runner starts it).
#
# The unit tests run once. The integration suite (the exercise pack's selftest included) runs on
# each engine: Debian bookworm's Docker 20.10 on the default socket, and Debian trixie's Docker 26
# on /run/docker26.sock (scripts/provision-engine26.sh), both at the same time (docs/performance.md;
# TEST_ENGINES_ONE_AT_A_TIME=1 runs one after the other). TEST_ENGINES picks them: "default docker26" (the default when
# running as root), "default" (the default otherwise: the second engine needs root to set up).
# The last line counts every test of every run: `tests: N passed, N failed, N skipped`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$root"

if [ -z "${TEST_ENGINES:-}" ]; then
  if [ "$(id -u)" -eq 0 ]; then TEST_ENGINES="default docker26"; else TEST_ENGINES="default"; fi
fi
provision
for engine in $TEST_ENGINES; do
  case "$engine" in
    default) ;;
    docker26) bash "$root/scripts/provision-engine26.sh" ;;
    *) echo "TEST_ENGINES: unknown engine $engine (default, docker26)" >&2; exit 2 ;;
  esac
done
ensure_dependencies
npm run --silent build

# DOCKER_HOST of each engine, and where its dockerd and containerd are (for the tests that start
# a private dockerd of the same version).
engine_environment() {
  case "$1" in
    default) echo "DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock} DOCKER_ENGINE_PATH=" ;;
    docker26)
      local prefix=${ENGINE26_PREFIX:-/opt/docker26}
      echo "DOCKER_HOST=unix://${ENGINE26_SOCKET:-/run/docker26.sock} DOCKER_ENGINE_PATH=$prefix/usr/sbin:$prefix/usr/bin"
      ;;
  esac
}

results=$(mktemp -d)
status=0
npx vitest run --config vitest.config.mts --reporter=default --reporter=json \
  --outputFile.json="$results/unit.json" || status=1

# One engine's integration run: its output in its own log (printed when it ends), its counts in
# its own JSON, then the check that nothing the suite created outlived it.
integration_run() {
  local engine=$1 run_status=0
  # shellcheck disable=SC2046
  env $(engine_environment "$engine") \
    npx vitest run --config vitest.integration.config.mts --reporter=default --reporter=json \
    --outputFile.json="$results/integration-$engine.json" >"$results/integration-$engine.log" 2>&1 ||
    run_status=1
  leftovers=$(
    # shellcheck disable=SC2046
    export $(engine_environment "$engine")
    for kind in "ps -a" "network ls" "volume ls" "image ls"; do
      # shellcheck disable=SC2086
      docker $kind -q --filter label=org.docker-autograder.run
    done
    # The grader's own builds carry no labels: their run-owned tags (src/naming/labels.ts).
    docker image ls --filter 'reference=docker-autograder/*' --format '{{.Repository}}:{{.Tag}}' |
      grep -E '^docker-autograder/([a-z0-9_.-]+-[a-z0-9_.-]+:latest|client:1-[a-z0-9_.-]+)$' || true
  )
  if [ -n "$leftovers" ]; then
    {
      echo "resources labelled org.docker-autograder.run (or run-owned image tags) are left on engine '$engine':"
      echo "$leftovers"
    } >>"$results/integration-$engine.log"
    run_status=1
  fi
  return "$run_status"
}

# The engines' runs at the same time (docs/performance.md: 0.74 of one after the other, measured
# under load), unless TEST_ENGINES_ONE_AT_A_TIME=1.
pids=()
for engine in $TEST_ENGINES; do
  if [ "${TEST_ENGINES_ONE_AT_A_TIME:-0}" = 1 ]; then
    integration_run "$engine" || status=1
    echo "== integration tests on engine '$engine'"
    cat "$results/integration-$engine.log"
  else
    integration_run "$engine" &
    pids+=("$!")
  fi
done
for index in "${!pids[@]}"; do
  wait "${pids[$index]}" || status=1
done
if [ "${TEST_ENGINES_ONE_AT_A_TIME:-0}" != 1 ]; then
  for engine in $TEST_ENGINES; do
    echo "== integration tests on engine '$engine'"
    cat "$results/integration-$engine.log"
  done
fi

expected=("$results/unit.json")
for engine in $TEST_ENGINES; do expected+=("$results/integration-$engine.json"); done
node -e '
  const fs = require("node:fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const file of process.argv.slice(1)) {
    if (!fs.existsSync(file)) { failed += 1; continue; }
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
' "${expected[@]}"
rm -rf "$results"
exit "$status"
