// The kinds the exercise language has: what the schema (exercise-schema.ts) and the semantic
// rules (semantics.ts) are composed from. A test composes them from other kinds (a toy kind).
import type { AnyCheckDefinition } from '../checks/check';
import { CHECK_DEFINITIONS } from '../checks/registry';

export interface ExerciseLanguage {
  /** Check kinds, in the order messages list them. */
  checks: readonly AnyCheckDefinition[];
}

export const EXERCISE_LANGUAGE: ExerciseLanguage = { checks: CHECK_DEFINITIONS };
