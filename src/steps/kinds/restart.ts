// The `restart` step: a container restarted, then waited for as its run step said.
import { objectOf, ref, required } from '../../spec/json-schema';
import { existingContainer, refused, stateSummary } from '../container-ref';
import { waitUntilReady } from '../readiness';
import { defineStep } from '../step';

export const restartStep = defineStep('restart', {
  schema: objectOf({ container: required(ref('containerRef')) }),
  containerKey: 'container',
  describe: (step) => `restart container "${step.container}"`,
  async run(step, context) {
    const container = await existingContainer(step.container, context);
    if ('failure' in container) return container.failure;
    try {
      await context.engine.restartContainer(container.id);
    } catch (error) {
      return refused('be restarted', step.container, error);
    }
    // A run step's container is ready again only when its own `wait` holds again.
    const wait = context.resources.containers.get(step.container)?.wait;
    if (wait) return waitUntilReady(step.container, container.id, wait, context);
    const state = await context.engine.inspectContainer(container.id);
    if (!state.running) {
      return {
        message: `container "${step.container}" is not running after the restart (${stateSummary(state)})`,
        expected: 'running',
        actual: stateSummary(state),
      };
    }
    return undefined;
  },
});
