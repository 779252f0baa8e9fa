// The route table held by rule: the policy proxy in front of a recorder (an HTTP server on a
// unix socket that records every request and answers plausibly, each object as the run's own),
// then requests the table does not declare. Whatever the request, what reaches the recorder is
// a declared route with declared query keys and a body of a declared type; form and multipart
// bodies, duplicate keys and bodies on body-less routes never get there. Also the gate's bounds
// (connections, buffered bytes, stalled bodies) and the network rules.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { pack } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GateBounds, MAX_NETWORKS_PER_EXERCISE, type PolicyProxy } from '../../../src/proxy/index';
import { apiPath, matchDeclaration, ROUTE_TABLE, type RouteDeclaration } from '../../../src/proxy/routes';
import { RUN_LABELS as LABELS, RUN, SCOPE } from '../../support/policy-context';
import { startRunProxy } from '../../support/proxy-for-run';
import { rawExchange } from '../../support/sockets';

interface Recorded {
  method: string;
  url: string;
  contentType: string;
  body: string;
  chunked: boolean;
}

/** The engine replaced by a recorder: every request kept, every object the run's own. */
class Recorder {
  readonly requests: Recorded[] = [];
  readonly server = http.createServer();
  /** An answer of the test's own for a request, before the plausible one. */
  override?: (method: string, path: string) => { status: number; body: unknown } | undefined;
  private readonly sockets = new Set<Duplex>();

  constructor(readonly socketPath: string) {
    this.server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const recorded: Recorded = {
          method: request.method ?? '',
          url: request.url ?? '',
          contentType: String(request.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks).toString('latin1'),
          chunked: request.headers['transfer-encoding'] !== undefined,
        };
        this.requests.push(recorded);
        const { status, body } = this.answer(recorded);
        const text = JSON.stringify(body);
        response.writeHead(status, { 'Content-Type': 'application/json' });
        response.end(text);
      });
    });
    this.server.on('upgrade', (request: http.IncomingMessage, socket: Duplex) => {
      this.requests.push({
        method: request.method ?? '',
        url: request.url ?? '',
        contentType: String(request.headers['content-type'] ?? ''),
        body: '',
        chunked: false,
      });
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}');
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.socketPath, resolve));
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private answer(recorded: Recorded): { status: number; body: unknown } {
    const path = apiPath(recorded.url);
    const own = this.override?.(recorded.method, path);
    if (own !== undefined) return own;
    if (/^\/containers\/[^/]+\/json$/.test(path)) {
      return {
        status: 200,
        body: {
          Id: 'c0ffee',
          Name: `/${SCOPE}-web`,
          Config: { Labels: { ...LABELS, 'org.docker-autograder.name': 'web' } },
          HostConfig: {},
          Mounts: [],
        },
      };
    }
    if (path === '/containers/json' || path === '/networks' || path === '/images/json')
      return { status: 200, body: [] };
    if (/^\/networks\/[^/]+$/.test(path) && recorded.method === 'GET')
      return { status: 200, body: { Id: 'n0', Name: `${SCOPE}-backend`, Labels: LABELS, Containers: {} } };
    if (/^\/volumes\/[^/]+$/.test(path) && recorded.method === 'GET')
      return { status: 200, body: { Name: `${SCOPE}-data`, Labels: LABELS } };
    if (/^\/images\/.+\/json$/.test(path))
      return { status: 200, body: { Id: 'sha256:1', Config: { Labels: LABELS, ExposedPorts: {} } } };
    if (/^\/exec\/[^/]+\/json$/.test(path)) return { status: 200, body: { ID: 'e1', ContainerID: 'c0ffee' } };
    if (/\/create$/.test(path)) return { status: 201, body: { Id: 'new' } };
    return { status: 200, body: {} };
  }
}

