// The `wait` step: a pause, or until a container's wait conditions hold (steps/waits/).
import { setTimeout as delay } from 'node:timers/promises';
import { type Failure, remainingMs } from '../../run/context';
import { durationMs } from '../../spec/duration';
import { objectOf, ref, type SchemaOf } from '../../spec/json-schema';
import type { WaitConditions, WaitKey } from '../../spec/types';
import { existingContainer } from '../container-ref';
import { waitUntilReady } from '../readiness';
import { defineStep, type StepBody } from '../step';
import { describeConditions, WAIT_DEFINITIONS } from '../waits/registry';

type ConditionKeys = { [K in WaitKey]: SchemaOf<WaitConditions[K]> };

/**
 * The wait conditions as a wait step takes them, beside its own keys: each by reference to its
 * property of `definitions.wait`, but a lone reference or constant (a port, `true`) written out,
 * without the description `wait` gives it.
 */
function conditionKeys(): ConditionKeys {
  const keys = WAIT_DEFINITIONS.map(({ key, schema }) => {
    const { description: _, ...bare } = schema;
    const short = Object.keys(bare).length === 1 && ('$ref' in bare || 'const' in bare);
    return [key, short ? bare : ref(`wait/properties/${key}`)];
  });
  // One key for each condition of the registry, which is typed over every WaitKey.
  return Object.fromEntries(keys) as ConditionKeys;
}

export const waitStep = defineStep('wait', {
  schema: objectOf('Waits for a container condition, or a fixed duration.', {
    container: ref('containerRef'),
    duration: ref('duration', 'Just wait this long.'),
    ...conditionKeys(),
    timeout: ref('duration', 'Default 30s, at most 10m.'),
  }),
  containerKey: 'container',
  validate(step, rules) {
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
  // The return type written out: what it returns reads conditions(step), whose parameter's type
  // (WaitStep) is derived from this very definition, so the compiler cannot infer it.
  async run(step, context): Promise<Failure | undefined> {
    if (step.duration !== undefined) {
      await delay(remainingMs(context, durationMs(step.duration)));
    }
    if (step.container === undefined) return undefined;
    const container = await existingContainer(step.container, context);
    if ('failure' in container) return container.failure;
    return waitUntilReady(step.container, container.id, conditions(step), context);
  },
});

type WaitStep = StepBody<typeof waitStep>;

function conditions(step: WaitStep): WaitConditions {
  const { container: _container, duration: _duration, ...wait } = step;
  return wait;
}
