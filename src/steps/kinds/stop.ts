// The `stop` step: a container stopped as `docker stop` does, with its grace period.
import { LIMITS, timeoutMs } from '../../spec/duration';
import { objectOf, ref, required } from '../../spec/json-schema';
import { existingContainer, refused } from '../container-ref';
import { defineStep } from '../step';

export const stopStep = defineStep('stop', {
  schema: objectOf({
    container: required(ref('containerRef')),
    timeout: ref('duration', 'Grace period before SIGKILL, default 10s.'),
  }),
  containerKey: 'container',
  validate(step, rules) {
    rules.timeout(['timeout'], step.timeout, LIMITS.stop);
  },
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
});
