// The action's post step: removes whatever the run left on the engine (it runs even when the
// job was cancelled or the main step crashed).
import { createDockerEngine } from '../engine/docker-engine';
import { errorMessage } from '../shared/errors';
import type { ActionCore } from './core';
import { STATE_DOCKER_HOST, STATE_RUN_ID } from './state';

export async function post(core: ActionCore): Promise<void> {
  const runId = core.getState(STATE_RUN_ID);
  if (!runId) return;
  try {
    const host = core.getState(STATE_DOCKER_HOST);
    const removed = await createDockerEngine(runId, host || undefined).removeResources();
    const total = removed.containers + removed.networks + removed.volumes + removed.images;
    core.info(
      total === 0 ? 'nothing left to clean up' : `removed ${total} leftover resources of run ${runId}`,
    );
    for (const failure of removed.failures) core.warning(`could not remove: ${failure}`);
  } catch (error) {
    core.warning(`cleanup failed: ${errorMessage(error)}`);
  }
}
