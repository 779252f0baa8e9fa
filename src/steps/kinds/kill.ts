// The `kill` step: a signal sent to a running container.
import { runningContainer } from '../../run/resolve';
import { objectOf, pattern, ref, required } from '../../spec/json-schema';
import { refused } from '../container-ref';
import { defineStep } from '../step';

/** How long a SIGKILLed container may take to be reported stopped, so that checks see it stopped. */
const KILL_SETTLE_MS = 10_000;

export const killStep = defineStep('kill', {
  schema: objectOf({
    container: required(ref('containerRef')),
    signal: pattern('^(SIG)?[A-Z0-9]+$'),
  }),
  containerKey: 'container',
  describe: (step) => `send ${signalName(step.signal)} to container "${step.container}"`,
  async run(step, context) {
    const container = await runningContainer(step.container, context);
    if ('failure' in container) return container.failure;
    const signal = signalName(step.signal);
    try {
      await context.engine.killContainer(container.id, signal);
    } catch (error) {
      return refused(`be sent ${signal}`, step.container, error);
    }
    // Other signals may be handled (SIGHUP reloads nginx); only SIGKILL surely ends the container,
    // and the checks after this step should see it stopped.
    if (signal === 'SIGKILL' || signal === '9') {
      await context.engine.waitForExit(container.id, KILL_SETTLE_MS);
    }
    return undefined;
  },
});

function signalName(signal = 'SIGKILL'): string {
  return signal.startsWith('SIG') || /^[0-9]+$/.test(signal) ? signal : `SIG${signal}`;
}