/** Why a request that reached the engine is outside the table, or undefined when it is inside. */
function outsideTable(recorded: Recorded): string | undefined {
  const path = apiPath(recorded.url);
  const found = matchDeclaration(recorded.method, path);
  if (found === undefined) return `route ${recorded.method} ${path} is not declared`;
  const { declaration } = found;
  const at = recorded.url.indexOf('?');
  const query = new URLSearchParams(at < 0 ? '' : recorded.url.slice(at + 1));
  const counts = new Map<string, number>();
  for (const key of query.keys()) counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const [key, count] of counts) {
    const type = Object.hasOwn(declaration.query, key) ? declaration.query[key] : undefined;
    if (type === undefined)
      return `query key "${key}" is not declared by ${declaration.method} ${declaration.path}`;
    if (typeof type === 'object' && 'refused' in type) return `query key "${key}" is declared refused`;
    if (count > 1 && type !== 'list') return `query key "${key}" came ${count} times`;
  }
  const withBody = recorded.body !== '' || recorded.chunked;
  if (withBody && declaration.body === 'none') return `a body on ${declaration.method} ${declaration.path}`;
  const type = recorded.contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (withBody && declaration.body === 'json' && type !== 'application/json')
    return `a JSON route got "${type}"`;
  if (withBody && declaration.body === 'tar' && type !== 'application/x-tar')
    return `a tar route got "${type}"`;
  return undefined;
}

/** A small seeded PRNG (mulberry32): the same seed gives the same requests. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/** A build context holding only a Dockerfile, as the text of its tar bytes (all ASCII or NUL). */
async function buildContext(dockerfile: string): Promise<string> {
  const archive = pack();
  archive.entry({ name: 'Dockerfile' }, dockerfile);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('latin1');
}

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

function send(socketPath: string, sent: Sent): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    let outgoing: http.ClientRequest;
    try {
      outgoing = http.request(
        {
          socketPath,
          method: sent.method,
          path: sent.url,
          headers: sent.headers,
          agent: false,
          timeout: 10_000,
        },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => {
            text += chunk.toString();
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
          response.on('error', () => resolve({ status: response.statusCode ?? 0, body: text }));
        },
      );
    } catch (error) {
      // A request Node itself will not send (an unescaped path): nothing reached the proxy.
      resolve({ status: -1, body: String(error) });
      return;
    }
    outgoing.on('timeout', () => outgoing.destroy(new Error('timeout')));
    outgoing.on('error', (error) => resolve({ status: 0, body: error.message }));
    outgoing.end(sent.body);
  });
}

let directory: string;
let recorder: Recorder;
let proxy: PolicyProxy;

/** A POST to the proxy under test, with these headers and body. */
function post(url: string, headers: Record<string, string> = {}, body?: string) {
  return send(proxy.socketPath, { method: 'POST', url, headers, ...(body === undefined ? {} : { body }) });
}

async function startProxy(bounds?: Partial<GateBounds>): Promise<void> {
  const run = { runId: RUN, scope: SCOPE, submission: path.join(directory, 'submission') };
  proxy = await startRunProxy(recorder.socketPath, path.join(directory, 'proxy.sock'), run, bounds);
}

/** Expects the gate's refusal: `status`, and a JSON message that is `message` (or matches it). */
function expectRefusal(
  answer: { status: number; body: string },
  status: number,
  message: string | RegExp,
): void {
  expect(answer.status).toBe(status);
  const said = (JSON.parse(answer.body) as { message: string }).message;
  if (typeof message === 'string') expect(said).toBe(message);
  else expect(said).toMatch(message);
}

beforeEach(async () => {
  directory = mkdtempSync(path.join(os.tmpdir(), 'proxy-route-table-'));
  mkdirSync(path.join(directory, 'submission'));
  recorder = new Recorder(path.join(directory, 'engine.sock'));
  await recorder.listen();
});

afterEach(async () => {
  await proxy?.close();
  await recorder.close();
  rmSync(directory, { recursive: true, force: true });
});

