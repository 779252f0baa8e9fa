// The engine itself: ping, version, info, login, events, registry distribution info.
import { declare, type RouteDeclaration } from './types';

export const SYSTEM_ROUTES: readonly RouteDeclaration[] = [
  declare('GET', '/_ping', () => ({ kind: 'open', what: 'ping' })),
  declare('HEAD', '/_ping', () => ({ kind: 'open', what: 'ping' })),
  declare('GET', '/version', () => ({ kind: 'open', what: 'version' })),
  declare('GET', '/info', () => ({ kind: 'open', what: 'info' })),
  declare('POST', '/auth', () => ({ kind: 'open', what: 'login' }), {
    body: 'json',
    jsonKeys: ['username', 'password', 'auth', 'email', 'serveraddress', 'identitytoken', 'registrytoken'],
  }),
  declare('GET', '/events', () => ({ kind: 'events' }), {
    query: { since: 'string', until: 'string', filters: 'json' },
  }),
  declare('GET', '/distribution/{name*}/json', () => ({ kind: 'open', what: 'distribution' })),
];
