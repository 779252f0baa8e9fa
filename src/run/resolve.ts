// Finds the container a spec names. Exercises name containers the way the student knows them:
// a run step's name, a compose service's name, or the name the student's script gave it.
import type { ContainerState } from '../engine/engine';
import type { Failure, RunContext } from './context';

export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';

/** Looked up in order: run steps, services of this exercise's compose projects, engine names. */
export async function resolveContainer(
  ref: string,
  context: RunContext,
): Promise<ContainerState | undefined> {
  const fromStep = context.resources.container(ref);
  if (fromStep) return context.engine.findContainer(fromStep.id);
  for (const project of context.resources.composeProjects) {
    const [service] = await context.engine.listContainers({
      [COMPOSE_PROJECT_LABEL]: project,
      [COMPOSE_SERVICE_LABEL]: ref,
    });
    if (service) return context.engine.findContainer(service.id);
  }
  return context.engine.findContainer(ref);
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

/** The name a student knows a container by: its run step or compose service, else its engine name. */
export function friendlyName(
  state: { name: string; id: string; labels: Record<string, string> },
  context: RunContext,
): string {
  const service = state.labels[COMPOSE_SERVICE_LABEL];
  const project = state.labels[COMPOSE_PROJECT_LABEL];
  if (service && project && context.resources.composeProjects.includes(project)) return service;
  return context.resources.stepNameOf(state.name) ?? context.resources.stepNameOf(state.id) ?? state.name;
}

/** Where a container port is reachable from the grader: published by a run step, or by the student. */
export function hostPortOf(state: ContainerState, port: number): number | undefined {
  return state.publishedPorts[`${port}/tcp`] ?? state.portBindings[`${port}/tcp`]?.[0];
}
