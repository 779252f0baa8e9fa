import { setTimeout as delay } from 'node:timers/promises';
import { remainingMs } from '../../run/context';
import { durationMs } from '../../spec/duration';
import type { WaitConditions, WaitStep } from '../../spec/types';
import { existingContainer } from '../container-ref';
import { waitUntilReady } from '../readiness';
import type { StepDefinition } from '../step';
import { describeConditions } from '../waits/registry';

export const waitStep: StepDefinition<'wait'> = {
  kind: 'wait',
  describe: (step) => {
    const parts: string[] = [];
    if (step.duration !== undefined) parts.push(`wait ${step.duration}`);
    if (step.container !== undefined) {
      parts.push(`wait until ${describeConditions(conditions(step))} (container "${step.container}")`);
    }
    return parts.join(', then ') || 'wait';
  },
  async run(step, context) {
    if (step.duration !== undefined) {
      await delay(remainingMs(context, durationMs(step.duration)));
    }
    if (step.container === undefined) return undefined;
    const container = await existingContainer(step.container, context);
    if ('failure' in container) return container.failure;
    return waitUntilReady(step.container, container.id, conditions(step), context);
  },
};

function conditions(step: WaitStep): WaitConditions {
  const { container: _container, duration: _duration, ...wait } = step;
  return wait;
}
