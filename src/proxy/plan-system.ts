// Plans of the routes that name no object of the run: ping, version, info, login, search,
// distribution (registry calls refused for loopback and private hosts) and events (narrowed to
// the run's own objects).

import { registryCallRefusal } from './build-rules';
import { filterOptionsFor, narrowFilters } from './filters';
import type { Plans } from './plan';
import { Refusal } from './policy';

export const systemPlans: Plans<'open' | 'events' | 'refused'> = {
  refused: async (_gate, _request, route) => {
    throw new Refusal(route.message, route.status);
  },
  open: async (_gate, request, route) => {
    // Registry calls: the engine would connect to the host they name (build-rules.ts).
    if (route.what === 'login') {
      const login = await request.body();
      await refuseRegistry({ kind: 'server', address: String(login.serveraddress ?? '') });
      return { ...request.same, body: login };
    }
    if (route.what === 'search')
      await refuseRegistry({ kind: 'reference', reference: request.query.get('term') ?? '' });
    if (route.what === 'distribution') {
      const name = request.path.replace(/^\/distribution\//, '').replace(/\/json$/, '');
      await refuseRegistry({ kind: 'reference', reference: decodeURIComponent(name) });
    }
    return request.same;
  },
  events: async (gate, request) => {
    const { query } = request;
    query.set(
      'filters',
      narrowFilters(query.get('filters'), filterOptionsFor(gate.names, gate.labelFilters)),
    );
    return {
      url: request.withQuery('/events'),
      answer: 'lines',
      describe: 'following events (docker events)',
    };
  },
};

/** Throws the refusal of a registry call to a loopback, private or link-local host (build-rules.ts). */
export async function refuseRegistry(call: Parameters<typeof registryCallRefusal>[0]): Promise<void> {
  const refused = await registryCallRefusal(call);
  if (refused !== undefined) throw new Refusal(refused);
}
