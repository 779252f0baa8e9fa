// The leaf every part of the proxy shares: the refusal a student's client is answered with, and
// the JSON object type of request bodies. Kept apart so that the policy, the field spellings, the
// filters and the transport import it without importing one another (no import cycle).

import type { JsonObject } from '../shared/records';

export { isRecord } from '../shared/records';
export type Json = JsonObject;

/** A request the policy does not allow: HTTP 403 with `{"message": ...}`, which the docker CLI prints. */
export class Refusal extends Error {
  constructor(
    message: string,
    readonly status = 403,
    /** For the report, when the answer (a 404) does not say that a policy was applied. */
    readonly note?: string,
    /**
     * A "No such ..." answer rather than a refusal. Usually a 404; a reference inside a create
     * body is a 400, as the engine answers it, because the docker CLI takes any 404 from a create
     * for a missing image and tries to pull it.
     */
    readonly missing = status === 404,
  ) {
    super(message);
    this.name = 'Refusal';
  }
}
