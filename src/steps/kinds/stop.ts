import { LIMITS, timeoutMs } from '../../spec/duration';
import { existingContainer, refused } from '../container-ref';
import type { StepDefinition } from '../step';

export const stopStep: StepDefinition<'stop'> = {
  kind: 'stop',
  describe: (step) => `stop container "${step.container}"`,
  async run(step, context) {
    const container = await existingContainer(step.container, context);
    if ('failure' in container) return container.failure;
    const graceSeconds = Math.ceil(timeoutMs(step.timeout, LIMITS.stop) / 1000);
    try {
      await context.engine.stopContainer(container.id, graceSeconds);
    } catch (error) {
      return refused('be stopped', step.container, error);
    }
    return undefined;
  },
};
