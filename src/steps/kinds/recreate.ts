// The `recreate` step: a run step's container removed and created again from the same request and
// mounts.
import { objectOf, ref, required } from '../../spec/json-schema';
import { existingContainer, refused } from '../container-ref';
import { waitUntilReady } from '../readiness';
import { defineStep } from '../step';

export const recreateStep = defineStep('recreate', {
  schema: objectOf('Removes the container and creates it again with the same configuration and mounts.', {
    container: required(ref('name', "A run step's name.")),
    wait: ref('wait'),
  }),
  validate(step, rules) {
    // Recreating needs the run step's configuration: a container a script made will not do.
    rules.container(['container'], step.container, true);
    rules.wait(['wait'], step.wait, rules.publishedPorts(step.container));
  },
  describe: (step) => `recreate container "${step.container}" with the same configuration and mounts`,
  async run(step, context) {
    const previous = context.resources.containers.get(step.container);
    if (previous === undefined) {
      return { message: `no run step started a container "${step.container}", so it cannot be recreated` };
    }
    const current = await existingContainer(step.container, context);
    if (!('failure' in current)) {
      // Stopped first, gracefully: a database flushes its data to the volume that must survive.
      try {
        await context.engine.stopContainer(current.id);
        await context.engine.removeContainer(current.id);
      } catch (error) {
        return refused('be removed', step.container, error);
      }
    }
    let id: string;
    try {
      id = await context.engine.createContainer(previous.request);
    } catch (error) {
      return refused('be created again', step.container, error);
    }
    context.resources.containers.add(step.container, { ...previous, id });
    try {
      await context.engine.startContainer(id);
    } catch (error) {
      return refused('start again', step.container, error);
    }
    const wait = step.wait ?? previous.wait;
    return wait ? waitUntilReady(step.container, id, wait, context) : undefined;
  },
});
