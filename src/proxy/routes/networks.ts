// User-defined networks: list, create, inspect, remove, connect and disconnect a container.
import { declare, objectRoute, type RouteDeclaration } from './types';

const network = objectRoute('network', 'id');

export const NETWORK_ROUTES: readonly RouteDeclaration[] = [
  declare('GET', '/networks', () => ({ kind: 'network-list' }), { query: { filters: 'json' } }),
  declare('POST', '/networks/create', () => ({ kind: 'network-create' }), {
    body: 'json',
    jsonKeys: [
      'Name',
      'CheckDuplicate',
      'Driver',
      'Scope',
      'EnableIPv6',
      'IPAM',
      'Internal',
      'Attachable',
      'Ingress',
      'ConfigOnly',
      'ConfigFrom',
      'Options',
      'Labels',
    ],
  }),
  declare('GET', '/networks/{id}', network('inspect'), { query: { verbose: 'bool', scope: 'string' } }),
  declare('DELETE', '/networks/{id}', network('remove')),
  declare('POST', '/networks/{id}/connect', network('connect'), {
    body: 'json',
    jsonKeys: ['Container', 'EndpointConfig'],
  }),
  declare('POST', '/networks/{id}/disconnect', network('disconnect'), {
    body: 'json',
    jsonKeys: ['Container', 'Force'],
  }),
];
