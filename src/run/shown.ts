// What a student is shown of what the engine holds, in the student's own terms: the names they
// gave containers and images and the host ports they asked for, with what the engine gate did to
// them (scoped names, ephemeral ports on 127.0.0.1) undone. The other way, from the names an
// exercise uses to the engine's objects, is resolve.ts.
import type { ContainerState } from '../engine/engine';
import { STUDENT_PORTS_LABEL, studentPorts } from '../naming/labels';
import { resourceName } from '../naming/resource-names';
import type { RunContext } from './context';
import {
  COMPOSE_PROJECT_LABEL,
  COMPOSE_SERVICE_LABEL,
  isBaseImage,
  madeByExercise,
  studentContainerName,
} from './resolve';

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

/** An image reference as the student wrote it: the gate's scope prefix removed. */
export function shownImageName(image: string, context: RunContext): string {
  const prefix = resourceName(context.scope, '');
  return image.startsWith(prefix) ? image.slice(prefix.length) : image;
}
