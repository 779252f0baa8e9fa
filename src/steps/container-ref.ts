// The container a step acts on, by the name the exercise gives it (run step, compose service, or
// the engine name a student's script chose).
import type { ContainerState } from '../engine/engine';
import { type Failure, type RunContext, refusal } from '../run/context';
import { resolveContainer } from '../run/resolve';

export async function existingContainer(
  ref: string,
  context: RunContext,
): Promise<ContainerState | { failure: Failure }> {
  const state = await resolveContainer(ref, context);
  if (state === undefined) {
    return {
      failure: {
        message: `there is no container "${ref}"`,
        expected: `a container "${ref}"`,
        actual: 'none',
      },
    };
  }
  return state;
}

export function stateSummary(state: ContainerState): string {
  if (state.running) return state.health ? `running (${state.health})` : 'running';
  return `${state.status}, exit code ${state.exitCode}${state.oomKilled ? ', out of memory' : ''}`;
}

/** The engine refusing an action on a container (a bad signal, a mount gone) is not the grader's fault. */
export function refused(action: string, ref: string, error: unknown): Failure {
  return refusal(`container "${ref}" could not ${action}`, error);
}
