// Plans of the volume routes: the list narrowed to the run's volumes, create by the policy
// (policy-volumes.ts), inspect and remove of the run's own only.

import { objectListPlan } from './filters';
import type { Plans } from './plan';
import { notFound } from './policy';
import { policeVolumeCreate } from './policy-volumes';

export const volumePlans: Plans<'volume-list' | 'volume-create' | 'volume'> = {
  'volume-list': async (gate, request) => objectListPlan(gate, request, '/volumes', 'Volumes'),
  'volume-create': async (gate, request) => ({
    url: request.same.url,
    body: policeVolumeCreate(await request.body(), gate.context),
    answer: 'json',
  }),
  volume: async (gate, request, route) => {
    const resolved = await gate.lookups.volume(route.ref);
    if (resolved.kind !== 'own')
      throw notFound(`get ${route.ref}: no such volume`, 'volume', route.ref, resolved);
    return { url: request.withQuery(`/volumes/${encodeURIComponent(resolved.name)}`), answer: 'json' };
  },
};