const NAMES = [
  'web',
  'busybox',
  'docker-autograder/x:latest',
  'library/busybox:1',
  'c0ffee',
  'e1',
  'data',
  '..',
  '%2e%2e',
  'a%2Fb',
  '%zz',
  'x%20y',
];
const JUNK_PATHS = [
  '/containers/web/checkpoints',
  '/swarm/init',
  '/session',
  '/grpc',
  '/plugins/x/json',
  '/system/df',
  '/containers/prune',
  '/build/prune',
  '/images/load',
  '/build/cancel',
  '/containers/web',
  '/images/web/push',
  '/volumes/data',
  '/distribution/busybox/json',
  '/nodes',
  '/',
  '',
];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
const PREFIXES = ['', '/v1.41', '/v1.45', '/v1.24', '/v1.40', '/v2', '/V1.41', '/v1.41/v1.41'];
const EXTRA_KEYS = [
  'x',
  'name',
  'repo',
  'tag',
  'fromSrc',
  'HostConfig',
  't',
  'privileged',
  'networkmode',
  'Name',
  'force',
  'changes',
  'container',
];
const VALUES = ['1', '0', 'true', 'x', '{}', '[', '%zz', 'a;b', 'evil', '{"label":["a"]}', '', '-1', 'host'];
const CONTENT_TYPES = [
  undefined,
  'application/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'text/plain',
  'application/x-tar',
  'Application/JSON; charset=utf-8',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/octet-stream',
];
const BODIES = [
  '',
  '{}',
  'repo=evil&tag=x&fromSrc=-&name=evil',
  '--x\r\nContent-Disposition: form-data; name="repo"\r\n\r\nevil\r\n--x--\r\n',
  '{"Image":"busybox"}',
  '{"Name":"n","Name":"m"}',
  '{"Container":"web","EndpointConfig":{}}',
  'null',
  '\u0000\u0001tar',
];

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)] as T;
}

function randomRequest(random: () => number): Sent {
  const declaration = pick(random, ROUTE_TABLE);
  let path: string;
  if (random() < 0.75) {
    path = declaration.path.replace(/\{\w+\*?\}/g, () => (random() < 0.7 ? 'web' : pick(random, NAMES)));
  } else path = pick(random, JUNK_PATHS);
  const mutation = random();
  if (mutation < 0.05) path = path.replace('/', '//');
  else if (mutation < 0.1) path = `${path}/../../info`;
  else if (mutation < 0.13) path = `${path}/`;
  else if (mutation < 0.16)
    path = path.replace(/\/([a-z])/, (_all, letter: string) => `/%${letter.charCodeAt(0).toString(16)}`);
  else if (mutation < 0.18) path = path.toUpperCase();
  const prefix = random() < 0.7 ? '/v1.41' : pick(random, PREFIXES);
  const method = random() < 0.7 ? declaration.method : pick(random, METHODS);
  const keys: string[] = [];
  const declared = Object.keys(declaration.query);
  const count = Math.floor(random() * 4);
  for (let index = 0; index < count; index++) {
    keys.push(random() < 0.6 && declared.length > 0 ? pick(random, declared) : pick(random, EXTRA_KEYS));
  }
  if (random() < 0.1 && keys.length > 0) keys.push(keys[0] as string);
  const query = keys.map((key) => `${encodeURIComponent(key)}=${encodeURIComponent(pick(random, VALUES))}`);
  if (random() < 0.05) query.push(pick(random, ['%zz=1', 'a=%zz', 'name=a;name=b', '=', '&&']));
  const url = `${prefix}${path}${query.length > 0 ? `?${query.join('&')}` : ''}`;
  const headers: Record<string, string> = {};
  const contentType = pick(random, CONTENT_TYPES);
  if (contentType !== undefined) headers['Content-Type'] = contentType;
  const withBody = random() < 0.6;
  const body = withBody ? pick(random, BODIES) : undefined;
  if (body !== undefined && random() < 0.8) headers['Content-Length'] = String(Buffer.byteLength(body));
  // Without a Content-Length, Node sends the body chunked.
  return { method, url, headers, ...(body !== undefined ? { body } : {}) };
}

describe('the route table, fuzzed', () => {
  it('lets nothing outside the declared table reach the engine', async () => {
    await startProxy();
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
    // Printed so that a failure can be replayed: FUZZ_SEED=<seed> npx vitest run ...
    console.log(`route table fuzz seed: ${seed}`);
    const random = prng(seed);
    const total = 3000;
    const batch = 16;
    const deadline = Date.now() + 60_000;
    const statuses = new Map<number, number>();
    let sent = 0;
    while (sent < total && Date.now() < deadline) {
      const requests = Array.from({ length: batch }, () => randomRequest(random));
      const answers = await Promise.all(requests.map((request) => send(proxy.socketPath, request)));
      for (const answer of answers) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      sent += batch;
    }
    const violations = recorder.requests
      .map((recorded) => ({ recorded, why: outsideTable(recorded) }))
      .filter((entry) => entry.why !== undefined)
      .map((entry) => `${entry.recorded.method} ${entry.recorded.url}: ${entry.why}`);
    expect(violations, `seed ${seed}`).toEqual([]);
    // Not vacuous: many requests were sent, many reached the engine, many were refused.
    expect(sent).toBeGreaterThanOrEqual(1000);
    expect(recorder.requests.length).toBeGreaterThan(200);
    expect(statuses.get(200) ?? 0).toBeGreaterThan(50);
    expect((statuses.get(400) ?? 0) + (statuses.get(403) ?? 0) + (statuses.get(415) ?? 0)).toBeGreaterThan(
      500,
    );
    expect(recorder.requests.some((recorded) => /form|multipart/i.test(recorded.contentType))).toBe(false);
  }, 120_000);
});

