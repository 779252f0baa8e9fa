// Which Docker Engine API endpoint a request is, from its method and path. Everything not listed
// here is refused (default deny): the proxy only forwards what it knows how to police.

export type Route =
  /** Harmless, names nothing: ping, version, info, auth, image search. */
  | { kind: 'open'; what: string }
  | { kind: 'container-list' }
  | { kind: 'container-create' }
  | { kind: 'container'; ref: string; action: string }
  | { kind: 'exec'; execId: string; action: string }
  | { kind: 'image-list' }
  | { kind: 'image-pull' }
  | { kind: 'image'; ref: string; action: string }
  | { kind: 'image-save' }
  | { kind: 'build' }
  | { kind: 'commit' }
  | { kind: 'network-list' }
  | { kind: 'network-create' }
  | { kind: 'network'; ref: string; action: string }
  | { kind: 'volume-list' }
  | { kind: 'volume-create' }
  | { kind: 'volume'; ref: string; action: string }
  | { kind: 'events' }
  | { kind: 'refused'; message: string; status?: number };

const API_VERSION_PREFIX = /^\/v\d+(?:\.\d+)?(?=\/)/;

/** The path without its `/v1.41` prefix and without the query. */
export function apiPath(url: string): string {
  const path = url.split('?')[0] ?? '';
  return path.replace(API_VERSION_PREFIX, '');
}

/** The `/v1.41` prefix of a request path, or '' when it has none. */
export function apiVersionPrefix(url: string): string {
  return API_VERSION_PREFIX.exec(url)?.[0] ?? '';
}

const CONTAINER_ACTIONS: Record<string, readonly string[]> = {
  GET: ['json', 'top', 'logs', 'changes', 'export', 'stats', 'archive', 'attach/ws'],
  HEAD: ['archive'],
  PUT: ['archive'],
  POST: [
    'start',
    'stop',
    'restart',
    'kill',
    'update',
    'rename',
    'pause',
    'unpause',
    'attach',
    'wait',
    'exec',
    'resize',
  ],
};

const PRUNE = /^\/(containers|images|networks|volumes|build)\/prune$/;
const OFF_LIMITS =
  /^\/(swarm|nodes|services|tasks|secrets|configs|plugins|session|grpc|system\/df|containers\/[^/]+\/checkpoints)(\/|$)/;

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/**
 * The oldest API version forwarded. Older versions change what a request means to the engine
 * (before 1.24, `POST /containers/{id}/start` takes a HostConfig: binds, privileges) in ways the
 * policy does not read; every docker CLI and compose of the last years speaks 1.40 or newer.
 */
export const MIN_API_VERSION = '1.40';

function olderThanMinimum(prefix: string): boolean {
  const [major = 0, minor = 0] = prefix.slice(2).split('.').map(Number);
  const [minMajor = 0, minMinor = 0] = MIN_API_VERSION.split('.').map(Number);
  return major < minMajor || (major === minMajor && minor < minMinor);
}

