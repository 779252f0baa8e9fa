// The policy proxy between a client and a scripted upstream that speaks the Engine API's HTTP
// (what the proxy forwards, on which connection, and what it answers): hijacked connections,
// bodies as forwarded, lookups the engine answers with 4xx, bind sources at start, the
// container cap. The real engine's side is in test/integration/abuse-api.itg.test.ts.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RUN_LABEL } from '../../../src/naming/labels';
import { MAX_CONTAINERS_PER_EXERCISE, type PolicyProxy } from '../../../src/proxy/index';
import { upstreamJson } from '../../../src/proxy/upstream';
import { RUN_LABELS as LABELS, RUN, SCOPE } from '../../support/policy-context';
import { expectRefused, OLD_API_START, type Refused } from '../../support/proxy-attacks';
import { startRunProxy } from '../../support/proxy-for-run';
import { rawExchange, rawRequest, socketRequest, UPGRADE } from '../../support/sockets';

interface FakeContainer {
  Id: string;
  Name: string;
  Config: { Labels: Record<string, string> };
  HostConfig: Record<string, unknown>;
  Mounts: unknown[];
}

/** A scripted engine: records every request line it reads, on any connection. */
class FakeUpstream {
  readonly requests: string[] = [];
  /** Bytes that arrived on hijack connections after the request's body. */
  readonly hijackedBytes: string[] = [];
  readonly bodies: unknown[] = [];
  containers = new Map<string, FakeContainer>();
  /** How exec start answers an upgrade: switch protocols, or a conflict. */
  execStart: 'upgrade' | 'conflict' = 'upgrade';
  server = http.createServer();
  private readonly hijacked: Duplex[] = [];

