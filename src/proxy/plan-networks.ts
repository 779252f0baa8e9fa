// Plans of the network routes: the list narrowed to the run's networks, create counted per
// exercise (allowance.ts) and checked (policy-networks.ts), inspect showing only the run's
// containers, remove, connect and disconnect of the run's own.

import { objectListPlan } from './filters';
import type { Plans } from './plan';
import { HOST_NETWORK_REFUSED, isRecord, notFound, Refusal } from './policy';
import { policeNetworkConnect, policeNetworkCreate } from './policy-networks';

export const networkPlans: Plans<'network-list' | 'network-create' | 'network'> = {
  'network-list': async (gate, request) => objectListPlan(gate, request, '/networks'),
  'network-create': async (gate, request) => {
    const policed = policeNetworkCreate(await request.body(), gate.context);
    const release = await gate.allowance.reserveNetwork();
    return { url: request.same.url, body: policed, answer: 'json', release };
  },
  network: async (gate, request, route) => {
    const { ref: reference, action } = route;
    const resolved = await gate.lookups.network(reference);
    if (resolved.kind !== 'own' && resolved.kind !== 'builtin') {
      throw notFound(`network ${reference} not found`, 'network', reference, resolved);
    }
    if (resolved.kind === 'builtin' && resolved.name === 'host' && action !== 'inspect') {
      throw new Refusal(HOST_NETWORK_REFUSED);
    }
    const target = resolved.kind === 'own' ? resolved.id : resolved.name;
    switch (action) {
      case 'inspect':
        return {
          url: request.withQuery(`/networks/${encodeURIComponent(target)}`),
          answer: 'json',
          // Who else is on the engine's bridge is none of the student's business.
          transform: async (network) => {
            if (!isRecord(network) || !isRecord(network.Containers)) return network;
            const own = new Set(
              (await gate.lookups.ownContainerIds(gate.labelFilters)).map((container) =>
                String(container.Id),
              ),
            );
            return {
              ...network,
              Containers: Object.fromEntries(
                Object.entries(network.Containers).filter(([id]) => own.has(id)),
              ),
            };
          },
        };
      case 'remove':
        if (resolved.kind !== 'own')
          throw new Refusal(`${resolved.name} is a pre-defined network and cannot be removed`);
        return { url: request.withQuery(`/networks/${encodeURIComponent(target)}`), answer: 'json' };
      default:
        return {
          url: request.withQuery(`/networks/${encodeURIComponent(target)}/${action}`),
          body: await policeNetworkConnect(await request.body(), action, resolved, gate.context),
          answer: 'json',
        };
    }
  },
};
