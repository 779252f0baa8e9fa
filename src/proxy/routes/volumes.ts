// Named volumes: list, create, inspect, remove.
import { declare, objectRoute, type RouteDeclaration } from './types';

const volume = objectRoute('volume', 'name');

export const VOLUME_ROUTES: readonly RouteDeclaration[] = [
  declare('GET', '/volumes', () => ({ kind: 'volume-list' }), { query: { filters: 'json' } }),
  declare('POST', '/volumes/create', () => ({ kind: 'volume-create' }), {
    body: 'json',
    jsonKeys: ['Name', 'Driver', 'DriverOpts', 'Labels'],
  }),
  declare('GET', '/volumes/{name}', volume('inspect')),
  declare('DELETE', '/volumes/{name}', volume('remove'), { query: { force: 'bool' } }),
];