export function routeOf(method: string, url: string): Route {
  const path = apiPath(url);
  const verb = method.toUpperCase();
  const refuse = (message: string): Route => ({ kind: 'refused', message });
  const prefix = apiVersionPrefix(url);
  if (prefix !== '' && olderThanMinimum(prefix)) {
    return {
      kind: 'refused',
      message: `client version ${prefix.slice(2)} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
      status: 400,
    };
  }
  if (PRUNE.test(path)) {
    return refuse(
      `${path.slice(1).replace('/', ' ')} is not allowed: remove your own objects by name instead`,
    );
  }
  // `docker inspect NAME` asks every kind of object in turn: a plugin is simply not there.
  const plugin = /^\/plugins\/(.+)\/json$/.exec(path);
  if (verb === 'GET' && plugin)
    return { kind: 'refused', message: `plugin ${decode(plugin[1] ?? '')} not found`, status: 404 };
  if (OFF_LIMITS.test(path)) {
    return refuse(
      `${verb} ${path} is not allowed (swarm, plugins, secrets, configs and sessions are off limits)`,
    );
  }
  if ((verb === 'GET' || verb === 'HEAD') && path === '/_ping') return { kind: 'open', what: 'ping' };
  if (verb === 'GET' && (path === '/version' || path === '/info'))
    return { kind: 'open', what: path.slice(1) };
  if (verb === 'POST' && path === '/auth') return { kind: 'open', what: 'login' };
  if (verb === 'GET' && path === '/images/search') return { kind: 'open', what: 'search' };
  if (verb === 'GET' && /^\/distribution\/.+\/json$/.test(path))
    return { kind: 'open', what: 'distribution' };
  if (verb === 'GET' && path === '/events') return { kind: 'events' };

  if (verb === 'GET' && path === '/containers/json') return { kind: 'container-list' };
  if (verb === 'POST' && path === '/containers/create') return { kind: 'container-create' };
  let match = /^\/containers\/([^/]+)(?:\/(.+))?$/.exec(path);
  if (match) {
    const ref = decode(match[1] ?? '');
    const action = match[2];
    if (action === undefined) {
      return verb === 'DELETE'
        ? { kind: 'container', ref, action: 'remove' }
        : refuse(`${verb} ${path} is not allowed`);
    }
    if (CONTAINER_ACTIONS[verb]?.includes(action)) return { kind: 'container', ref, action };
    return refuse(`${verb} ${path} is not allowed`);
  }
  match = /^\/exec\/([^/]+)\/(start|resize|json)$/.exec(path);
  if (match) {
    const action = match[2] ?? '';
    if ((action === 'json') === (verb === 'GET') && (verb === 'GET' || verb === 'POST')) {
      return { kind: 'exec', execId: decode(match[1] ?? ''), action };
    }
  }

  if (verb === 'GET' && path === '/images/json') return { kind: 'image-list' };
  if (verb === 'POST' && path === '/images/create') return { kind: 'image-pull' };
  if (verb === 'GET' && path === '/images/get') return { kind: 'image-save' };
  if (verb === 'POST' && path === '/images/load') {
    return refuse('docker load is not allowed: images loaded from a file would not belong to this grading');
  }
  if (verb === 'POST' && path === '/build') return { kind: 'build' };
  if (verb === 'POST' && path === '/commit') return { kind: 'commit' };
  match = /^\/images\/(.+)\/(json|history|tag|push|get)$/.exec(path);
  if (match) {
    const action = match[2] ?? '';
    const expected = action === 'tag' || action === 'push' ? 'POST' : 'GET';
    if (verb === expected) return { kind: 'image', ref: decode(match[1] ?? ''), action };
  }
  match = /^\/images\/(.+)$/.exec(path);
  if (match && verb === 'DELETE') return { kind: 'image', ref: decode(match[1] ?? ''), action: 'remove' };

  if (verb === 'GET' && path === '/networks') return { kind: 'network-list' };
  if (verb === 'POST' && path === '/networks/create') return { kind: 'network-create' };
  match = /^\/networks\/([^/]+)(?:\/(connect|disconnect))?$/.exec(path);
  if (match) {
    const ref = decode(match[1] ?? '');
    const action = match[2];
    if (action !== undefined && verb === 'POST') return { kind: 'network', ref, action };
    if (action === undefined && verb === 'GET') return { kind: 'network', ref, action: 'inspect' };
    if (action === undefined && verb === 'DELETE') return { kind: 'network', ref, action: 'remove' };
  }

  if (verb === 'GET' && path === '/volumes') return { kind: 'volume-list' };
  if (verb === 'POST' && path === '/volumes/create') return { kind: 'volume-create' };
  match = /^\/volumes\/([^/]+)$/.exec(path);
  if (match) {
    const ref = decode(match[1] ?? '');
    if (verb === 'GET') return { kind: 'volume', ref, action: 'inspect' };
    if (verb === 'DELETE') return { kind: 'volume', ref, action: 'remove' };
  }
  return refuse(`${verb} ${path} is not an endpoint the grader forwards`);
}
