// Resource names: the engine's names of the containers, networks and volumes the run creates,
// unique to the run and the exercise, valid for Docker. The scope (`<run id>-<n>`) comes first,
// so that a name says which run made it. Image tags are in image-references.ts.

/** An exercise's scope in a run: `<run id>-<n>`, n counting the run's exercises from 1. */
export function exerciseScope(runId: string, index: number): string {
  return `${runId}-${index + 1}`;
}

/**
 * The remote machine's scope. After the exercise's scope comes a `.`, never the `-` that starts
 * every name the local gate scopes (`<scope>-<name>`), so no local name can be a remote one.
 */
export function remoteScope(scope: string): string {
  return `${scope}.remote`;
}

export function containerName(scope: string, stepName: string): string {
  return `${dockerSafe(scope)}-${dockerSafe(stepName)}`;
}

/** A network or volume the exercise names `name` (network and volume steps, named volumes of run steps). */
export function resourceName(scope: string, name: string): string {
  return `${dockerSafe(scope)}-${dockerSafe(name)}`;
}

/**
 * The name a student's docker commands now give a container they named `given` at create: the
 * one given (its spelling kept) unless a `docker rename` changed the engine's name since. Labels
 * cannot change, so the engine's name, unscoped, is then the truth.
 */
export function currentStudentName(engineName: string, given: string, scope: string): string {
  const name = engineName.replace(/^\//, '');
  const prefix = resourceName(scope, '');
  if (resourceName(scope, given) === name || !name.startsWith(prefix)) return given;
  return name.slice(prefix.length);
}

/**
 * A compose project name: Compose v2 accepts only [a-z0-9_-] starting with a letter or digit,
 * and v1 silently drops everything else, which could make two scopes collide.
 */
export function composeProjectName(scope: string): string {
  const safe = scope
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '');
  return safe === '' ? 'docker-autograder' : safe;
}

/** A name as Docker takes it in every kind of name: lower case, [a-z0-9_.-], no glob characters. */
export function dockerSafe(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-');
}

/**
 * Whether a name looks scoped by some run's gate (`<run id>-<n>-<name>`): run ids made by
 * newRunId() (grading/session.ts) are `ag` and base-36 time and hex, so another run's scoped
 * names are known by form.
 */
export function isScopedName(name: string): boolean {
  return /^ag[0-9a-z]{6,}-\d+-/.test(name);
}
