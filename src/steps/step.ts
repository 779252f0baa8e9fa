// What a step kind is: its description (schema, container key, rules) and how it runs.
import type { Failure, RunContext } from '../run/context';
import type { SchemaOf } from '../spec/json-schema';
import type { StepRules } from '../spec/rules';

/**
 * One step kind: the key that names it in an exercise, its body's part of the JSON Schema (which
 * gives the body's type), the rules the schema cannot express, how it reads in the log, and how it
 * is carried out. A returned Failure is the student's; InfraError is thrown. The registry
 * (registry.ts) lists the kinds; the schema (spec/exercise-schema.ts), the semantic rules
 * (spec/semantics.ts) and the step types (spec/types.ts) are composed from that list.
 */
export interface StepDefinition<Kind extends string, Body> extends StepParts<Body> {
  kind: Kind;
}

/** What a kind's definition says beside its key. */
export interface StepParts<Body> {
  /** The step's body (`definitions.<kind>Step`). */
  schema: SchemaOf<Body>;
  /** The body's key that names a container (checked against the exercise's run steps). */
  containerKey?: keyof Body & string;
  /** The rules beyond the schema; problems go to `rules`, at paths relative to the body. */
  validate?(step: Body, rules: StepRules): void;
  describe(step: Body): string;
  run(step: Body, context: RunContext): Promise<Failure | undefined>;
}

/** Any kind's definition, as the composing functions take them (its container key a plain string). */
export type AnyStepDefinition = Omit<StepDefinition<string, Record<string, unknown>>, 'containerKey'> & {
  containerKey?: string;
};

/** A kind's definition: its key, and its parts, whose body type is taken from their schema. */
export function defineStep<Kind extends string, Body>(
  kind: Kind,
  parts: StepParts<Body>,
): StepDefinition<Kind, Body> {
  return { kind, ...parts };
}

/** The body type of a kind's definition, as its schema gives it. */
export type StepBody<Definition> = Definition extends StepDefinition<string, infer Body> ? Body : never;