  constructor(readonly socketPath: string) {
    this.server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => this.answer(request, Buffer.concat(chunks).toString(), response));
    });
    this.server.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      this.requests.push(`${request.method} ${request.url}`);
      const length = Number(request.headers['content-length'] ?? 0);
      this.bodies.push(JSON.parse(head.subarray(0, length).toString() || 'null'));
      if (head.length > length) this.hijackedBytes.push(head.subarray(length).toString());
      socket.on('data', (chunk: Buffer) => this.hijackedBytes.push(chunk.toString()));
      socket.on('error', () => undefined);
      this.hijacked.push(socket);
      if (this.execStart === 'conflict') {
        const body = '{"message":"Container c1 is not running"}';
        // Like the engine: an error answer, and the connection kept open for the next request.
        socket.write(
          `HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        );
        return;
      }
      socket.write(
        'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nhello from the exec\n',
      );
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.socketPath, resolve));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    for (const socket of this.hijacked) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  add(name: string, extra: Partial<FakeContainer> = {}): FakeContainer {
    const container: FakeContainer = {
      Id: `${name}-id`,
      Name: `/${SCOPE}-${name}`,
      Config: { Labels: { ...LABELS, 'org.docker-autograder.name': name } },
      HostConfig: {},
      Mounts: [],
      ...extra,
    };
    this.containers.set(container.Id, container);
    return container;
  }

  private find(reference: string): FakeContainer | undefined {
    const name = decodeURIComponent(reference);
    return [...this.containers.values()].find(
      (container) => container.Id === name || container.Name === `/${name}`,
    );
  }

  private answer(request: http.IncomingMessage, body: string, response: http.ServerResponse): true {
    const url = request.url ?? '';
    this.requests.push(`${request.method} ${url}`);
    if (body !== '') this.bodies.push(JSON.parse(body));
    const json = (status: number, value: unknown): true => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(value));
      return true;
    };
    const path = url.split('?')[0]?.replace(/^\/v[\d.]+/, '') ?? '';
    let match = /^\/containers\/([^/]+)\/json$/.exec(path);
    if (match) {
      const container = this.find(match[1] ?? '');
      return container ? json(200, container) : json(404, { message: `No such container: ${match[1]}` });
    }
    if (path === '/containers/json') return json(200, [...this.containers.values()]);
    match = /^\/containers\/([^/]+)\/(start|restart)$/.exec(path);
    if (match) {
      response.writeHead(204);
      response.end();
      return true;
    }
    if (path === '/containers/create') {
      const container = this.add(`c${this.containers.size}`);
      return json(201, { Id: container.Id, Warnings: [] });
    }
    match = /^\/exec\/([^/]+)\/json$/.exec(path);
    if (match) return json(200, { ID: match[1], ContainerID: 'c1-id' });
    match = /^\/images\/(.+)\/json$/.exec(path);
    if (match) {
      const reference = decodeURIComponent(match[1] ?? '');
      if (reference.includes('..')) return json(400, { message: `invalid reference format: ${reference}` });
      if (reference.startsWith('busybox')) return json(200, { Id: 'sha256:b', Config: { Labels: null } });
      return json(404, { message: `No such image: ${reference}` });
    }
    if (path === '/volumes/create') return json(201, {});
    if (/^\/containers\/[^/]+\/rename$/.test(path)) {
      // Like Podman's answers to some writes: a success in plain text, not JSON.
      response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end('OK');
      return true;
    }
    return json(404, { message: `page not found: ${path}` });
  }
}

let directory: string;
let submission: string;
let upstream: FakeUpstream;
let proxy: PolicyProxy;

beforeEach(async () => {
  directory = mkdtempSync(path.join(os.tmpdir(), 'proxy-upstream-'));
  submission = path.join(directory, 'submission');
  mkdirSync(path.join(submission, 'html'), { recursive: true });
  upstream = new FakeUpstream(path.join(directory, 'engine.sock'));
  await upstream.listen();
  upstream.add('c1');
  proxy = await startRunProxy(upstream.socketPath, path.join(directory, 'proxy.sock'), {
    runId: RUN,
    scope: SCOPE,
    submission,
  });
});

afterEach(async () => {
  await proxy.close();
  await upstream.close();
  rmSync(directory, { recursive: true, force: true });
});

/** Raw bytes to the proxy; everything it answers until it closes the connection (or `until`). */
function raw(bytes: string, until?: (received: string) => boolean): Promise<string> {
  return rawExchange(proxy.socketPath, bytes, { until, timeoutMs: 5000 });
}

function request(method: string, url: string, body?: string): Promise<{ status: number; body: string }> {
  return socketRequest(proxy.socketPath, method, url, body);
}

const SMUGGLED = 'POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Length: 2\r\n\r\n{}';

function execStart(body: string): string {
  return rawRequest('POST', '/v1.41/exec/e1/start', body, UPGRADE);
}

describe('hijacked connections', () => {
  it('relays an answer that is not 101, closes the connection, and lets nothing after it through', async () => {
    upstream.execStart = 'conflict';
    const answer = await raw(execStart('{"Detach":false,"Tty":false}') + SMUGGLED);
    expect(answer).toMatch(/^HTTP\/1\.1 409 Conflict\r\n/);
    expect(answer).toMatch(/Connection: close/i);
    expect(answer).toContain('Container c1 is not running');
    expect(upstream.hijackedBytes.join('')).not.toContain('containers/create');
    expect(upstream.requests).not.toContain('POST /v1.41/containers/create');
  });

  it('refuses a detached exec start on an upgraded connection, before the engine sees it', async () => {
    for (const body of ['{"Detach":true,"Tty":false}', '{"detach":true}', '{"DETACH":true}']) {
      const answer = await raw(execStart(body) + SMUGGLED);
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer).toContain('a detached exec cannot be started on an upgraded connection');
    }
    expect(upstream.requests.filter((line) => line.includes('/start'))).toEqual([]);
    expect(upstream.requests).not.toContain('POST /v1.41/containers/create');
  });

  it('pipes both ways once the engine switched protocols, the bytes sent early included', async () => {
    const answer = await raw(`${execStart('{"detach":false,"tty":true}')}ls\n`, (text) =>
      text.includes('hello from the exec'),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 101 UPGRADED\r\n/);
    // The body the engine read is the one the proxy read, in the canonical spelling.
    expect(upstream.bodies.at(-1)).toEqual({ Detach: false, Tty: true });
    await expect.poll(() => upstream.hijackedBytes.join('')).toBe('ls\n');
  });
});

describe('hijacked connections, the body in pieces', () => {
  it('reads an exec start body that arrives after the headers, and polices it', async () => {
    const body = '{"Detach":true}';
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(proxy.socketPath);
      let received = '';
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString();
      });
      socket.on('close', () => resolve(received));
      const full = execStart(body);
      const split = full.length - body.length;
      // The body follows once the proxy has seen the headers (it waits for the rest).
      socket.write(full.slice(0, split), () => setImmediate(() => socket.write(full.slice(split))));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('a detached exec cannot be started');
    expect(upstream.requests.filter((line) => line.includes('/start'))).toEqual([]);
  });
});

describe('request bodies as forwarded', () => {
  it.each<{ what: string; url: string; body: string; refused: Refused; route: string }>([
    {
      what: 'privileged spelled in another case',
      url: '/v1.41/containers/create?name=web',
      body: '{"Image":"busybox","hostconfig":{"privileged":true}}',
      refused: { status: 403, reason: /privileged containers are not allowed/ },
      route: '/containers/create',
    },
    {
      what: 'an old API version that would carry a HostConfig on start',
      url: OLD_API_START.url('c1'),
      body: OLD_API_START.body,
      refused: OLD_API_START,
      route: '/start',
    },
  ])('refuses $what before the engine sees it', async ({ url, body, refused, route }) => {
    expectRefused(await request('POST', url, body), refused);
    expect(upstream.requests.filter((line) => line.includes(route))).toEqual([]);
  });

  it('forwards what it policed, in the canonical spelling: no second copy of a field', async () => {
    const answer = await request(
      'POST',
      '/v1.41/containers/create?name=web',
      '{"image":"busybox","HostConfig":{"Memory":99999999999,"CapAdd":["CHOWN"]}}',
    );
    expect(answer.status).toBe(201);
    const forwarded = upstream.bodies.at(-1) as Record<string, Record<string, unknown>>;
    expect(Object.keys(forwarded)).toContain('Image');
    expect(Object.keys(forwarded)).not.toContain('image');
    expect(forwarded.HostConfig?.Memory).toBe(512 * 1024 * 1024);
    expect(Object.keys(forwarded.HostConfig ?? {})).not.toContain('memory');
  });
});

describe('lookups the engine answers with 4xx', () => {
  it('pass the engine’s answer to the student and are no engine error', async () => {
    const answer = await request('GET', '/v1.41/images/bad..ref/json');
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('invalid reference format');
    expect(proxy.engineErrors).toEqual([]);
    expect(proxy.refusals).toEqual([]);
  });
});

describe('a success the engine answers in plain text', () => {
  it('passes to the student as it is, and is no engine error', async () => {
    const answer = await request('POST', '/v1.41/containers/c1/rename?name=c2');
    expect(answer).toEqual({ status: 200, body: 'OK' });
    expect(upstream.requests).toContain(`POST /v1.41/containers/c1-id/rename?name=${SCOPE}-c2`);
    expect(proxy.engineErrors).toEqual([]);
  });
});

describe('bind sources at start', () => {
  it('refuses to start a container whose bind source became a symlink out of the submission', async () => {
    const source = path.join(submission, 'html');
    upstream.add('web', {
      HostConfig: { Binds: [`${source}:/usr/share/nginx/html`] },
      Mounts: [{ Type: 'bind', Source: source, Destination: '/usr/share/nginx/html' }],
    });
    expect((await request('POST', '/v1.41/containers/web/start')).status).toBe(204);
    rmSync(source, { recursive: true });
    symlinkSync('/', source);
    for (const action of ['start', 'restart']) {
      expectRefused(await request('POST', `/v1.41/containers/web/${action}`), {
        status: 403,
        reason: /only folders inside the submission .*checked again at start/,
      });
    }
    expect(upstream.requests.filter((line) => line.endsWith('/web-id/start'))).toHaveLength(1);
    expect(upstream.requests.filter((line) => line.endsWith('/web-id/restart'))).toHaveLength(0);
  });
});

/** Limits small enough that fifty containers fit the exercise's memory and process budget. */
const SMALL = { Memory: 8 * 1024 * 1024, PidsLimit: 8 };

describe('the container cap', () => {
  it('lets only as many creates sent at once pass as there is room for', async () => {
    // Small containers: the count is what is tested here, not the memory budget (budget.test.ts).
    for (let index = upstream.containers.size; index < MAX_CONTAINERS_PER_EXERCISE - 2; index++)
      upstream.add(`x${index}`, { HostConfig: SMALL });
    const answers = await Promise.all(
      [1, 2, 3, 4].map(() => request('POST', '/v1.41/containers/create', '{"Image":"busybox"}')),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 201, 403, 403]);
    expect(upstream.containers.size).toBe(MAX_CONTAINERS_PER_EXERCISE);
  });

  it(`refuses a container beyond ${MAX_CONTAINERS_PER_EXERCISE} of the run, with the reason`, async () => {
    for (let index = upstream.containers.size; index < MAX_CONTAINERS_PER_EXERCISE; index++)
      upstream.add(`x${index}`, { HostConfig: SMALL });
    expectRefused(await request('POST', '/v1.41/containers/create', '{"Image":"busybox"}'), {
      status: 403,
      reason: /already has 50 containers, the most it may create is 50/,
    });
    expect(upstream.requests.filter((line) => line.includes('/containers/create'))).toEqual([]);
    // The count is of the run's containers, the client container included.
    expect(upstream.requests.find((line) => line.startsWith('GET /containers/json'))).toContain(
      encodeURIComponent(`${RUN_LABEL}=${RUN}`),
    );
  });
});

describe("the gate's own lookups of an engine that stopped answering", () => {
  it('end at their deadline with the reason, instead of holding the student’s command', async () => {
    const silent = net.createServer((socket) => {
      // Reads the request, never answers: a daemon stopped with SIGSTOP.
      socket.resume();
    });
    const socketPath = path.join(directory, 'silent.sock');
    await new Promise<void>((resolve) => silent.listen(socketPath, resolve));
    try {
      await expect(
        upstreamJson({ socketPath }, 'GET', '/info', undefined, { timeoutMs: 200 }),
      ).rejects.toThrow('the Docker engine did not answer GET /info within 0.2 s');
    } finally {
      silent.close();
    }
  });
});
