// The step kinds, in the order the language lists them. Adding a kind is one line here and its
// own file in kinds/: the schema, the rules, the step types (spec/types.ts) and running all read
// this list.
import type { Failure, RunContext } from '../run/context';
import type { StepSpec } from '../spec/types';
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
import type { AnyStepDefinition } from './step';

export const STEP_DEFINITIONS = [
  buildStep,
  runStep,
  execStep,
  copyStep,
  stopStep,
  killStep,
  restartStep,
  recreateStep,
  networkStep,
  volumeStep,
  waitStep,
  scriptStep,
  composeStep,
] as const;

const BY_KIND = new Map<string, AnyStepDefinition>(
  STEP_DEFINITIONS.map((definition) => [definition.kind, definition]),
);

/** A validated step has exactly one key, naming its kind. */
function entry(step: StepSpec): { definition: AnyStepDefinition; body: Record<string, unknown> } {
  const [kind, body] = Object.entries(step)[0] ?? [];
  const definition = kind === undefined ? undefined : BY_KIND.get(kind);
  if (definition === undefined) throw new Error(`unknown step kind: ${String(kind)}`);
  // The schema made the body an object of the definition's own shape.
  return { definition, body: body as Record<string, unknown> };
}

export function describeStep(step: StepSpec): string {
  const { definition, body } = entry(step);
  return definition.describe(body);
}

export function runStepSpec(step: StepSpec, context: RunContext): Promise<Failure | undefined> {
  const { definition, body } = entry(step);
  return definition.run(body, context);
}
