// Names of what a step creates: unique to the run and the exercise, valid for Docker. The scope
// (`<run id>-<n>`) comes first, so that a name says which run made it.

export function imageTag(scope: string, stepName: string): string {
  return `docker-autograder/${dockerSafe(scope)}-${dockerSafe(stepName)}:latest`;
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

function dockerSafe(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-');
}