/** A path of a declaration with its parameters filled in. */
function concrete(declaration: RouteDeclaration): string {
  return `/v1.41${declaration.path.replace(/\{\w+\*?\}/g, 'web')}`;
}

/** Requests other than the proxy's own lookups (GETs of objects and lists). */
function forwardedWrites(): Recorded[] {
  return recorder.requests.filter((recorded) => recorded.method !== 'GET');
}

describe('bodies and keys the routes do not declare', () => {
  beforeEach(() => startProxy());

  const writable = ROUTE_TABLE.filter(
    (declaration) => declaration.method !== 'GET' && declaration.method !== 'HEAD',
  );

  it.each(writable.map((declaration) => [`${declaration.method} ${declaration.path}`, declaration] as const))(
    'refuses a form body on %s, and the engine never sees it',
    async (_name, declaration) => {
      for (const [type, body] of [
        ['application/x-www-form-urlencoded', 'repo=evil&tag=x&fromSrc=-&name=evil'],
        [
          'multipart/form-data; boundary=x',
          '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nevil\r\n--x--\r\n',
        ],
      ] as const) {
        const answer = await send(proxy.socketPath, {
          method: declaration.method,
          url: concrete(declaration),
          headers: { 'Content-Type': type, 'Content-Length': String(body.length) },
          body,
        });
        expect(answer.status).toBeGreaterThanOrEqual(400);
        expect(answer.body).toMatch(/refused by the grader|not allowed/);
      }
      expect(forwardedWrites()).toEqual([]);
      expect(recorder.requests.some((recorded) => recorded.body.includes('evil'))).toBe(false);
    },
  );

  it('names the form body and where parameters go', async () => {
    const answer = await post(
      '/v1.41/images/busybox/tag',
      { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '17' },
      'repo=evil&tag=one',
    );
    expectRefusal(answer, 400, 'refused by the grader: POST /images/{name*}/tag takes no request body');
    const create = await post(
      '/v1.41/containers/create',
      { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '9' },
      'name=evil',
    );
    expectRefusal(create, 415, /takes no form body .*parameters go in the query string/);
    expect(forwardedWrites()).toEqual([]);
  });

  it('refuses an undeclared query key, naming it and the route', async () => {
    const answer = await post('/v1.41/containers/web/rename?name=b&x=1');
    expectRefusal(
      answer,
      400,
      'refused by the grader: query parameter "x" is not accepted by POST /containers/{id}/rename',
    );
    expect(forwardedWrites()).toEqual([]);
  });

  it('refuses a query key given twice, and a value not of its type', async () => {
    const twice = await post('/v1.41/containers/web/rename?name=a&name=b');
    expectRefusal(twice, 400, /query parameter "name" is given twice/);
    const notInt = await post('/v1.41/containers/web/stop?t=soon');
    expect(JSON.parse(notInt.body).message).toMatch(/query parameter "t" .* must be an integer/);
    const semicolon = await post('/v1.41/containers/web/rename?name=a;name=b');
    expect(semicolon.status).toBe(400);
    expect(forwardedWrites()).toEqual([]);
    // A list key may repeat: docker build -t a -t b.
    const tags = await send(proxy.socketPath, {
      method: 'POST',
      url: '/v1.41/build?t=a&t=b',
      headers: { 'Content-Type': 'application/x-tar' },
      // The proxy reads the Dockerfile before the build (build-rules.ts): a context that has one.
      body: await buildContext('FROM scratch\n'),
    });
    expect(tags.status).toBe(200);
    const build = recorder.requests.find((recorded) => apiPath(recorded.url) === '/build');
    expect(new URLSearchParams(build?.url.split('?')[1]).getAll('t')).toEqual([
      `${SCOPE}-a:latest`,
      `${SCOPE}-b:latest`,
    ]);
  });

  it('refuses duplicate JSON keys and undeclared top-level fields', async () => {
    const twice = await post(
      '/v1.41/networks/create',
      { 'Content-Type': 'application/json' },
      '{"Name":"ok","Name":"evil"}',
    );
    expectRefusal(twice, 400, /names the key "Name" twice/);
    const field = await post(
      '/v1.41/volumes/create',
      { 'Content-Type': 'application/json' },
      '{"Name":"data","ClusterVolumeSpec":{}}',
    );
    expect(JSON.parse(field.body).message).toBe(
      'refused by the grader: body field "ClusterVolumeSpec" is not accepted by POST /volumes/create',
    );
    expect(forwardedWrites()).toEqual([]);
  });

  it('refuses a body on a route that takes none, by length or chunked', async () => {
    const sized = await post(
      '/v1.41/containers/web/start',
      { 'Content-Type': 'application/json', 'Content-Length': '2' },
      '{}',
    );
    expectRefusal(sized, 400, /POST \/containers\/\{id\}\/start takes no request body/);
    const chunked = await post('/v1.41/containers/web/start', { 'Content-Type': 'text/plain' }, 'x');
    expect(chunked.status).toBe(400);
    expect(forwardedWrites()).toEqual([]);
    // What the Go client sends for docker start: text/plain, no body. Forwarded without a type.
    const start = await post('/v1.41/containers/web/start', {
      'Content-Type': 'text/plain',
      'Content-Length': '0',
    });
    expect(start.status).toBe(200);
    expect(
      forwardedWrites().map((recorded) => [recorded.method, apiPath(recorded.url), recorded.contentType]),
    ).toEqual([['POST', '/containers/c0ffee/start', '']]);
  });

  it('tells a BuildKit client to use the classic builder, and answers a plugin inspection with 404', async () => {
    for (const url of ['/v1.41/session', '/v1.41/grpc', '/v1.41/build?version=2']) {
      const answer = await send(proxy.socketPath, { method: 'POST', url, headers: {} });
      expectRefusal(answer, 403, /BuildKit builds are not available under the grader: use `docker build`/);
    }
    // buildx's fallback: its docker-container builder, and the moby/buildkit image it would pull.
    for (const [method, url] of [
      ['GET', '/v1.41/containers/buildx_buildkit_default/json'],
      ['POST', '/v1.41/images/create?fromImage=moby%2Fbuildkit&tag=buildx-stable-1'],
    ]) {
      const answer = await send(proxy.socketPath, { method: method ?? 'GET', url: url ?? '', headers: {} });
      expect(answer.status, url).toBe(403);
      expect(JSON.parse(answer.body).message).toMatch(/use `docker build`/);
    }
    const plugin = await send(proxy.socketPath, {
      method: 'GET',
      url: '/v1.41/plugins/web/json',
      headers: {},
    });
    expect(plugin.status).toBe(404);
    expect(recorder.requests).toEqual([]);
  });
});

