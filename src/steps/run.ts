import { scopeLabels } from '../engine/labels';
import { errorMessage, InfraError } from '../errors';
import type { Failure } from '../run/context';
import { containerName } from './names';
import type { StepDefinition } from './step';
import { waitUntilReady } from './wait';

export const runStep: StepDefinition<'run'> = {
  kind: 'run',
  describe: (step) => `run container "${step.name}" from ${step.image}`,
  async run(step, context) {
    const image = context.resources.imageRef(step.image);
    if ((await context.engine.inspectImage(image)) === undefined) {
      return {
        message: `image "${step.image}" is not available (no build step made it and it is not on the engine)`,
      };
    }
    const name = containerName(context.scope, step.name);
    let id: string;
    try {
      id = await context.engine.createContainer({
        name,
        image,
        cmd: typeof step.command === 'string' ? ['/bin/sh', '-c', step.command] : step.command,
        entrypoint: step.entrypoint,
        env:
          step.env &&
          Object.fromEntries(Object.entries(step.env).map(([key, value]) => [key, String(value)])),
        ports: step.ports,
        user: step.user,
        workdir: step.workdir,
        labels: scopeLabels(context.scope),
      });
    } catch (error) {
      return refusedBy('create', step.name, error);
    }
    context.resources.addContainer(step.name, { id, name, ports: step.ports ?? [] });
    try {
      await context.engine.startContainer(id);
    } catch (error) {
      return refusedBy('start', step.name, error);
    }
    return step.wait ? waitUntilReady(step.name, id, step.wait, context) : undefined;
  },
};

/** The engine refusing a container (bad command, unknown user) is the student's to fix. */
function refusedBy(action: string, stepName: string, error: unknown): Failure {
  if (error instanceof InfraError) throw error;
  return { message: `container "${stepName}" could not ${action}: ${errorMessage(error)}` };
}
