// The `stop` step: a container stopped as `docker stop` does, with its grace period.
import { LIMITS, timeoutMs } from '../../spec/duration';
import { objectSchema, ref } from '../../spec/json-schema';
import { existingContainer, refused } from '../container-ref';
import type { StepDefinition } from '../step';

export const stopStep: StepDefinition<'stop'> = {
  kind: 'stop',
  schema: objectSchema({
    required: ['container'],
    properties: {
      container: ref('containerRef'),
      timeout: ref('duration', 'Grace period before SIGKILL, default 10s.'),
    },
  }),
  validate(step, rules) {
    rules.container(['container'], step.container);
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
};
