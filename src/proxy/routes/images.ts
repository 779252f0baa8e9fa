// Images: list, inspect, history, tag, remove, save, pull, search and commit. Import (fromSrc),
// push and load are declared only to be refused with a message that says why.
import { CONTAINER_CONFIG_KEYS, declare, objectRoute, type RouteDeclaration } from './types';

const image = objectRoute('image', 'name');

const IMPORT_REFUSED = {
  refused: 'docker import is not allowed: images imported from a file would not belong to this grading',
} as const;

export const IMAGE_ROUTES: readonly RouteDeclaration[] = [
  declare('GET', '/images/json', () => ({ kind: 'image-list' }), {
    // only_ids: sent by docker-py (compose v1), ignored by the engine.
    query: { all: 'bool', filters: 'json', digests: 'bool', 'shared-size': 'bool', only_ids: 'bool' },
  }),
  declare('POST', '/images/create', () => ({ kind: 'image-pull' }), {
    query: {
      fromImage: 'string',
      tag: 'string',
      platform: 'string',
      fromSrc: IMPORT_REFUSED,
      repo: IMPORT_REFUSED,
      message: IMPORT_REFUSED,
      changes: IMPORT_REFUSED,
    },
  }),
  declare('GET', '/images/get', () => ({ kind: 'image-save' }), { query: { names: 'list' } }),
  declare('GET', '/images/search', () => ({ kind: 'open', what: 'search' }), {
    query: { term: 'string', limit: 'int', filters: 'json' },
  }),
  declare(
    'POST',
    '/images/load',
    () => ({
      kind: 'refused',
      message: 'docker load is not allowed: images loaded from a file would not belong to this grading',
    }),
    { query: { quiet: 'bool' }, body: 'tar' },
  ),
  declare('GET', '/images/{name*}/json', image('json')),
  declare('GET', '/images/{name*}/history', image('history')),
  declare('GET', '/images/{name*}/get', image('get')),
  declare('POST', '/images/{name*}/tag', image('tag'), { query: { repo: 'string', tag: 'string' } }),
  declare('POST', '/images/{name*}/push', image('push'), { query: { tag: 'string' } }),
  declare('DELETE', '/images/{name*}', image('remove'), { query: { force: 'bool', noprune: 'bool' } }),
  declare('POST', '/commit', () => ({ kind: 'commit' }), {
    query: {
      container: 'string',
      repo: 'string',
      tag: 'string',
      comment: 'string',
      author: 'string',
      pause: 'bool',
      changes: 'list',
    },
    body: 'json',
    jsonKeys: CONTAINER_CONFIG_KEYS,
  }),
];
