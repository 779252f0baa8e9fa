// Labels stamped on every resource the grader creates. Cleanup removes only what carries them.

export const LABEL_PREFIX = 'org.docker-autograder';
export const RUN_LABEL = `${LABEL_PREFIX}.run`;
export const SCOPE_LABEL = `${LABEL_PREFIX}.scope`;
/** Marks the offline stand-in base images built by scripts/build-base-images.sh. */
export const STANDIN_LABEL = `${LABEL_PREFIX}.standin`;

export function runLabels(runId: string, scope?: string): Record<string, string> {
  return scope === undefined ? { [RUN_LABEL]: runId } : { [RUN_LABEL]: runId, [SCOPE_LABEL]: scope };
}

/** Label filters in the Engine API's list syntax: ["key=value", ...]. */
export function labelFilters(runId: string, scope?: string): string[] {
  return Object.entries(runLabels(runId, scope)).map(([key, value]) => `${key}=${value}`);
}

/** Labels that put a resource in one scope (an exercise) of the run; the engine adds the run label. */
export function scopeLabels(scope: string): Record<string, string> {
  return { [SCOPE_LABEL]: scope };
}
