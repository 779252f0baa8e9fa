#!/usr/bin/env bash
# Grades the bundled example exercise with its reference solution (or the solution named
# as the first argument, e.g. wrong-shell-form-cmd) and prints the report.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
provision >&2
ensure_dependencies >&2
solution=${1:-reference}
exercise=exercises/images/flask-app
cd "$root"
exec node dist/cli/index.js grade "$exercise" --submission "$exercise/solutions/$solution"
