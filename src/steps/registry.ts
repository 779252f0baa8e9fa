// The step kinds, one line each: the schema, the rules and running all read this list.
import type { Failure, RunContext } from '../run/context';
import type { StepKind, StepKinds, StepSpec } from '../spec/types';
import { buildStep } from './kinds/build';
import { composeStep } from './kinds/compose';
import { copyStep } from './kinds/copy';
import { execStep } from './kinds/exec';
import { killStep } from './kinds/kill';
import { networkStep } from './kinds/network';
import { recreateStep } from './kinds/recreate';
import { restartStep } from './kinds/restart';
import { runStep } from './kinds/run';
import { scriptStep } from './kinds/script';
import { stopStep } from './kinds/stop';
import { volumeStep } from './kinds/volume';
import { waitStep } from './kinds/wait';
import type { AnyStepDefinition, StepDefinition } from './step';

// Adding a kind is one line here and its own file in kinds/.
const STEPS: { [K in StepKind]: StepDefinition<K> } = {
  build: buildStep,
  run: runStep,
  exec: execStep,
  copy: copyStep,
  stop: stopStep,
  kill: killStep,
  restart: restartStep,
  recreate: recreateStep,
  network: networkStep,
  volume: volumeStep,
  wait: waitStep,
  script: scriptStep,
  compose: composeStep,
};

/** The step kinds in the language's order: the schema and the semantic rules are composed from it. */
export const STEP_DEFINITIONS: readonly AnyStepDefinition[] = Object.values(STEPS);

/** A validated step has exactly one key, naming its kind. */
function entry(step: StepSpec): { definition: StepDefinition<StepKind>; body: StepKinds[StepKind] } {
  const kind = Object.keys(step)[0] as StepKind | undefined;
  if (kind === undefined || !(kind in STEPS)) throw new Error(`unknown step kind: ${String(kind)}`);
  // The definition and the body come from the same key, so their kinds agree.
  return {
    definition: STEPS[kind] as StepDefinition<StepKind>,
    body: (step as Record<StepKind, StepKinds[StepKind]>)[kind],
  };
}

export function describeStep(step: StepSpec): string {
  const { definition, body } = entry(step);
  return definition.describe(body as never);
}

export function runStepSpec(step: StepSpec, context: RunContext): Promise<Failure | undefined> {
  const { definition, body } = entry(step);
  return definition.run(body as never, context);
}
