// The transport layer of the proxy: holds every request to its route's declaration before the
// planning sees it (src/proxy/routes/*.ts), and bounds what one proxy holds for its clients.
// The engine reads parameters from more places than the query string: a
// `application/x-www-form-urlencoded` POST body is read before the query, so a body the route
// does not declare is refused, never forwarded. What is forwarded is rebuilt by the proxy: the
// query from checked keys, a JSON body re-serialised, a tar body with its content type set.
import type http from 'node:http';
import { canonicalBody, foldFieldName } from './fields';
import { isRecord, type Json, Refusal } from './refusal';
import type { QueryType, RouteDeclaration } from './routes/types';

/**
 * Request bodies the proxy reads to check or rewrite (JSON) are refused beyond this size: the
 * largest body the CLI or compose sends (a container create with a long environment) is a few KiB.
 */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;
/**
 * Connections one proxy (one script or compose step) serves at once. Compose holds a few per
 * service (attach, wait, logs, events), a pack's compose file has a handful of services; each
 * connection costs the grader a socket, a parser and up to one buffered body.
 */
export const MAX_CONNECTIONS_PER_PROXY = 64;
/**
 * Bytes of request bodies one proxy buffers at once, across every request. Without it a script
 * sending many bodies just under MAX_JSON_BODY_BYTES and never finishing them grew the grader
 * (outside every container limit) to 2.9 GB; 16 MiB is 16 bodies at their cap.
 */
export const MAX_BUFFERED_BODY_BYTES = 16 * 1024 * 1024;
/**
 * A body the proxy buffers must have arrived this long after the request's headers; a stalled
 * one is dropped with 408 and its connection closed. The CLI sends a JSON body at once.
 */
export const BODY_DEADLINE_MS = 15_000;

/** Shares MAX_BUFFERED_BODY_BYTES between the requests of one proxy. */
export class BodyBudget {
  private used = 0;
  constructor(private readonly limit = MAX_BUFFERED_BODY_BYTES) {}
  take(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }
  give(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
  get inUse(): number {
    return this.used;
  }
}

/** The refusal of a parameter a route does not declare. */
function undeclared(what: string, declaration: RouteDeclaration): Refusal {
  return new Refusal(`${what} is not accepted by ${declaration.method} ${declaration.path}`, 400);
}

function shown(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 60 ? `${printable.slice(0, 60)}...` : printable;
}

const BOOL = /^(|0|1|true|false|yes|no)$/i;
const INT = /^-?\d{1,19}$/;

function checkValue(key: string, value: string, type: QueryType, declaration: RouteDeclaration): void {
  const bad = (what: string): Refusal =>
    new Refusal(
      `query parameter "${shown(key)}" of ${declaration.method} ${declaration.path} must be ${what}`,
      400,
    );
  if (typeof type === 'object') {
    if ('refused' in type) throw new Refusal(type.refused);
    if (!type.oneOf.includes(value)) throw new Refusal(type.otherwise);
    return;
  }
  switch (type) {
    case 'bool':
      if (!BOOL.test(value)) throw bad('a boolean (1 or 0)');
      return;
    case 'int':
      if (!INT.test(value)) throw bad('an integer');
      return;
    case 'json':
      if (value === '') return;
      try {
        JSON.parse(value);
      } catch {
        throw bad('JSON');
      }
      return;
    default:
      return;
  }
}

/**
 * The query of a request, read strictly: each key declared, at most once unless it is a list,
 * each value of its type. A value Go's parser would read otherwise than URLSearchParams (a `;`,
 * an invalid escape) is refused rather than guessed at.
 */
export function checkQuery(url: string, declaration: RouteDeclaration): URLSearchParams {
  const at = url.indexOf('?');
  const text = at < 0 ? '' : url.slice(at + 1);
  if (text.includes(';')) {
    throw new Refusal(
      `the query of ${declaration.method} ${declaration.path} holds a ";", which is not accepted`,
      400,
    );
  }
  const query = new URLSearchParams();
  const seen = new Set<string>();
  for (const part of text.split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const rawKey = equals < 0 ? part : part.slice(0, equals);
    const rawValue = equals < 0 ? '' : part.slice(equals + 1);
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
      value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      throw new Refusal(`the query of ${declaration.method} ${declaration.path} is not validly encoded`, 400);
    }
    const type = Object.hasOwn(declaration.query, key) ? declaration.query[key] : undefined;
    if (type === undefined) throw undeclared(`query parameter "${shown(key)}"`, declaration);
    if (seen.has(key) && type !== 'list') {
      throw new Refusal(
        `query parameter "${shown(key)}" is given twice to ${declaration.method} ${declaration.path}: give it once`,
        400,
      );
    }
    seen.add(key);
    checkValue(key, value, type, declaration);
    query.append(key, value);
  }
  return query;
}

/** Whether a request carries a body: a Content-Length above 0, or any Transfer-Encoding. */
export function hasBody(request: http.IncomingMessage): boolean {
  if (request.headers['transfer-encoding'] !== undefined) return true;
  const length = request.headers['content-length'];
  return length !== undefined && length.trim() !== '0';
}

