// What every layer reads untyped JSON with (engine answers, specs, gradebooks, request bodies):
// one definition, imported by the pure core and the adapters alike.

/** A JSON object, as parsed: its fields still to be checked. */
export type JsonObject = Record<string, unknown>;

/** Whether a parsed value is a JSON object (not null, not an array). */
export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
