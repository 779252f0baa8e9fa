// Finds the container a spec names. Exercises name containers the way the student knows them:
// a run step's name, a compose service's name, or the name the student's script gave it. The
// engine gate (contract 2) gives what a student creates a name scoped to the run, and records
// the student's own name and requested host ports in labels, read here.
import type { ContainerState } from '../engine/engine';
import { isRunReference } from '../naming/image-references';
import {
  RUN_LABEL,
  SCOPE_LABEL,
  STUDENT_PORTS_LABEL,
  studentNameLabel,
  studentPorts,
} from '../naming/labels';
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

/**
 * The name a student knows a container by: its run step or compose service, the name their
 * docker command gave it, else its engine name.
 */
export function friendlyName(
  state: { name: string; id: string; labels: Record<string, string> },
  context: RunContext,
): string {
  const service = state.labels[COMPOSE_SERVICE_LABEL];
  const project = state.labels[COMPOSE_PROJECT_LABEL];
  if (service && project && context.resources.composeProjects.includes(project)) return service;
  // A run step's container, by its engine name or id.
  const runStepOf = (nameOrId: string): string | undefined =>
    context.resources.containers.stepWhere(
      (container) => container.name === nameOrId || container.id === nameOrId,
    );
  return runStepOf(state.name) ?? runStepOf(state.id) ?? studentContainerName(state, context) ?? state.name;
}

/**
 * Host ports bound for each container port; for a container the student published through the
 * gate, the host ports they asked for (the real ones are ephemeral on 127.0.0.1, so that two
 * gradings on one engine never collide). Checks connect to the real ones (hostPortOf).
 */
export function shownPortBindings(state: ContainerState, context: RunContext): Record<string, number[]> {
  if (!madeByExercise(state.labels, context)) return state.portBindings;
  return { ...state.portBindings, ...studentPorts(state.labels[STUDENT_PORTS_LABEL]) };
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
async function isBaseImage(name: string, context: RunContext): Promise<boolean> {
  const image = await context.engine.inspectImage(name);
  return (
    image !== undefined &&
    image.labels[RUN_LABEL] === undefined &&
    !isRunReference(name, context.engine.runId) &&
    !/^docker-autograder\//.test(name)
  );
}

/**
 * The image a container runs, named the way the student knows it, by identity: the name the
 * container was created with (the scope prefix removed) when that name stands for this very
 * image (a base image: its pinned id; the student's own tag: what it points at now), else the
 * image's short id, as `docker ps` shows an image whose tag moved. A container of a student's
 * image tagged with a base image's name never shows that name.
 */
export async function shownContainerImage(state: ContainerState, context: RunContext): Promise<string> {
  const shown = shownImageName(state.image, context);
  if (state.imageId === undefined) return shown;
  const scoped = shown !== state.image;
  let identity: string | undefined;
  if (scoped) {
    const lookalike = context.baseImages?.idOf(shown) !== undefined || (await isBaseImage(shown, context));
    identity = lookalike ? undefined : (await context.engine.inspectImage(state.image))?.id;
  } else {
    identity = context.baseImages?.idOf(state.image) ?? (await context.engine.inspectImage(state.image))?.id;
  }
  if (identity === state.imageId || state.image === state.imageId) return shown;
  const shortId = state.imageId.replace(/^sha256:/, '').slice(0, 12);
  return scoped ? `${shortId} (the student's own image tagged ${shown})` : shortId;
}

function scopedImageRef(name: string, scope: string): string | undefined {
  if (name.includes('@') || /^(sha256:)?[0-9a-f]{12,64}$/.test(name)) return undefined;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const [repository, tag] = colon > slash ? [name.slice(0, colon), name.slice(colon + 1)] : [name, 'latest'];
  return repository === '' ? undefined : `${resourceName(scope, repository)}:${tag}`;
}

/** An image reference as the student wrote it: the gate's scope prefix removed. */
export function shownImageName(image: string, context: RunContext): string {
  const prefix = resourceName(context.scope, '');
  return image.startsWith(prefix) ? image.slice(prefix.length) : image;
}
