// What a check kind is: its description (schema, rules, container key, readOnly) and how it
// observes.
import type { Failure, RunContext } from '../run/context';
import type { SourceLocation } from '../shared/errors';
import type { JsonSchema, SchemaOf } from '../spec/json-schema';
import type { CheckRules } from '../spec/rules';

/** Observed values, keyed like the check's `expect` (stdout, status, workdir, ...). */
export type Facts = Record<string, unknown>;

export type Observation =
  | {
      facts: Facts;
      /** Where in the student's files each fact comes from (e.g. the Dockerfile's CMD line). */
      locations?: Record<string, SourceLocation>;
      /** What the student should know when the check fails (e.g. where the container is instead). */
      note?: string;
    }
  | { failure: Failure };

/**
 * One check kind, all of it: the key that names it in an exercise, its part of the JSON Schema,
 * the rules the schema cannot express, how it is scheduled and how it observes. Comparing with
 * `expect` is shared (evaluate.ts). The registry (registry.ts) lists the kinds; the schema
 * (spec/exercise-schema.ts), the semantic rules (spec/semantics.ts), the schedule (schedule.ts)
 * and observing are composed from that list.
 */
export interface CheckDefinition<Kind extends string, Target, Expect> {
  kind: Kind;
  schema: {
    /** The target's schema (`definitions.<kind>Check`). */
    target: JsonSchema;
    /** What may be expected (`definitions.<kind>Expect`); none: the check takes no `expect`. */
    expect?: JsonSchema;
  };
  /** The target's key that names a container (checked against the exercise's run steps). */
  containerKey?: keyof Target & string;
  /**
   * True when observing changes nothing any other check could see (it reads a config, a file,
   * logs, the student's files): such checks may run together (schedule.ts). False when it may
   * (a request, a probe, a rebuild, a command).
   */
  readOnly: boolean;
  /** The rules beyond the schema; problems go to `rules`, at paths relative to the target. */
  validate?(target: Target, rules: CheckRules, expect: Expect | undefined): void;
  observe(target: Target, context: RunContext): Promise<Observation>;
}

/** Any kind's definition, as the composing functions take them. */
export type AnyCheckDefinition = Omit<
  CheckDefinition<string, Record<string, unknown>, Record<string, unknown>>,
  'containerKey'
> & { containerKey?: string };

/**
 * A kind's definition as its file writes it: its key, then the target's and expect's schemas
 * beside the rest, so that the target and expect types follow from them (json-schema.ts's
 * builders carry the types). No `expect`: the check takes none.
 */
export function defineCheck<const Kind extends string, Target, Expect = Record<string, never>>(
  kind: Kind,
  parts: Omit<CheckDefinition<Kind, NoInfer<Target>, NoInfer<Expect>>, 'kind' | 'schema'> & {
    target: SchemaOf<Target>;
    expect?: SchemaOf<Expect>;
  },
): CheckDefinition<Kind, Target, Expect> {
  const { target, expect, ...definition } = parts;
  return { kind, ...definition, schema: { target, ...(expect === undefined ? {} : { expect }) } };
}

/** The target type of a kind's definition (for the code that runs its checks outside observe). */
export type TargetOf<D> = D extends CheckDefinition<string, infer Target, infer _Expect> ? Target : never;
