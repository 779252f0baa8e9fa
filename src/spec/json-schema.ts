// Pieces of JSON Schema (draft-07) as plain data: what each kind's definition gives for its part
// of schema/exercise.schema.json (scripts/build-schema.mjs writes the file). The helpers only
// spare the kinds from writing the same wrapping again; what they return is the schema as-is.
// They also carry, for the compiler alone, the type of the values a piece admits (SchemaOf), so
// that a check kind's target and expect types, and a step kind's body type, follow from its
// schema instead of being written again beside it.
import type { Command, Duration, Matcher, MatcherMap, StepMatcher, StringMap, WaitConditions } from './types';

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | JsonSchema;
export interface JsonSchema {
  readonly [key: string]: JsonValue;
}

declare const admits: unique symbol;
/**
 * A schema that admits values of type T. The type is never there at run time (the schema is
 * plain data); it lets objectOf and expectSchema give the type of the object they describe.
 */
export type SchemaOf<T> = JsonSchema & { readonly [admits]?: T };
/** The type of the values a schema admits; unknown for one written without a type. */
export type TypeOf<S> = S extends SchemaOf<infer T> ? T : never;

/** The types of the common definitions (schema/exercise.base.json) the kinds refer to. */
interface DefinitionTypes {
  command: Command;
  containerRef: string;
  duration: Duration;
  matcher: Matcher;
  matcherMap: MatcherMap;
  name: string;
  port: number;
  relativePath: string;
  stepMatchers: StepMatcher[];
  stringMap: StringMap;
  wait: WaitConditions;
}
type DefinitionType<D extends string> = D extends keyof DefinitionTypes ? DefinitionTypes[D] : unknown;

/** A reference to one of the schema's definitions, with a description of its own when given. */
export function ref<D extends string>(definition: D, description?: string): SchemaOf<DefinitionType<D>> {
  return { $ref: `#/definitions/${definition}`, ...(description === undefined ? {} : { description }) };
}

/** An expected value (`definitions.matcher`). */
export function matcher(description?: string): SchemaOf<Matcher> {
  return ref('matcher', description);
}

/** A step's `allowFailure`. */
export const ALLOW_FAILURE: SchemaOf<boolean> = {
  type: 'boolean',
  description: 'A non-zero exit code does not fail the step.',
};

/** A string that may not be empty. */
export function text(description?: string): SchemaOf<string> {
  return { type: 'string', minLength: 1, ...(description === undefined ? {} : { description }) };
}

/** A string matching a regular expression. */
export function pattern(regex: string, description?: string): SchemaOf<string> {
  return { type: 'string', pattern: regex, ...(description === undefined ? {} : { description }) };
}

/** A SHA-256 digest, as lower-case hex (what `sha256sum` prints). */
export function sha256Hex(): SchemaOf<string> {
  return pattern('^[0-9a-f]{64}$');
}

/** One of the values listed. */
export function enumOf<const V extends string>(values: readonly V[], description?: string): SchemaOf<V> {
  return { enum: values, ...(description === undefined ? {} : { description }) };
}

/** A schema written out in full, with the type of what it admits said by hand. */
export function typed<T>(schema: JsonSchema): SchemaOf<T> {
  return schema;
}

/** A property the object must have (objectOf lists it under `required`). */
export class RequiredProperty<T> {
  constructor(readonly schema: SchemaOf<T>) {}
}

/** Marks a property required where it is declared. */
export function required<T>(schema: SchemaOf<T>): RequiredProperty<T> {
  return new RequiredProperty(schema);
}

type Properties = Record<string, SchemaOf<unknown> | RequiredProperty<unknown>>;
type RequiredKeys<P extends Properties> = {
  [K in keyof P]: P[K] extends RequiredProperty<unknown> ? K : never;
}[keyof P];
type PropertyType<S> = S extends RequiredProperty<infer T> ? T : TypeOf<S>;
/** The object the properties describe: the required ones always there, the others optional. */
type ObjectOf<P extends Properties> = {
  [K in RequiredKeys<P>]: PropertyType<P[K]>;
} & { [K in Exclude<keyof P, RequiredKeys<P>>]?: PropertyType<P[K]> } extends infer O
  ? { [K in keyof O]: O[K] }
  : never;

/**
 * An object of only the keys declared, those marked required() listed under `required` (in the
 * order declared), and the description first when there is one: a check's target, a step's body,
 * or an object inside either.
 */
export function objectOf<P extends Properties>(properties: P): SchemaOf<ObjectOf<P>>;
export function objectOf<P extends Properties>(description: string, properties: P): SchemaOf<ObjectOf<P>>;
export function objectOf(...args: [Properties] | [string, Properties]): JsonSchema {
  const [description, declared] = args.length === 1 ? [undefined, args[0]] : args;
  const entries = Object.entries(declared);
  const requiredNames = entries
    .filter(([, property]) => property instanceof RequiredProperty)
    .map(([name]) => name);
  return {
    type: 'object',
    ...(description === undefined ? {} : { description }),
    ...(requiredNames.length === 0 ? {} : { required: requiredNames }),
    additionalProperties: false,
    properties: Object.fromEntries(
      entries.map(([name, property]) => [
        name,
        property instanceof RequiredProperty ? property.schema : property,
      ]),
    ),
  };
}

/** A check's `expect`: only the facts listed, at least one of them, none required. */
export function expectSchema<P extends Record<string, SchemaOf<unknown>>>(
  properties: P,
): SchemaOf<{ [K in keyof P]?: TypeOf<P[K]> }> {
  return { type: 'object', additionalProperties: false, properties, minProperties: 1 };
}
