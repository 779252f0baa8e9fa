// What the planning of a request decides: how it is forwarded, once the policy has passed it.
// Shared by the proxy server (index.ts) and the plans per resource (plan-*.ts).

import type { Readable } from 'node:stream';
import type { Json, PolicyContext } from './policy';
import type { EngineLookups } from './upstream';

/** How a request is forwarded, once the policy has passed it. */
export interface Plan {
  /** Path and query sent to the engine. */
  url: string;
  /** A rewritten JSON body; undefined: the client's body is piped as it is. */
  body?: Json;
  /** The body to send instead of the client's (a build context read before: build-rules.ts). */
  upload?: () => Readable;
  /** json: buffered, unscoped and optionally transformed; lines: streamed line by line, unscoped. */
  answer: 'pipe' | 'json' | 'lines';
  transform?: (body: unknown) => Promise<unknown> | unknown;
  /** For inFlight(): what the student's command waits for. */
  describe?: string;
  /** Called after the engine answered with success. */
  after?: () => void;
  /** Called when the request is over, whatever its outcome. */
  release?: () => void;
}

/** The request's version prefix, the path given and the query (the request's, or other params). */
export type WithQuery = (pathname: string, params?: URLSearchParams) => string;

/** What a plan per resource reads of the proxy. */
export interface PlanGate {
  lookups: EngineLookups;
  /** Label filters of the run's objects in this scope. */
  labelFilters: string[];
  context: PolicyContext;
}
