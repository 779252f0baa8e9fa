// The `volume` step: a named volume, created with the run's labels and scoped name.
import { scopeLabels } from '../../naming/labels';
import { resourceName } from '../../naming/resource-names';
import { errorMessage, InfraError } from '../../shared/errors';
import { objectOf, ref, required } from '../../spec/json-schema';
import { defineStep } from '../step';

export const volumeStep = defineStep('volume', {
  schema: objectOf({ name: required(ref('name')) }),
  validate(step, rules) {
    rules.uniqueName(['name'], step.name);
  },
  describe: (step) => `create volume "${step.name}"`,
  async run(step, context) {
    const name = resourceName(context.scope, step.name);
    try {
      await context.engine.createVolume({ name, labels: scopeLabels(context.scope) });
    } catch (error) {
      if (error instanceof InfraError) throw error;
      return { message: `volume "${step.name}" could not be created: ${errorMessage(error)}` };
    }
    context.resources.volumes.add(step.name, name);
    return undefined;
  },
});
