// The proxy's own calls to the engine (looking objects up to decide whether they are the run's),
// and the connection every forwarded request is made on.
import { realpath, stat } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { ENGINE_NETWORK_REFERENCES } from '../naming/engine-networks';
import { RUN_LABEL, SCOPE_LABEL } from '../naming/labels';
import type { VirtualNames } from '../naming/virtual-names';
import { isEngineFaultStatus } from '../run/attribution';
import type { PolicyLookups, Resolved, ResolvedImage } from './policy';
import { isRecord, type Json, Refusal } from './refusal';
import { imageVisibility, isClientContainer } from './visibility';

export type Upstream = { socketPath: string } | { dial: () => Promise<Duplex> };

/** Answers of the proxy's own lookups beyond this size mean something is wrong. */
const MAX_LOOKUP_BYTES = 32 * 1024 * 1024;
export const LOOKUP_TIMEOUT_MS = 30_000;

export function connectUpstream(upstream: Upstream): Promise<Duplex> {
  if ('dial' in upstream) return upstream.dial();
  return new Promise((resolve, reject) => {
    const socket = net.connect(upstream.socketPath);
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** http.request options that make the request on a fresh upstream connection. */
export function upstreamRequestOptions(upstream: Upstream): http.RequestOptions {
  return {
    createConnection: (_options, callback) => {
      connectUpstream(upstream).then(
        (socket) => callback(null, socket as net.Socket),
        (error: Error) => callback(error, undefined as unknown as net.Socket),
      );
      return undefined as unknown as net.Socket;
    },
  };
}

export interface UpstreamAnswer {
  status: number;
  body: unknown;
}

export interface UpstreamJsonOptions {
  /** From the request's start to its answer's end (LOOKUP_TIMEOUT_MS by default). */
  timeoutMs?: number;
  /** Gives the request up (a watch that stops must not leave requests holding the process). */
  signal?: AbortSignal;
}

export function upstreamJson(
  upstream: Upstream,
  method: string,
  url: string,
  body?: Json,
  options: UpstreamJsonOptions = {},
): Promise<UpstreamAnswer> {
  const { timeoutMs = LOOKUP_TIMEOUT_MS, signal } = options;
  return new Promise<UpstreamAnswer>((resolveAnswer, rejectAnswer) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const request = http.request({
      ...upstreamRequestOptions(upstream),
      method,
      path: url,
      headers: {
        Host: 'docker',
        ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}),
      },
      ...(signal === undefined ? {} : { signal }),
    });
    // A deadline of its own, from the request's start to its answer's end: the socket's idle
    // timeout does not reach a connection handed over by createConnection (an ssh dial's
    // stream), and an engine that stopped (SIGSTOP) would hold the lookup, and the student's
    // command, for ever.
    const deadline = setTimeout(
      () =>
        request.destroy(
          new Error(`the Docker engine did not answer ${method} ${url} within ${timeoutMs / 1000} s`),
        ),
      timeoutMs,
    );
    // The request's own socket keeps the process alive while it waits; the deadline need not.
    deadline.unref();
    const resolve = (answer: UpstreamAnswer): void => {
      clearTimeout(deadline);
      resolveAnswer(answer);
    };
    const reject = (error: Error): void => {
      clearTimeout(deadline);
      rejectAnswer(error);
    };
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_LOOKUP_BYTES)
          request.destroy(new Error(`the answer to ${method} ${url} is too large`));
        else chunks.push(chunk);
      });
      response.on('error', reject);
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = text === '' ? undefined : JSON.parse(text);
        } catch {
          // Not JSON (a plain-text error): the text is the answer.
        }
        resolve({ status: response.statusCode ?? 0, body: parsed });
      });
    });
    request.end(payload);
  });
}

function labelsOf(value: unknown): Record<string, string> {
  const labels: Record<string, string> = {};
  if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) if (typeof item === 'string') labels[key] = item;
  }
  return labels;
}

/**
 * The engine's own 4xx answer to one of the proxy's lookups (an invalid reference, a name in
 * use): the student's request was wrong, and the student gets the engine's answer. It is neither
 * a refusal of the grader's nor a fault of the engine.
 */
export class EngineAnswer extends Refusal {}

