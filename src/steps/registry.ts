import type { Failure, RunContext } from '../run/context';
import type { StepKinds, StepSpec } from '../spec/types';
import { buildStep } from './build';
import { runStep } from './run';
import type { StepDefinition } from './step';

type Registry = { [K in keyof StepKinds]: StepDefinition<K> };

const STEPS: Registry = {
  build: buildStep,
  run: runStep,
};

function entry<K extends keyof StepKinds>(
  kind: K,
  step: StepSpec,
): { definition: StepDefinition<K>; body: StepKinds[K] } {
  return { definition: STEPS[kind], body: (step as Record<K, StepKinds[K]>)[kind] };
}

function kindOf(step: StepSpec): keyof StepKinds {
  const kind = Object.keys(step)[0];
  if (kind === undefined || !(kind in STEPS)) throw new Error(`unknown step kind: ${String(kind)}`);
  return kind as keyof StepKinds;
}

export function describeStep(step: StepSpec): string {
  const { definition, body } = entry(kindOf(step), step);
  return (definition.describe as (body: unknown) => string)(body);
}

export function runStepSpec(step: StepSpec, context: RunContext): Promise<Failure | undefined> {
  const { definition, body } = entry(kindOf(step), step);
  return (definition.run as (body: unknown, context: RunContext) => Promise<Failure | undefined>)(
    body,
    context,
  );
}
