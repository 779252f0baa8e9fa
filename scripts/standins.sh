# The offline base images another engine copies from the first one (scripts/build-base-images.sh
# makes them there). Sourced by provision-engine26.sh and provision-podman.sh.
# shellcheck shell=bash

# Prints "reference image-id" for each stand-in on the engine at $1, skipping images a grading
# run made from one (they inherit its stand-in label: a run label, or the run-owned tags of the
# grader's own builds, src/naming/labels.ts).
first_engine_standins() {
  local first=$1 reference run
  while read -r reference; do
    case "$reference" in '' | *'<none>'*) continue ;; esac
    if [[ "$reference" =~ ^docker-autograder/([a-z0-9_.-]+-[a-z0-9_.-]+:latest|client:1-[a-z0-9_.-]+)$ ]]; then continue; fi
    run=$(docker -H "$first" image inspect -f '{{index .Config.Labels "org.docker-autograder.run"}}' "$reference" 2>/dev/null) || continue
    [ -z "$run" ] || continue
    printf '%s %s\n' "$reference" "$(docker -H "$first" image inspect -f '{{.Id}}' "$reference")"
  done < <(docker -H "$first" image ls --filter label=org.docker-autograder.standin=true \
    --format '{{.Repository}}:{{.Tag}}' 2>/dev/null || true)
}
