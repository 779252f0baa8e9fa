// What the planning of a request decides: how it is forwarded, once the policy has passed it.
// Each resource plans its own routes (plan-<resource>.ts, beside routes/<resource>.ts, which
// declares what they accept, and policy-<resource>.ts, which checks their bodies); planner.ts
// joins them in one table that must name every route kind.

import type http from 'node:http';
import type { Readable } from 'node:stream';
import type { VirtualNames } from '../naming/virtual-names';
import type { ExerciseAllowance } from './allowance';
import type { Json, PolicyContext } from './policy';
import type { Route } from './routes/types';
import type { EngineLookups, Upstream } from './upstream';

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
  names: VirtualNames;
  upstream: Upstream;
  runId: string;
  scope: string;
  /** How many containers and networks the exercise may still create, and whose ports are taken. */
  allowance: ExerciseAllowance;
}

/** One request, admitted by its route's declaration (transport.ts), as the plans read it. */
export interface PlanRequest {
  /** The client's request (a build's context is read from it). */
  message: http.IncomingMessage;
  /** The request's path without its version prefix. */
  path: string;
  /** The query, every key declared and checked; a plan may change it before withQuery. */
  query: URLSearchParams;
  withQuery: WithQuery;
  /** The checked JSON body, or {} when none was sent. */
  body: () => Promise<Json>;
  /** The request forwarded as asked, its query rebuilt from the checked keys. */
  same: Plan;
}

/** How one route kind is planned. */
export type PlanOf<K extends Route['kind']> = (
  gate: PlanGate,
  request: PlanRequest,
  route: Extract<Route, { kind: K }>,
) => Promise<Plan>;

/** The plans of some route kinds; planner.ts requires one for every kind. */
export type Plans<K extends Route['kind']> = { [Kind in K]: PlanOf<Kind> };
