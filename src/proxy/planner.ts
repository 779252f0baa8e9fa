// Every route kind's plan, in one table that fails to compile when a kind has none: the gate
// forwards nothing that a resource's plan did not decide on.

import type http from 'node:http';
import type { Plan, PlanGate, PlanRequest, Plans } from './plan';
import { buildPlans } from './plan-builds';
import { containerPlans } from './plan-containers';
import { imagePlans } from './plan-images';
import { networkPlans } from './plan-networks';
import { systemPlans } from './plan-system';
import { volumePlans } from './plan-volumes';
import type { Json } from './policy';
import { apiPath, apiVersionPrefix } from './routes';
import type { Route } from './routes/types';

const PLANS: Plans<Route['kind']> = {
  ...systemPlans,
  ...containerPlans,
  ...imagePlans,
  ...buildPlans,
  ...networkPlans,
  ...volumePlans,
};

/** A request held to its route's declaration (transport.ts): what the planning may read of it. */
export interface Admitted {
  /** The query, every key declared and checked. */
  query: URLSearchParams;
  /** The JSON body, parsed and checked (undefined when the route takes none, or none was sent). */
  json?: Json;
  /** A tar body to pipe as it comes. */
  pipeBody: boolean;
}

/** Decides on a request: a Refusal, or how to forward it. */
export function planRequest(
  gate: PlanGate,
  message: http.IncomingMessage,
  route: Route,
  admitted: Admitted,
): Promise<Plan> {
  const url = message.url ?? '/';
  const prefix = apiVersionPrefix(url);
  const query = new URLSearchParams(admitted.query);
  const withQuery = (pathname: string, params: URLSearchParams = query): string => {
    const text = params.toString();
    return `${prefix}${pathname}${text === '' ? '' : `?${text}`}`;
  };
  const request: PlanRequest = {
    message,
    path: apiPath(url),
    query,
    withQuery,
    body: async (): Promise<Json> => admitted.json ?? {},
    // Forwarded as asked, with the query rebuilt from the checked keys.
    same: { url: withQuery(apiPath(url)), answer: 'pipe' },
  };
  // The table's entry for this kind takes this kind of route (a union TypeScript cannot follow).
  const plan = PLANS[route.kind] as (gate: PlanGate, request: PlanRequest, route: Route) => Promise<Plan>;
  return plan(gate, request, route);
}
