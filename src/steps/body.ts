// A step body's schema written key by key, each key's JSON Schema beside the type of its value,
// so that the body's TypeScript type is derived from its schema instead of listing the keys again.
// What `stepBody` returns is the schema objectSchema (spec/json-schema.ts) would give, as-is.
import { type JsonSchema, objectSchema, ref } from '../spec/json-schema';
import type { Command, Duration, StringMap, WaitConditions } from '../spec/types';

/** Only the compiler sees it: the type of the values a schema accepts. */
declare const VALUE: unique symbol;

/** A JSON Schema that carries, for the compiler only, the type of the values it accepts. */
export type TypedSchema<T> = JsonSchema & { readonly [VALUE]?: T };

/** One key of a body: its schema, the type of its value, and whether it must be given. */
export interface BodyKey<T, Required extends boolean> {
  readonly schema: JsonSchema;
  readonly required: Required;
  readonly [VALUE]?: T;
}

type AnyKeys = Record<string, BodyKey<unknown, boolean>>;
type ValueOf<Key> = Key extends BodyKey<infer T, boolean> ? T : never;
type KeysWhere<Keys extends AnyKeys, Required extends boolean> = {
  [K in keyof Keys]: Keys[K]['required'] extends Required ? K : never;
}[keyof Keys];

/** One object type rather than an intersection, as an editor shows it. */
type Flat<T> = { [K in keyof T]: T[K] };

/** The values a body of these keys holds: the required keys, and the optional ones. */
export type BodyOf<Keys extends AnyKeys> = Flat<
  { [K in KeysWhere<Keys, true>]: ValueOf<Keys[K]> } & { [K in KeysWhere<Keys, false>]?: ValueOf<Keys[K]> }
>;

/** A key that must be given; T is its value's type (inferred from a typed schema). */
export function required<T>(schema: TypedSchema<T>): BodyKey<T, true> {
  return { schema, required: true };
}

/** A key that may be left out. */
export function optional<T>(schema: TypedSchema<T>): BodyKey<T, false> {
  return { schema, required: false };
}

/** A body (a step's, or an object inside one): only the keys listed, the required ones named. */
export function stepBody<Keys extends AnyKeys>(parts: {
  description?: string;
  properties: Keys;
}): TypedSchema<BodyOf<Keys>> {
  const entries = Object.entries(parts.properties);
  const requiredKeys = entries.filter(([, key]) => key.required).map(([name]) => name);
  return objectSchema({
    description: parts.description,
    required: requiredKeys.length > 0 ? requiredKeys : undefined,
    properties: Object.fromEntries(entries.map(([name, key]) => [name, key.schema])),
  });
}

// The keys several step kinds have, written once.

/** A name later steps and checks refer to (`definitions.name`). */
export const NAME = required<string>(ref('name'));
/** The container a step acts on (`definitions.containerRef`). */
export const CONTAINER = required<string>(ref('containerRef'));

/** The `wait:` of a container the step starts (`definitions.wait`). */
export const WAIT = optional<WaitConditions>(ref('wait'));

/** One of these words; their union is the value's type. */
export function choice<const Words extends readonly string[]>(
  words: Words,
  description?: string,
): TypedSchema<Words[number]> {
  return { enum: words, ...(description === undefined ? {} : { description }) };
}

/** A duration (`definitions.duration`), as a step's timeout or grace period says it. */
export function duration(description?: string): BodyKey<Duration, false> {
  return optional<Duration>(ref('duration', description));
}

/** A path inside the submission folder (`definitions.relativePath`). */
export function relativePath(description?: string): TypedSchema<string> {
  return ref('relativePath', description);
}

/** A command, as a list (exec form) or a string (run by a shell): `definitions.command`. */
export const COMMAND: TypedSchema<Command> = ref('command');
/** Names with a text, number or boolean each (environment, build arguments): `definitions.stringMap`. */
export function stringMap(description?: string): TypedSchema<StringMap> {
  return ref('stringMap', description);
}
