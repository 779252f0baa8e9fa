// Labels: the keys the grader stamps on the containers, networks and volumes it creates (run and
// scope: cleanup removes only what carries them; the grader's own images go by their tags,
// image-references.ts), and those in which the gate keeps what a student asked for (their name,
// ports, restart policy).

export const LABEL_PREFIX = 'org.docker-autograder';
export const RUN_LABEL = `${LABEL_PREFIX}.run`;
export const SCOPE_LABEL = `${LABEL_PREFIX}.scope`;
/** Marks the offline stand-in base images built by scripts/build-base-images.sh. */
export const STANDIN_LABEL = `${LABEL_PREFIX}.standin`;
/**
 * Marks the client container a student's docker commands run in (steps/student-docker.ts): the
 * policy proxy hides it from the student (proxy/visibility.ts), who can neither see nor stop it.
 */
export const CLIENT_LABEL = `${LABEL_PREFIX}.client`;
/** The name the student gave what the gate created (its engine name is scoped to the run). */
export const STUDENT_NAME_LABEL = `${LABEL_PREFIX}.name`;
/** The host ports a student asked for, as JSON {"80/tcp":[18080]}; the real ones are ephemeral. */
export const STUDENT_PORTS_LABEL = `${LABEL_PREFIX}.ports`;

/**
 * The restart policy a student asked for, as JSON {"Name":"always","MaximumRetryCount":0}, kept
 * on a container the policy proxy created with policy "no" because it bind-mounts a host path:
 * the daemon resolves a bind source again at each start, and its own restarts do not pass the
 * proxy's check, so a folder swapped for a symlink to `/` would be mounted (docs/decisions.md).
 */
export const RESTART_LABEL = `${LABEL_PREFIX}.restart`;

/**
 * Labels as a container or image is created with them: our labels that say something of it
 * (the student's name, ports and restart policy) set, empty where it has none. A LABEL in the
 * student's Dockerfile is inherited by the image and its containers unless the same key is set
 * at create, so an unset one could stand in for ours; readers take an empty one as none.
 */
export function withOwnLabelsSet(labels: Record<string, string>): Record<string, string> {
  return { [STUDENT_NAME_LABEL]: '', [STUDENT_PORTS_LABEL]: '', [RESTART_LABEL]: '', ...labels };
}

/** The name the student gave, from STUDENT_NAME_LABEL; undefined when missing or empty (none). */
export function studentNameLabel(labels: Record<string, string>): string | undefined {
  return labels[STUDENT_NAME_LABEL] || undefined;
}

/** The fixed host ports of a STUDENT_PORTS_LABEL value; nothing when it is not what the gate writes. */
export function studentPorts(label: string | undefined): Record<string, number[]> {
  if (label === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(label);
  } catch {
    return {};
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const ports: Record<string, number[]> = {};
  for (const [containerPort, hostPorts] of Object.entries(value)) {
    if (!/^\d+\/(tcp|udp|sctp)$/.test(containerPort) || !Array.isArray(hostPorts)) continue;
    const fixed = hostPorts.filter(
      (port): port is number => Number.isInteger(port) && port > 0 && port <= 65535,
    );
    if (fixed.length > 0) ports[containerPort] = fixed;
  }
  return ports;
}

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

/** Whether a label key is one of the grader's (LABEL_PREFIX): not the student's to see or set. */
export function isGraderLabel(key: string): boolean {
  return key.startsWith(`${LABEL_PREFIX}.`);
}