describe('networks', () => {
  beforeEach(() => startProxy());

  async function post(url: string, body: unknown): Promise<{ status: number; message: string }> {
    const answer = await send(proxy.socketPath, {
      method: 'POST',
      url,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: answer.status, message: String(JSON.parse(answer.body || '{}').message ?? '') };
  }

  it('refuses IPAM options and fixed addresses, on create and on connect', async () => {
    const refused = [
      await post('/v1.41/networks/create', { Name: 'n', IPAM: { Config: [{ Subnet: '10.99.0.0/24' }] } }),
      await post('/v1.41/networks/create', { Name: 'n', IPAM: { Config: [{ Gateway: '10.99.0.1' }] } }),
      await post('/v1.41/networks/create', { Name: 'n', IPAM: { Options: { foo: 'bar' } } }),
      await post('/v1.41/networks/create', { Name: 'n', IPAM: { Driver: 'other' } }),
      await post('/v1.41/containers/create?name=web', {
        Image: 'busybox',
        NetworkingConfig: { EndpointsConfig: { backend: { IPAMConfig: { IPv4Address: '10.99.0.5' } } } },
      }),
      await post('/v1.41/networks/backend/connect', {
        Container: 'web',
        EndpointConfig: { IPAMConfig: { IPv6Address: 'fd00::5' } },
      }),
    ];
    for (const answer of refused) {
      expect(answer.status).toBe(403);
      expect(answer.message).toMatch(/IPAM .*not allowed|fixed address on network .* is not allowed/);
    }
    expect(forwardedWrites()).toEqual([]);
    // What compose sends by default passes.
    const compose = await post('/v1.41/networks/create', {
      Name: 'n',
      Driver: 'bridge',
      IPAM: { Driver: '', Config: null, Options: null },
    });
    expect(compose.status).toBe(201);
  });

  it(`refuses a network beyond ${MAX_NETWORKS_PER_EXERCISE} of the exercise, with the reason`, async () => {
    recorder.override = (method, path) =>
      method === 'GET' && path === '/networks'
        ? {
            status: 200,
            body: Array.from({ length: MAX_NETWORKS_PER_EXERCISE }, (_, index) => ({
              Id: `n${index}`,
              Labels: LABELS,
            })),
          }
        : undefined;
    const answer = await post('/v1.41/networks/create', { Name: 'one-more' });
    expect(answer.status).toBe(403);
    expect(answer.message).toContain(`the most it may create is ${MAX_NETWORKS_PER_EXERCISE}`);
    expect(forwardedWrites()).toEqual([]);
  });

  it("classes an exhausted address pool as the engine's fault", async () => {
    recorder.override = (method, path) =>
      method === 'POST' && path === '/networks/create'
        ? {
            status: 500,
            body: {
              message:
                'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network',
            },
          }
        : undefined;
    const answer = await post('/v1.41/networks/create', { Name: 'n' });
    expect(answer.status).toBe(500);
    expect(proxy.engineErrors).toHaveLength(1);
    expect(proxy.engineErrors[0]).toContain('non-overlapping IPv4 address pool');
  });
});

describe('the gate is bounded', () => {
  it('drops a body that stalls with 408, and the engine never sees the request', async () => {
    await startProxy({ bodyDeadlineMs: 300 });
    const started = Date.now();
    const answer = await rawExchange(
      proxy.socketPath,
      'POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"Ima',
      { timeoutMs: 5000 },
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('did not arrive within 0.3 s');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(forwardedWrites()).toEqual([]);
  });

  it('refuses a connection beyond the bound, with a message', async () => {
    await startProxy({ maxConnections: 4 });
    const held: net.Socket[] = [];
    for (let index = 0; index < 4; index++) {
      const socket = net.connect(proxy.socketPath);
      await new Promise((resolve) => socket.once('connect', resolve));
      held.push(socket);
    }
    // The server counts a connection once it accepted it: a request on each makes sure it has.
    const answers = await Promise.all(
      held.map(
        (socket) =>
          new Promise<string>((resolve) => {
            socket.once('data', (chunk: Buffer) => resolve(chunk.toString()));
            socket.write('GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n');
          }),
      ),
    );
    expect(answers.every((answer) => answer.startsWith('HTTP/1.1 200'))).toBe(true);
    const refused = await rawExchange(proxy.socketPath, 'GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n', {
      timeoutMs: 5000,
    });
    expect(refused).toMatch(/^HTTP\/1\.1 503 /);
    expect(refused).toContain('more than 4 connections');
    for (const socket of held) socket.destroy();
  });

  it('bounds the bytes of bodies buffered at once across requests', async () => {
    await startProxy({ maxBufferedBodyBytes: 64 * 1024, bodyDeadlineMs: 5000 });
    const partial = `{"Image":"${'a'.repeat(40 * 1024)}`;
    const head = `POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: ${512 * 1024}\r\n\r\n`;
    // Two bodies of 40 KiB each, both stalled within their deadline: together above the bound.
    const sockets = [net.connect(proxy.socketPath), net.connect(proxy.socketPath)];
    const refused = await Promise.race(
      sockets.map(
        (socket) =>
          new Promise<string>((resolve) => {
            socket.on('data', (chunk: Buffer) => resolve(chunk.toString()));
            socket.write(head + partial);
          }),
      ),
    );
    expect(refused).toMatch(/^HTTP\/1\.1 503 /);
    expect(refused).toContain('holding too many request bodies at once');
    for (const socket of sockets) socket.destroy();
    expect(forwardedWrites()).toEqual([]);
  });
});