/** The media type of a request, lower case, without parameters ("" when none). */
function mediaType(request: http.IncomingMessage): string {
  return (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * Content types a body may have. The Go client labels every POST and PUT without a type of its
 * own `text/plain` (docker cp sends its tar so); what is forwarded carries the proxy's own type.
 */
const ACCEPTED_TYPES: Record<'json' | 'tar', readonly string[]> = {
  json: ['application/json', ''],
  tar: ['application/x-tar', 'application/tar', 'text/plain', ''],
};

/** Refuses a body the route does not take, and a content type it does not accept. */
export function checkBody(request: http.IncomingMessage, declaration: RouteDeclaration): boolean {
  if (!hasBody(request)) return false;
  const where = `${declaration.method} ${declaration.path}`;
  if (declaration.body === 'none') throw new Refusal(`${where} takes no request body`, 400);
  const type = mediaType(request);
  if (!ACCEPTED_TYPES[declaration.body].includes(type)) {
    const form = type === 'application/x-www-form-urlencoded' || type.startsWith('multipart/');
    throw new Refusal(
      form
        ? `${where} takes no form body (${type}): parameters go in the query string`
        : `${where} does not accept a body of type "${shown(type)}" (expected ${ACCEPTED_TYPES[declaration.body][0]})`,
      415,
    );
  }
  return true;
}

/**
 * The body of a request, buffered within MAX_JSON_BODY_BYTES, the proxy's shared budget and the
 * deadline. The budget is given back once the body is read (the parsed object is small).
 */
export function readBody(
  request: http.IncomingMessage,
  budget: BodyBudget,
  deadlineMs = BODY_DEADLINE_MS,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error?: Refusal): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      budget.give(size);
      request.removeListener('data', onData);
      request.removeListener('end', onEnd);
      request.removeListener('aborted', onAborted);
      if (error) {
        reject(error);
      } else resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer): void => {
      if (size + chunk.length > MAX_JSON_BODY_BYTES) {
        settle(new Refusal(`the request body is larger than ${MAX_JSON_BODY_BYTES / 1024} KiB`, 413));
        return;
      }
      if (!budget.take(chunk.length)) {
        settle(
          new Refusal(
            "the grader's Docker proxy is holding too many request bodies at once: send fewer requests at a time",
            503,
          ),
        );
        return;
      }
      size += chunk.length;
      chunks.push(chunk);
    };
    const onEnd = (): void => settle();
    const onAborted = (): void => settle(new Refusal('the request body ended early', 400));
    const timer = setTimeout(
      () => settle(new Refusal(`the request body did not arrive within ${deadlineMs / 1000} s`, 408)),
      deadlineMs,
    );
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('aborted', onAborted);
  });
}

/**
 * The first key that appears twice in one object of a JSON text (which JSON.parse would silently
 * read as its last), or undefined. The text must be valid JSON.
 */
export function duplicateJsonKey(text: string): string | undefined {
  /** One entry per open object (its keys) or array (null). */
  const open: Array<Set<string> | null> = [];
  let keyExpected = false;
  let index = 0;
  while (index < text.length) {
    const character = text[index];
    if (character === '"') {
      let end = index + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const keys = open[open.length - 1];
      if (keyExpected && keys) {
        const key = JSON.parse(text.slice(index, end + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      keyExpected = false;
      index = end + 1;
      continue;
    }
    if (character === '{') {
      open.push(new Set());
      keyExpected = true;
    } else if (character === '[') {
      open.push(null);
      keyExpected = false;
    } else if (character === '}' || character === ']') {
      open.pop();
      keyExpected = false;
    } else if (character === ',') {
      keyExpected = open.length > 0 && open[open.length - 1] !== null;
    }
    index += 1;
  }
  return undefined;
}

/**
 * A JSON request body as the engine would read it: keys in their canonical spelling (fields.ts),
 * no key twice. The proxy forwards this object re-serialised, never the client's bytes, so
 * duplicate keys or other spellings cannot carry past the policy what the policy did not see.
 */
export function parseJsonBody(text: string): Json {
  if (text.trim() === '' || text.trim() === 'null') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Refusal('the request body is not valid JSON', 400);
  }
  if (!isRecord(parsed)) throw new Refusal('the request body is not a JSON object', 400);
  const twice = duplicateJsonKey(text);
  if (twice !== undefined) {
    throw new Refusal(`the request body names the key "${shown(twice)}" twice: send it once`, 400);
  }
  return canonicalBody(parsed, '', 0) as Json;
}

/** Refuses a top-level key of a JSON body that the route does not declare. */
export function checkJsonKeys(body: Json, declaration: RouteDeclaration): Json {
  const accepted = new Set((declaration.jsonKeys ?? []).map(foldFieldName));
  for (const key of Object.keys(body)) {
    if (!accepted.has(foldFieldName(key))) throw undeclared(`body field "${shown(key)}"`, declaration);
  }
  return body;
}
