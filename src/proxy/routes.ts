// Which Docker Engine API endpoint a request is, from its method and path, read from the route
// table (src/proxy/routes/*.ts, one file per resource). Everything not declared there is refused
// (default deny): the proxy only forwards what it knows how to police, and the transport
// (transport.ts) refuses every query key, body and content type a route does not declare.
import { BUILD_ROUTES, BUILDKIT_REFUSED } from './routes/builds';
import { CONTAINER_ROUTES } from './routes/containers';
import { EXEC_ROUTES } from './routes/exec';
import { IMAGE_ROUTES } from './routes/images';
import { NETWORK_ROUTES } from './routes/networks';
import { SYSTEM_ROUTES } from './routes/system';
import type { Route, RouteDeclaration } from './routes/types';
import { VOLUME_ROUTES } from './routes/volumes';

export type { BodyKind, QueryType, Route, RouteDeclaration } from './routes/types';

/** Every endpoint the proxy forwards, with what each accepts. */
export const ROUTE_TABLE: readonly RouteDeclaration[] = [
  ...SYSTEM_ROUTES,
  ...CONTAINER_ROUTES,
  ...EXEC_ROUTES,
  ...IMAGE_ROUTES,
  ...BUILD_ROUTES,
  ...NETWORK_ROUTES,
  ...VOLUME_ROUTES,
];

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

const PRUNE = /^\/(containers|images|networks|volumes|build)\/prune$/;
const BUILDKIT = /^\/(session|grpc)(\/|$)/;
const OFF_LIMITS =
  /^\/(swarm|nodes|services|tasks|secrets|configs|plugins|system\/df|containers\/[^/]+\/checkpoints)(\/|$)/;
/**
 * Paths the engine's router would read otherwise than the proxy: doubled slashes and dot
 * segments (cleaned, or answered with a redirect), encoded slashes, dots and backslashes.
 */
const NOT_CANONICAL = /\/\/|\/\.\.?(\/|$)|%2f|%2e|%5c|\\/i;

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
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

interface CompiledRoute {
  declaration: RouteDeclaration;
  pattern: RegExp;
  params: string[];
}

function compile(declaration: RouteDeclaration): CompiledRoute {
  const params: string[] = [];
  const source = declaration.path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)(\*?)\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      params.push(param[1] ?? '');
      return param[2] === '*' ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { declaration, pattern: new RegExp(`^${source}$`), params };
}

const COMPILED = ROUTE_TABLE.map(compile);

export interface MatchedRoute {
  route: Route;
  /** The declaration that matched; undefined for a refusal. */
  declaration?: RouteDeclaration;
}

/** The declaration of a method and path (without version prefix or query), and its decoded parameters. */
export function matchDeclaration(
  method: string,
  path: string,
): { declaration: RouteDeclaration; params: Record<string, string> } | undefined {
  const verb = method.toUpperCase();
  for (const compiled of COMPILED) {
    if (compiled.declaration.method !== verb) continue;
    const match = compiled.pattern.exec(path);
    if (!match) continue;
    const params: Record<string, string> = {};
    let decodable = true;
    compiled.params.forEach((name, index) => {
      const value = decode(match[index + 1] ?? '');
      if (value === undefined) decodable = false;
      else params[name] = value;
    });
    if (!decodable) return undefined;
    return { declaration: compiled.declaration, params };
  }
  return undefined;
}

/** The route of a request and the declaration it is checked against. */
export function matchRoute(method: string, url: string): MatchedRoute {
  const path = apiPath(url);
  const verb = method.toUpperCase();
  const refuse = (message: string, status?: number): MatchedRoute => ({
    route: { kind: 'refused', message, ...(status !== undefined ? { status } : {}) },
  });
  const prefix = apiVersionPrefix(url);
  if (prefix !== '' && olderThanMinimum(prefix)) {
    return refuse(
      `client version ${prefix.slice(2)} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
      400,
    );
  }
  if (PRUNE.test(path)) {
    return refuse(
      `${path.slice(1).replace('/', ' ')} is not allowed: remove your own objects by name instead`,
    );
  }
  if (BUILDKIT.test(path)) return refuse(BUILDKIT_REFUSED);
  // `docker inspect NAME` asks every kind of object in turn: a plugin is simply not there.
  const plugin = /^\/plugins\/(.+)\/json$/.exec(path);
  if (verb === 'GET' && plugin)
    return refuse(`plugin ${decode(plugin[1] ?? '') ?? plugin[1]} not found`, 404);
  if (OFF_LIMITS.test(path)) {
    return refuse(`${verb} ${path} is not allowed (swarm, plugins, secrets and configs are off limits)`);
  }
  if (NOT_CANONICAL.test(path)) {
    return refuse(
      `${verb} ${path}: the path holds doubled slashes, dot segments or encoded separators, which the grader does not forward`,
      400,
    );
  }
  const found = matchDeclaration(verb, path);
  if (found === undefined) {
    const known = COMPILED.some((compiled) => compiled.pattern.test(path));
    return refuse(
      known ? `${verb} ${path} is not allowed` : `${verb} ${path} is not an endpoint the grader forwards`,
    );
  }
  return { route: found.declaration.route(found.params), declaration: found.declaration };
}

export function routeOf(method: string, url: string): Route {
  return matchRoute(method, url).route;
}
