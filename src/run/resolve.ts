// Finds the container a spec names. Exercises name containers the way the student knows them:
// a run step's name, a compose service's name, or the name the student's script gave it. The
// engine gate (contract 2) gives what a student creates a name scoped to the run, and records
// the student's own name and requested host ports in labels, read here.
import type { ContainerState } from '../engine/engine';
import { isRunReference } from '../naming/image-references';
import { RUN_LABEL, SCOPE_LABEL, studentNameLabel } from '../naming/labels';
import { currentStudentName, resourceName } from '../naming/resource-names';
import type { Failure, RunContext } from './context';

export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';

/** Made in this exercise of this run (by the grader, or by the student through the gate). */
export function madeByExercise(labels: Record<string, string>, context: RunContext): boolean {
  return labels[RUN_LABEL] === context.engine.runId && labels[SCOPE_LABEL] === context.scope;
}

/** The student's name of something this exercise's gate created; undefined for anything else. */
export function studentName(labels: Record<string, string>, context: RunContext): string | undefined {
  return madeByExercise(labels, context) ? studentNameLabel(labels) : undefined;
}

/**
 * Looked up in order: run steps, services of this exercise's compose projects, what the
 * student's own docker commands named so in this exercise (now: after a `docker rename`, the
 * new name finds it and the old one does not), engine names.
 */
export async function resolveContainer(
  ref: string,
  context: RunContext,
): Promise<ContainerState | undefined> {
  const fromStep = context.resources.containers.get(ref);
  if (fromStep) return context.engine.findContainer(fromStep.id);
  for (const project of context.resources.composeProjects) {
    const [service] = await context.engine.listContainers({
      [COMPOSE_PROJECT_LABEL]: project,
      [COMPOSE_SERVICE_LABEL]: ref,
    });
    if (service) return context.engine.findContainer(service.id);
  }
  // By the engine's name, not the name label: `docker rename` changes the one, never the other.
  const named = await context.engine.findContainer(resourceName(context.scope, ref));
  if (named !== undefined && madeByExercise(named.labels, context)) return named;
  return context.engine.findContainer(ref);
}

/**
 * The name a student's docker commands gave a container of this exercise: the one given at
 * create (its spelling kept), unless a `docker rename` changed the engine's name since (labels
 * cannot change). Undefined for containers the student did not name (the grader's own).
 */
export function studentContainerName(
  state: { name: string; labels: Record<string, string> },
  context: RunContext,
): string | undefined {
  const given = studentName(state.labels, context);
  return given === undefined ? undefined : currentStudentName(state.name, given, context.scope);
}

/** The container, if it exists and is running; otherwise why not, for the student. */
export async function runningContainer(
  ref: string,
  context: RunContext,
): Promise<ContainerState | { failure: Failure }> {
  const state = await resolveContainer(ref, context);
  if (state === undefined) return { failure: { message: `there is no container "${ref}"` } };
  if (!state.running) {
    const why = state.oomKilled ? 'it ran out of memory' : `exit code ${state.exitCode}`;
    return { failure: { message: `container "${ref}" is not running (${state.status}, ${why})` } };
  }
  return state;
}

/** Where a container port is reachable from the grader: published by a run step, or by the student. */
export function hostPortOf(state: ContainerState, port: number): number | undefined {
  return state.publishedPorts[`${port}/tcp`] ?? state.portBindings[`${port}/tcp`]?.[0];
}

/**
 * The engine's reference of an image the exercise names: a build step's; a base image the
 * exercise names, by the id it had when the exercise started (a student's image tagged with
 * that name is not it); one the student's own docker commands built or tagged so (the gate
 * scopes the repository: `<scope>-<repo>:<tag>`); else the name itself.
 */
export async function resolveImageRef(name: string, context: RunContext): Promise<string> {
  const fromStep = context.resources.images.resolve(name);
  if (fromStep !== name) return fromStep;
  const pinned = context.baseImages?.idOf(name);
  if (pinned !== undefined) return pinned;
  const scoped = scopedImageRef(name, context.scope);
  if (scoped !== undefined && (await context.engine.inspectImage(scoped)) !== undefined) {
    // Named after a base image that came after the start (a pull): the base image is meant.
    return (await isBaseImage(name, context)) ? name : scoped;
  }
  return name;
}

/** Whether `name`, as it is, names an image no grading made (a base image). */
export async function isBaseImage(name: string, context: RunContext): Promise<boolean> {
  const image = await context.engine.inspectImage(name);
  return (
    image !== undefined &&
    image.labels[RUN_LABEL] === undefined &&
    !isRunReference(name, context.engine.runId) &&
    !/^docker-autograder\//.test(name)
  );
}

function scopedImageRef(name: string, scope: string): string | undefined {
  if (name.includes('@') || /^(sha256:)?[0-9a-f]{12,64}$/.test(name)) return undefined;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const [repository, tag] = colon > slash ? [name.slice(0, colon), name.slice(colon + 1)] : [name, 'latest'];
  return repository === '' ? undefined : `${resourceName(scope, repository)}:${tag}`;
}
