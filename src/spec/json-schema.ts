// Pieces of JSON Schema (draft-07) as plain data: what each kind's definition gives for its part
// of schema/exercise.schema.json (scripts/build-schema.mjs writes the file). The helpers only
// spare the kinds from writing the same wrapping again; what they return is the schema as-is.

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | JsonSchema;
export interface JsonSchema {
  readonly [key: string]: JsonValue;
}

/** A reference to one of the schema's definitions, with a description of its own when given. */
export function ref(definition: string, description?: string): JsonSchema {
  return { $ref: `#/definitions/${definition}`, ...(description === undefined ? {} : { description }) };
}

/** An expected value (`definitions.matcher`). */
export function matcher(description?: string): JsonSchema {
  return ref('matcher', description);
}

/** A step's `allowFailure`. */
export const ALLOW_FAILURE: JsonSchema = {
  type: 'boolean',
  description: 'A non-zero exit code does not fail the step.',
};

/** A string that may not be empty. */
export function text(description?: string): JsonSchema {
  return { type: 'string', minLength: 1, ...(description === undefined ? {} : { description }) };
}

/** A check's or step's own object: only the keys listed. */
export function objectSchema(parts: {
  description?: string;
  required?: readonly string[];
  properties: Record<string, JsonSchema>;
}): JsonSchema {
  return {
    type: 'object',
    ...(parts.description === undefined ? {} : { description: parts.description }),
    ...(parts.required === undefined ? {} : { required: parts.required }),
    additionalProperties: false,
    properties: parts.properties,
  };
}

/** A check's `expect`: only the facts listed, at least one of them. */
export function expectSchema(properties: Record<string, JsonSchema>): JsonSchema {
  return { type: 'object', additionalProperties: false, properties, minProperties: 1 };
}
