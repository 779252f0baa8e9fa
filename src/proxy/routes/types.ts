// The shape of the route table (docs/decisions.md, "A route table the proxy reads by rule"):
// every endpoint the proxy forwards declares what it accepts, and the transport refuses the rest.

import { CONTAINER_CONFIG_FIELDS } from '../fields';

/** Which Docker Engine API endpoint a request is, as the proxy's planning knows it. */
export type Route =
  /** Harmless, names nothing: ping, version, info, auth, image search. */
  | { kind: 'open'; what: string }
  | { kind: 'container-list' }
  | { kind: 'container-create' }
  | { kind: 'container'; ref: string; action: string }
  | { kind: 'exec'; ref: string; action: string }
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

/**
 * How the engine reads a query value. `bool` is what the CLI sends for a flag (1/0, true/false);
 * `json` a JSON-encoded value (filters, labels, build args); `list` a key that may repeat (every
 * other key appears at most once); `refused` a key declared only to be refused with a message
 * that says why; `oneOf` a key whose other values are refused with `otherwise`.
 */
export type QueryType =
  | 'string'
  | 'bool'
  | 'int'
  | 'json'
  | 'list'
  | { refused: string }
  | { oneOf: readonly string[]; otherwise: string };

/**
 * What a route takes as a request body: nothing; a JSON object (read, checked and forwarded
 * re-serialised); or a tar stream (build context, archive upload), piped as it comes.
 */
export type BodyKind = 'none' | 'json' | 'tar';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

export interface RouteDeclaration {
  method: Method;
  /**
   * The path without its version prefix: `{id}` is one path segment, `{name*}` one or more
   * (image references hold slashes).
   */
  path: string;
  /** The route the planning gets, from the path parameters (decoded). */
  route: (params: Readonly<Record<string, string>>) => Route;
  query: Readonly<Record<string, QueryType>>;
  body: BodyKind;
  /** For JSON bodies: the top-level keys accepted (compared as the engine does, case-insensitively). */
  jsonKeys?: readonly string[];
}

/** A route taking no query and no body, unless said otherwise. */
export function declare(
  method: Method,
  path: string,
  route: RouteDeclaration['route'],
  rest: Partial<Pick<RouteDeclaration, 'query' | 'body' | 'jsonKeys'>> = {},
): RouteDeclaration {
  return { method, path, route, query: rest.query ?? {}, body: rest.body ?? 'none', ...rest };
}

/** The routes of one kind of object named in the path: `objectRoute('container', 'id')('start')`. */
export function objectRoute(
  kind: 'container' | 'exec' | 'image' | 'network' | 'volume',
  param: 'id' | 'name',
): (action: string) => RouteDeclaration['route'] {
  return (action) => (params) => ({ kind, ref: params[param] ?? '', action });
}

/** Top-level keys of container.Config, the body of container create (with the wrapper) and commit. */
export const CONTAINER_CONFIG_KEYS: readonly string[] = CONTAINER_CONFIG_FIELDS;
