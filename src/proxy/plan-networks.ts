// Plans of the network routes: inspect (showing only the run's containers), remove, connect and
// disconnect. Network create is planned with the server, which counts networks per exercise.

import type { Plan, PlanGate, WithQuery } from './plan';
import { isRecord, type Json, notFound, policeNetworkConnect, Refusal } from './policy';

export async function planNetwork(
  gate: PlanGate,
  reference: string,
  action: string,
  withQuery: WithQuery,
  body: () => Promise<Json>,
): Promise<Plan> {
  const resolved = await gate.lookups.network(reference);
  if (resolved.kind !== 'own' && resolved.kind !== 'builtin') {
    throw notFound(`network ${reference} not found`, 'network', reference, resolved);
  }
  if (resolved.kind === 'builtin' && resolved.name === 'host' && action !== 'inspect') {
    throw new Refusal("the host's network namespace is not allowed (--network host)");
  }
  const target = resolved.kind === 'own' ? resolved.id : resolved.name;
  switch (action) {
    case 'inspect':
      return {
        url: withQuery(`/networks/${encodeURIComponent(target)}`),
        answer: 'json',
        // Who else is on the engine's bridge is none of the student's business.
        transform: async (network) => {
          if (!isRecord(network) || !isRecord(network.Containers)) return network;
          const own = new Set(
            (await gate.lookups.ownContainerIds(gate.labelFilters)).map((container) => String(container.Id)),
          );
          return {
            ...network,
            Containers: Object.fromEntries(Object.entries(network.Containers).filter(([id]) => own.has(id))),
          };
        },
      };
    case 'remove':
      if (resolved.kind !== 'own')
        throw new Refusal(`${resolved.name} is a pre-defined network and cannot be removed`);
      return { url: withQuery(`/networks/${encodeURIComponent(target)}`), answer: 'json' };
    default:
      return {
        url: withQuery(`/networks/${encodeURIComponent(target)}/${action}`),
        body: await policeNetworkConnect(await body(), action, resolved, gate.context),
        answer: 'json',
      };
  }
}
