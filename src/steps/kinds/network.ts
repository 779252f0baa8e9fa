// The `network` step: a user-defined network, created with the run's labels and scoped name.
import { scopeLabels } from '../../naming/labels';
import { resourceName } from '../../naming/resource-names';
import { errorMessage, InfraError } from '../../shared/errors';
import { objectOf, ref, required, text, typed } from '../../spec/json-schema';
import { defineStep } from '../step';

export const networkStep = defineStep('network', {
  schema: objectOf({
    name: required(ref('name')),
    driver: text(),
    internal: typed<boolean>({ type: 'boolean' }),
  }),
  validate(step, rules) {
    rules.uniqueName(['name'], step.name);
    rules.declare({ network: step.name });
  },
  describe: (step) => `create network "${step.name}"${step.internal ? ' (internal)' : ''}`,
  async run(step, context) {
    const name = resourceName(context.scope, step.name);
    try {
      await context.engine.createNetwork({
        name,
        driver: step.driver,
        internal: step.internal,
        labels: scopeLabels(context.scope),
      });
    } catch (error) {
      // An unknown driver, say: the exercise's to fix, reported like a failed step.
      if (error instanceof InfraError) throw error;
      return { message: `network "${step.name}" could not be created: ${errorMessage(error)}` };
    }
    context.resources.networks.add(step.name, name);
    return undefined;
  },
});
