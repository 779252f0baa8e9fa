// Student text printed to the runner's log between stop-commands markers, so it can never be read
// as a workflow command.
import { newStopToken, stopCommandsMarkers } from '../report/sanitize';
import type { ActionCore } from './core';

/**
 * Everything printed while student code runs (or while a student's report is shown) is inside a
 * stop-commands block with a token nobody can guess, so no output line becomes a workflow command.
 */
export async function inUntrustedBlock<T>(core: ActionCore, work: () => Promise<T>): Promise<T> {
  const { start, end } = stopCommandsMarkers(newStopToken());
  core.info(start);
  try {
    return await work();
  } finally {
    core.info(end);
  }
}
