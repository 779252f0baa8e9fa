// What a step kind is: its description (schema, rules) and how it runs.
import type { Failure, RunContext } from '../run/context';
import type { JsonSchema } from '../spec/json-schema';
import type { StepRules } from '../spec/rules';
import type { StepKinds } from '../spec/types';

/**
 * One step kind: its part of the JSON Schema, the rules the schema cannot express, how it reads
 * in the log, and how it is carried out. A returned Failure is the student's; InfraError is
 * thrown. The schema (spec/exercise-schema.ts) and the semantic rules (spec/semantics.ts) are
 * composed from the registry's list (registry.ts).
 */
export interface StepDefinition<K extends keyof StepKinds> {
  kind: K;
  /** The step's body (`definitions.<kind>Step`). */
  schema: JsonSchema;
  /** The rules beyond the schema; problems go to `rules`, at paths relative to the body. */
  validate?(step: StepKinds[K], rules: StepRules): void;
  describe(step: StepKinds[K]): string;
  run(step: StepKinds[K], context: RunContext): Promise<Failure | undefined>;
}

/** Any kind's definition, as the composing functions take them. */
export type AnyStepDefinition = StepDefinition<keyof StepKinds>;
