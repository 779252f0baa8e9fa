// The `wait` step: a pause, or until a container's wait conditions hold (steps/waits/).
import { setTimeout as delay } from 'node:timers/promises';
import { remainingMs } from '../../run/context';
import { durationMs } from '../../spec/duration';
import { objectSchema, ref } from '../../spec/json-schema';
import type { WaitConditions, WaitStep } from '../../spec/types';
import { existingContainer } from '../container-ref';
import { waitUntilReady } from '../readiness';
import type { StepDefinition } from '../step';
import { describeConditions } from '../waits/registry';

export const waitStep: StepDefinition<'wait'> = {
  kind: 'wait',
  schema: objectSchema({
    description: 'Waits for a container condition, or a fixed duration.',
    properties: {
      container: ref('containerRef'),
      duration: ref('duration', 'Just wait this long.'),
      log: { $ref: '#/definitions/wait/properties/log' },
      http: { $ref: '#/definitions/wait/properties/http' },
      port: ref('port'),
      healthy: { const: true },
      exited: { const: true },
      timeout: ref('duration', 'Default 30s, at most 10m.'),
    },
  }),
  validate(step, rules) {
    if (step.container !== undefined) rules.container(['container'], step.container);
    const conditions = rules.waitConditions.filter((key) => key in step);
    if (step.duration === undefined && (step.container === undefined || conditions.length === 0)) {
      rules.problem(
        [],
        `a wait step needs a duration, or a container and a condition (${rules.waitConditions.join(', ')})`,
      );
    }
    rules.wait([], step, step.container === undefined ? undefined : rules.publishedPorts(step.container));
  },
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
