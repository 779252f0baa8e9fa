#!/usr/bin/env bash
# The whole test suite, with all its set-up: a Docker engine, the offline base images,
# dependencies, a fresh build of dist/ (the bundle is tested as the runner starts it).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$root"
provision
ensure_dependencies
npm run --silent build

results=$(mktemp -d)
status=0
npx vitest run --config vitest.config.mts --reporter=default --reporter=json \
  --outputFile.json="$results/unit.json" || status=1
npx vitest run --config vitest.integration.config.mts --reporter=default --reporter=json \
  --outputFile.json="$results/integration.json" || status=1

# Nothing the suite created may outlive it.
leftovers=$(
  for kind in "ps -a" "network ls" "volume ls" "image ls"; do
    # shellcheck disable=SC2086
    docker $kind -q --filter label=org.docker-autograder.run
  done
  # The grader's own builds carry no labels: their run-owned tags (src/engine/labels.ts).
  docker image ls --filter 'reference=docker-autograder/*' --format '{{.Repository}}:{{.Tag}}' |
    grep -E '^docker-autograder/([a-z0-9_.-]+-[a-z0-9_.-]+:latest|client:1-[a-z0-9_.-]+)$' || true
)
if [ -n "$leftovers" ]; then
  echo "resources labelled org.docker-autograder.run (or run-owned image tags) are left on the engine:" >&2
  echo "$leftovers" >&2
  status=1
fi

node -e '
  const fs = require("node:fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const file of process.argv.slice(1)) {
    if (!fs.existsSync(file)) { failed += 1; continue; }
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
' "$results/unit.json" "$results/integration.json"
rm -rf "$results"
exit "$status"
