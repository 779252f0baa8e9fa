// A container that has only just started is not yet known to keep running: a main process that
// forks into the background (nginx without `daemon off;`) or crashes at once exits a moment
// later, and the daemon learns of that exit a moment after it happens. Under load both moments
// stretch, so "running" read right after the start can be a state that is already over.
import type { ContainerState } from '../engine/engine';
import { InfraError } from '../shared/errors';
import { type RunContext, remainingMs } from './context';

/** "Keeps running" means still running this long after the container (last) started. */
export const SETTLE_UPTIME_MS = 1000;

/**
 * The container's state once it has been up SETTLE_UPTIME_MS (waiting, by the engine's wait
 * call, only for what is left of that time), or as soon as it stops before then; undefined when
 * it was removed meanwhile (`--rm`). A stopped container, or one up longer, is returned as it is.
 */
export async function settledState(
  state: ContainerState,
  context: RunContext,
): Promise<ContainerState | undefined> {
  if (!state.running || state.startedAt === undefined) return state;
  const upMs = context.now() - Date.parse(state.startedAt);
  // The engine's clock may be ahead of this one (a remote engine): never wait longer than the whole time.
  const leftMs = Math.min(SETTLE_UPTIME_MS, SETTLE_UPTIME_MS - upMs);
  // Within the exercise's time limit: a check started at its end looks once, as before.
  const waitMs = leftMs > 0 ? remainingMs(context, Math.ceil(leftMs)) : 0;
  if (waitMs <= 0) return state;
  try {
    await context.engine.waitForExit(state.id, waitMs);
  } catch (error) {
    // Not an engine fault: the container is gone (removed as it stopped), which findContainer says.
    if (error instanceof InfraError) throw error;
  }
  // Read again either way: health and restarts may have moved on while it was waited for.
  return context.engine.findContainer(state.id);
}
