import type { Failure, RunContainer, RunContext } from '../run/context';

/** The container a run step started, if it is still running; otherwise why not, for the student. */
export async function runningContainer(
  stepName: string,
  context: RunContext,
): Promise<RunContainer | { failure: Failure }> {
  const container = context.resources.container(stepName);
  if (container === undefined) {
    return { failure: { message: `container "${stepName}" was never started` } };
  }
  const state = await context.engine.inspectContainer(container.id);
  if (!state.running) {
    const why = state.oomKilled ? 'it ran out of memory' : `exit code ${state.exitCode}`;
    return { failure: { message: `container "${stepName}" is not running (${state.status}, ${why})` } };
  }
  return container;
}
