// The kinds the exercise language has: what the schema (exercise-schema.ts) and the semantic
// rules (semantics.ts) are composed from. A test composes them from other kinds (a toy kind).
// The step kinds bring their runtime along (the proxy, the student's docker); bundles hold it
// anyway, and the schema's generator (scripts/build-schema.mjs) only reads their descriptions.
import type { AnyCheckDefinition } from '../checks/check';
import { CHECK_DEFINITIONS } from '../checks/registry';
import { STEP_DEFINITIONS } from '../steps/registry';
import type { AnyStepDefinition } from '../steps/step';
import { type AnyWaitDefinition, WAIT_DEFINITIONS } from '../steps/waits/registry';

export interface ExerciseLanguage {
  /** Check kinds, in the order messages list them. */
  checks: readonly AnyCheckDefinition[];
  /** Step kinds. */
  steps: readonly AnyStepDefinition[];
  /** Wait conditions (`wait:` of run, recreate and wait steps). */
  waits: readonly AnyWaitDefinition[];
}

export const EXERCISE_LANGUAGE: ExerciseLanguage = {
  checks: CHECK_DEFINITIONS,
  steps: STEP_DEFINITIONS,
  waits: WAIT_DEFINITIONS,
};