function failure(what: string, answer: UpstreamAnswer): Error {
  const message = isRecord(answer.body) && typeof answer.body.message === 'string' ? answer.body.message : '';
  // A 4xx or a redirect is the student's request's answer; only a 5xx is the engine failing.
  if (!isEngineFaultStatus(answer.status)) {
    const status = Math.max(answer.status, 400);
    return new EngineAnswer(message || `${what}: HTTP ${answer.status}`, status);
  }
  return new Error(`the Docker engine failed to ${what} (HTTP ${answer.status}) ${message}`.trim());
}

type Ownership = 'own' | 'unlabelled' | 'foreign';

/** Engine lookups for the policy: whether a referenced object belongs to this run and scope. */
export class EngineLookups implements PolicyLookups {
  constructor(
    private readonly upstream: Upstream,
    private readonly names: VirtualNames,
    private readonly runId: string,
  ) {}

  ownership(labels: Record<string, string>): Ownership {
    if (labels[RUN_LABEL] === undefined) return 'unlabelled';
    return labels[RUN_LABEL] === this.runId && labels[SCOPE_LABEL] === this.names.scope ? 'own' : 'foreign';
  }

  /** The student's name first (scoped), then the reference as it is (an id, or someone else's name). */
  private candidates(reference: string): string[] {
    const bare = reference.replace(/^\//, '');
    const scoped = this.names.isName(bare) ? [this.names.real(bare)] : [];
    return [...new Set([...scoped, bare])].filter((candidate) => candidate !== '');
  }

  private async inspect(kind: string, url: string): Promise<Json | undefined> {
    // An empty name (`/images//json`) names nothing; the engine would answer it with a redirect
    // to another endpoint. Not asked: the proxy sends only paths of its route table.
    if (url.includes('//')) return undefined;
    const answer = await upstreamJson(this.upstream, 'GET', url);
    if (answer.status === 404) return undefined;
    if (answer.status !== 200 || !isRecord(answer.body)) throw failure(`inspect ${kind}`, answer);
    return answer.body;
  }

  async container(reference: string): Promise<Resolved> {
    return this.resolve(
      reference,
      'a container',
      (name) => `/containers/${name}/json`,
      (raw) => {
        const labels = labelsOf(isRecord(raw.Config) ? raw.Config.Labels : undefined);
        // The client container the student's commands run in is not theirs (visibility.ts).
        if (isClientContainer(labels)) return undefined;
        return this.ifOwn(labels, String(raw.Id), String(raw.Name).replace(/^\//, ''));
      },
    );
  }

  async network(reference: string): Promise<Resolved> {
    if (ENGINE_NETWORK_REFERENCES.has(reference)) return { kind: 'builtin', name: reference };
    return this.resolve(
      reference,
      'a network',
      (name) => `/networks/${name}`,
      (raw) => {
        const name = String(raw.Name);
        const own = this.ifOwn(labelsOf(raw.Labels), String(raw.Id), name);
        if (own !== undefined) return own;
        // The engine's own networks, by id or full name.
        return ENGINE_NETWORK_REFERENCES.has(name) ? { kind: 'builtin', name } : undefined;
      },
    );
  }

  async volume(reference: string): Promise<Resolved> {
    return this.resolve(
      reference,
      'a volume',
      (name) => `/volumes/${name}`,
      (raw) => this.ifOwn(labelsOf(raw.Labels), String(raw.Name), String(raw.Name)),
    );
  }

  /** The object of these labels, id and name as the run's own, or undefined when it is not. */
  private ifOwn(labels: Record<string, string>, id: string, name: string): Resolved | undefined {
    return this.ownership(labels) === 'own' ? { kind: 'own', id, name, labels } : undefined;
  }

  /**
   * Inspects each candidate of `reference` (urlOf gets it encoded) until `usable` takes one: the
   * first it takes, else foreign when some candidate exists but none was taken, else missing.
   */
  private async resolve(
    reference: string,
    kind: string,
    urlOf: (encodedName: string) => string,
    usable: (raw: Json) => Resolved | undefined,
  ): Promise<Resolved> {
    let found = false;
    for (const candidate of this.candidates(reference)) {
      const raw = await this.inspect(kind, urlOf(encodeURIComponent(candidate)));
      if (raw === undefined) continue;
      const resolved = usable(raw);
      if (resolved !== undefined) return resolved;
      found = true;
    }
    return found ? { kind: 'foreign' } : { kind: 'missing' };
  }

  async imageDetails(reference: string): Promise<Json | undefined> {
    return this.inspect('an image', `/images/${imagePath(reference)}/json`);
  }

  async image(reference: string): Promise<ResolvedImage> {
    // Only the run's own images and base images exist for the student (visibility.ts).
    const run = { runId: this.runId, scope: this.names.scope };
    const scoped = this.names.realImage(reference);
    if (scoped !== undefined) {
      const raw = await this.imageDetails(scoped);
      const visibility = raw === undefined ? 'hidden' : imageVisibility(raw, run, scoped);
      if (visibility !== 'hidden') return { kind: visibility, reference: scoped };
    }
    const raw = await this.imageDetails(reference);
    if (raw === undefined) return { kind: 'missing' };
    const visibility = imageVisibility(raw, run, reference);
    return visibility === 'hidden' ? { kind: 'foreign' } : { kind: visibility, reference };
  }

  imageOwnership(raw: Json): Ownership {
    return this.ownership(labelsOf(isRecord(raw.Config) ? raw.Config.Labels : undefined));
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    const answer = await upstreamJson(this.upstream, 'POST', '/volumes/create', {
      Name: name,
      Labels: labels,
    });
    if (answer.status !== 201 && answer.status !== 200) throw failure(`create volume ${name}`, answer);
  }

  async imageConfig(image: string): Promise<{ exposedPorts: string[]; volumes: string[] }> {
    const raw = await this.imageDetails(image);
    const config = raw && isRecord(raw.Config) ? raw.Config : {};
    return {
      exposedPorts: isRecord(config.ExposedPorts) ? Object.keys(config.ExposedPorts) : [],
      volumes: isRecord(config.Volumes) ? Object.keys(config.Volumes) : [],
    };
  }

  async hostPath(hostPath: string): Promise<{ real: string; socket: boolean }> {
    let existing = path.resolve(hostPath);
    const missing: string[] = [];
    for (;;) {
      try {
        const real = path.join(await realpath(existing), ...missing);
        const socket = missing.length === 0 && (await stat(real)).isSocket();
        return { real, socket };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if ((code !== 'ENOENT' && code !== 'ENOTDIR') || existing === path.dirname(existing)) throw error;
        missing.unshift(path.basename(existing));
        existing = path.dirname(existing);
      }
    }
  }

  /** Ids of the run's containers in this scope (to show only them inside a network's inspection). */
  async ownContainerIds(labelFilters: string[], extra: Record<string, string[]> = {}): Promise<Json[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: labelFilters, ...extra }));
    const answer = await upstreamJson(this.upstream, 'GET', `/containers/json?all=1&filters=${filters}`);
    if (answer.status !== 200 || !Array.isArray(answer.body)) throw failure('list containers', answer);
    return answer.body.filter(isRecord);
  }

  /** The run's networks in this scope (to count them against the cap). */
  async ownNetworks(labelFilters: string[]): Promise<Json[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: labelFilters }));
    const answer = await upstreamJson(this.upstream, 'GET', `/networks?filters=${filters}`);
    if (answer.status !== 200 || !Array.isArray(answer.body)) throw failure('list networks', answer);
    return answer.body.filter(isRecord);
  }

  /** The engine's inspection of a container (by id), or undefined when it is gone. */
  async containerDetails(id: string): Promise<Json | undefined> {
    return this.inspect('a container', `/containers/${encodeURIComponent(id)}/json`);
  }

  async execContainer(execId: string): Promise<string | undefined> {
    const raw = await this.inspect('an exec instance', `/exec/${encodeURIComponent(execId)}/json`);
    return raw && typeof raw.ContainerID === 'string' ? raw.ContainerID : undefined;
  }
}

/** An image reference in a URL path: the engine's router takes slashes and colons as they are. */
export function imagePath(reference: string): string {
  return reference
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/%3A/gi, ':').replace(/%40/g, '@'))
    .join('/');
}
