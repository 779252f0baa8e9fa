// The Docker Engine API policy proxy (docs/security.md, boundary 3): a student's docker CLI and
// compose talk to the engine only through it, on a private unix socket that the grader starts
// for each script and compose step. It forwards what is allowed (streams and hijacked
// connections included), refuses the rest with a message the CLI prints, stamps the run's labels
// on everything created, shows the student only the run's objects, and scopes the names the
// student gives so that two gradings on one engine never collide (docs/decisions.md).
import { chmod, realpath, rm } from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import {
  LABEL_PREFIX,
  labelFilters,
  runLabels,
  STUDENT_NAME_LABEL,
  STUDENT_PORTS_LABEL,
  studentPorts,
  withOwnLabelsSet,
} from '../engine/labels';
import { isEngineFault, studentFaultMessage, studentFaultStatus } from '../run/attribution';
import { checkArchive, freezeForStart, holdPauseRequest } from './bind-freeze';
import { containerBudgetRefusal } from './budget-check';
import { ContextRefusal, holdBuild, registryCallRefusal } from './build-rules';
import { keepNamed, keepNamedObjects, narrowFilters, takeNameFilters } from './filters';
import { VirtualNames } from './names';
import type { Plan, PlanGate } from './plan';
import { planNetwork } from './plan-networks';
import {
  isRecord,
  type Json,
  notFound,
  type PolicyContext,
  policeBuildQuery,
  policeContainerCreate,
  policeContainerUpdate,
  policeExecCreate,
  policeNetworkCreate,
  policeVolumeCreate,
  Refusal,
  type Resolved,
  recheckBindSources,
  type SandboxPolicy,
  showRequestedRestartPolicy,
  studentNameOf,
} from './policy';
import { showRequestedListPorts, showRequestedPorts } from './ports';
import { apiPath, apiVersionPrefix, type MatchedRoute, matchRoute, type Route } from './routes';
import { BUILDKIT_REFUSED, isBuildkitFallback } from './routes/builds';
import { readCapped, readUpgradeBody, unscopeLines } from './streams';
import {
  BODY_DEADLINE_MS,
  BodyBudget,
  checkBody,
  checkJsonKeys,
  checkQuery,
  MAX_BUFFERED_BODY_BYTES,
  MAX_CONNECTIONS_PER_PROXY,
  parseJsonBody,
  readBody,
} from './transport';
import {
  EngineAnswer,
  EngineLookups,
  imagePath,
  type Upstream,
  upstreamJson,
  upstreamRequestOptions,
} from './upstream';
import { visibleContainerList, visibleImageList } from './visibility';

export type { SandboxPolicy } from './policy';
export { MAX_JSON_BODY_BYTES, parseJsonBody } from './transport';

export interface PolicyProxyOptions {
  upstream: Upstream;
  /** Unix socket to listen on (in a private 0700 dir). */
  listenPath: string;
  /** Stamped as the run labels (src/engine/labels.ts). */
  runId: string;
  scope: string;
  /** Bind mounts allowed only inside it (realpath-checked). */
  submissionDir: string;
  policy: SandboxPolicy;
  /** The gate's bounds (transport.ts); the defaults unless a test needs them small. */
  bounds?: Partial<GateBounds>;
}

export interface GateBounds {
  maxConnections: number;
  maxBufferedBodyBytes: number;
  bodyDeadlineMs: number;
}

export interface PolicyProxy {
  readonly socketPath: string;
  /** Clear messages of every refused request, in order, for the student's report. */
  readonly refusals: readonly string[];
  /** The request in flight longest, e.g. "waiting for container web (docker run without -d?)". */
  inFlight(): string[];
  /**
   * Requests the proxy could not carry out because the engine failed (unreachable, reset, an
   * unexpected answer): the step's outcome is then the engine's fault, not the student's.
   */
  readonly engineErrors: readonly string[];
  close(): Promise<void>;
}

/** Containers of one run (the client container included) beyond which creates are refused. */
export const MAX_CONTAINERS_PER_EXERCISE = 50;
/**
 * Networks of one run beyond which creates are refused. Each takes a subnet from the engine's
 * address pools, which every grading on the engine shares: 26 networks of one script emptied
 * them and another student's compose step failed. No exercise needs more than a few.
 */
export const MAX_NETWORKS_PER_EXERCISE = 10;
/** The engine's answer when its address pools are used up: the engine's fault, not the student's. */
const POOL_EXHAUSTED = /could not find an available, non-overlapping IPv[46] address pool/i;
/** Answers the proxy rewrites (inspections, lists, errors) beyond this size are an engine fault. */
const MAX_JSON_ANSWER_BYTES = 32 * 1024 * 1024;
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'host',
]);

/** A request held to its route's declaration (transport.ts): what the planning may read of it. */
interface Admitted {
  /** The query, every key declared and checked. */
  query: URLSearchParams;
  /** The JSON body, parsed and checked (undefined when the route takes none, or none was sent). */
  json?: Json;
  /** A tar body to pipe as it comes. */
  pipeBody: boolean;
}

export async function startPolicyProxy(options: PolicyProxyOptions): Promise<PolicyProxy> {
  const proxy = new PolicyProxyServer(options, await realpath(options.submissionDir));
  await proxy.listen();
  return proxy;
}

class PolicyProxyServer implements PolicyProxy, PlanGate {
  readonly socketPath: string;
  readonly refusals: string[] = [];
  readonly engineErrors: string[] = [];
  private readonly names: VirtualNames;
  readonly lookups: EngineLookups;
  readonly context: PolicyContext;
  readonly labelFilters: string[];
  private readonly server: http.Server;
  private readonly connections = new Set<Duplex>();
  /** The clients' connections (not the engine's hijacked ones), held to MAX_CONNECTIONS_PER_PROXY. */
  private clientConnections = 0;
  private readonly bodyBudget: BodyBudget;
  private readonly bounds: GateBounds;
  private readonly running = new Map<number, { describe: string; since: number }>();
  private nextRequest = 0;
  /** Container creates counted one at a time against MAX_CONTAINERS_PER_EXERCISE, and those under way. */
  private creates: Promise<unknown> = Promise.resolve();
  private pendingCreates = 0;
  /** Network creates, counted like container creates against MAX_NETWORKS_PER_EXERCISE. */
  private networkCreates: Promise<unknown> = Promise.resolve();
  private pendingNetworkCreates = 0;
  /** Starts of containers one at a time, so that two cannot both take the same requested port. */
  private starts: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly options: PolicyProxyOptions,
    submissionDir: string,
  ) {
    this.socketPath = options.listenPath;
    this.bounds = {
      maxConnections: MAX_CONNECTIONS_PER_PROXY,
      maxBufferedBodyBytes: MAX_BUFFERED_BODY_BYTES,
      bodyDeadlineMs: BODY_DEADLINE_MS,
      ...options.bounds,
    };
    this.bodyBudget = new BodyBudget(this.bounds.maxBufferedBodyBytes);
    this.names = new VirtualNames(options.scope);
    this.lookups = new EngineLookups(options.upstream, this.names, options.runId);
    this.labelFilters = labelFilters(options.runId, options.scope);
    this.context = {
      names: this.names,
      runLabels: runLabels(options.runId, options.scope),
      submissionDir,
      policy: options.policy,
      lookups: this.lookups,
    };
    this.server = http.createServer();
    this.server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
      this.handle(request, response).catch((error: unknown) => this.fail(response, error));
    });
    this.server.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      this.handleUpgrade(request, socket, head).catch((error: unknown) => this.failRaw(socket, error));
    });
    this.server.on('connection', (socket: net.Socket) => {
      if (this.clientConnections >= this.bounds.maxConnections) {
        this.refusals.push(`a connection beyond the ${this.bounds.maxConnections} open at once was refused`);
        const body = JSON.stringify({
          message: `refused by the grader: more than ${this.bounds.maxConnections} connections to the Docker engine are open at once`,
        });
        socket.end(
          `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
        socket.destroySoon();
        return;
      }
      this.clientConnections += 1;
      this.connections.add(socket);
      socket.on('close', () => {
        this.clientConnections -= 1;
        this.connections.delete(socket);
      });
    });
    // Headers that do not arrive in time hold a connection as a stalled body would.
    this.server.headersTimeout = this.bounds.bodyDeadlineMs;
  }

  async listen(): Promise<void> {
    await rm(this.socketPath, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.socketPath, () => {
        this.server.removeListener('error', reject);
        resolve();
      });
    });
    // The client container's user may differ from the grader's; the folder around it is private.
    await chmod(this.socketPath, 0o666);
  }

  inFlight(): string[] {
    return [...this.running.values()].sort((a, b) => a.since - b.since).map((entry) => entry.describe);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.destroy();
    await closed;
    await rm(this.socketPath, { force: true });
  }

  private track(describe: string | undefined): () => void {
    if (describe === undefined) return () => undefined;
    const id = this.nextRequest++;
    this.running.set(id, { describe, since: Date.now() });
    return () => this.running.delete(id);
  }

  private refusal(request: http.IncomingMessage, error: Refusal): string {
    // "No such ..." is an answer, not a refusal (scripts ask whether something exists), unless
    // it hides someone else's object; so is the engine's own 4xx answer to a lookup.
    if ((error.missing && error.note === undefined) || error instanceof EngineAnswer) return error.message;
    const what = `${request.method} ${this.names.unscope(apiPath(request.url ?? ''))}`;
    this.refusals.push(`${what}: ${error.note ?? error.message}`);
    return error.missing ? error.message : `refused by the grader: ${error.message}`;
  }

  /** Status and message of a failed request; engine failures are kept for engineErrors. */
  private errorAnswer(error: unknown, request?: http.IncomingMessage): { status: number; message: string } {
    if (error instanceof Refusal) {
      return { status: error.status, message: request ? this.refusal(request, error) : error.message };
    }
    const reason = error instanceof Error ? error.message : String(error);
    const what = request ? `${request.method} ${this.names.unscope(apiPath(request.url ?? ''))}: ` : '';
    // A symlink loop or a permission error in a path the student named is theirs (attribution.ts).
    if (!isEngineFault(error)) {
      const message = this.names.unscope(studentFaultMessage(error));
      this.refusals.push(`${what}${message}`);
      return { status: studentFaultStatus(error), message };
    }
    this.engineErrors.push(`${what}${reason}`);
    return { status: 502, message: `the grader's Docker proxy could not reach the Docker engine: ${reason}` };
  }

  private fail(response: http.ServerResponse, error: unknown, request?: http.IncomingMessage): void {
    const { status, message } = this.errorAnswer(error, request);
    if (response.headersSent) {
      response.destroy();
      return;
    }
    const body = JSON.stringify({ message });
    response.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
    });
    response.end(body);
  }

  private failRaw(socket: Duplex, error: unknown, request?: http.IncomingMessage): void {
    const { status, message } = this.errorAnswer(error, request);
    const body = JSON.stringify({ message });
    const reason = http.STATUS_CODES[status] ?? 'Error';
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }

  /**
   * Holds a request to its route's declaration: its query keys and their types, whether it takes
   * a body and of which type; a JSON body is read (bounded in size, time and the proxy's budget),
   * parsed and its top-level keys checked.
   */
  private async admit(request: http.IncomingMessage, matched: MatchedRoute): Promise<Admitted> {
    const { route, declaration } = matched;
    if (route.kind === 'refused' || declaration === undefined) {
      throw new Refusal(
        route.kind === 'refused' ? route.message : 'not allowed',
        route.kind === 'refused' ? route.status : 403,
      );
    }
    const query = checkQuery(request.url ?? '/', declaration);
    const withBody = checkBody(request, declaration);
    if (!withBody || declaration.body !== 'json') return { query, pipeBody: withBody };
    const text = (await readBody(request, this.bodyBudget, this.bounds.bodyDeadlineMs)).toString('utf8');
    const json = checkJsonKeys(parseJsonBody(text), declaration);
    // An empty or `null` body (docker commit sends one) stays none: the engine reads none as the default.
    const none = text.trim() === '' || text.trim() === 'null';
    return { query, ...(none ? {} : { json }), pipeBody: false };
  }

  /**
   * What is left of a refused request's body is read and thrown away (the client, still writing
   * it, then reads the answer), within the body deadline; a stalled body (408) is not waited for.
   */
  private discardBody(request: http.IncomingMessage, response: http.ServerResponse, error: unknown): void {
    if (request.complete) return;
    if (error instanceof Refusal && error.status === 408) {
      response.setHeader('Connection', 'close');
      response.on('finish', () => request.socket.destroySoon());
      return;
    }
    request.resume();
    const timer = setTimeout(() => request.socket.destroy(), this.bounds.bodyDeadlineMs);
    const stop = (): void => clearTimeout(timer);
    request.once('end', stop);
    request.once('close', stop);
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    let plan: Plan;
    let admitted: Admitted;
    try {
      const matched = matchRoute(request.method ?? 'GET', request.url ?? '/');
      admitted = await this.admit(request, matched);
      plan = await this.plan(request, matched.route, admitted);
    } catch (error) {
      this.discardBody(request, response, error);
      this.fail(response, error, request);
      return;
    }
    const done = this.track(plan.describe);
    try {
      await this.forward(request, response, plan, admitted);
    } finally {
      done();
      plan.release?.();
    }
  }

  /**
   * Hijacked requests (attach, exec start with `Upgrade: tcp`): checked, sent on a connection of
   * their own, and piped both ways raw only once the engine switched protocols (101). Until then
   * nothing else the client sends reaches the engine: after any other answer (an error, a
   * detached exec's 200) the connection is closed, so that no second request can follow on it
   * unchecked.
   */
  private async handleUpgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    let plan: Plan;
    let payload: Buffer | undefined;
    let rest: Buffer;
    try {
      const matched = matchRoute(request.method ?? 'GET', request.url ?? '/');
      const route = matched.route;
      const execStart = route.kind === 'exec' && route.action === 'start';
      const hijackable =
        (route.kind === 'container' && (route.action === 'attach' || route.action === 'attach/ws')) ||
        execStart;
      if (!hijackable && route.kind !== 'refused') {
        throw new Refusal(
          `connection upgrade is not allowed on ${request.method} ${apiPath(request.url ?? '')}`,
        );
      }
      const declaration = matched.declaration;
      if (route.kind === 'refused' || declaration === undefined)
        throw new Refusal(
          route.kind === 'refused' ? route.message : 'not allowed',
          route.kind === 'refused' ? route.status : 403,
        );
      const query = checkQuery(request.url ?? '/', declaration);
      checkBody(request, declaration);
      const read = await readUpgradeBody(request, socket, head, this.bodyBudget, this.bounds.bodyDeadlineMs);
      rest = read.rest;
      plan = await this.plan(request, route, { query, pipeBody: false });
      if (execStart) {
        const start = checkJsonKeys(parseJsonBody(read.body.toString('utf8')), declaration);
        if (start.Detach === true) {
          throw new Refusal(
            'a detached exec cannot be started on an upgraded connection: use docker exec -d',
            400,
          );
        }
        payload = Buffer.from(JSON.stringify(start));
      } else if (read.body.length > 0) {
        throw new Refusal(`${request.method} ${apiPath(request.url ?? '')} takes no request body`, 400);
      }
    } catch (error) {
      this.failRaw(socket, error, request);
      return;
    }
    const headers: http.OutgoingHttpHeaders = {};
    for (const [key, value] of Object.entries(request.headers)) {
      if (!HOP_BY_HOP.has(key) && key !== 'content-length' && value !== undefined) headers[key] = value;
    }
    headers.host = 'docker';
    headers.connection = 'Upgrade';
    headers.upgrade = request.headers.upgrade ?? 'tcp';
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const done = this.track(plan.describe);
    const upstreamRequest = http.request({
      ...upstreamRequestOptions(this.options.upstream),
      method: request.method,
      path: plan.url,
      headers,
    });
    let switched = false;
    const abandon = (): void => {
      if (!switched) upstreamRequest.destroy();
    };
    socket.on('error', abandon);
    socket.on('close', abandon);
    upstreamRequest.on('error', (error) => {
      done();
      if (!socket.destroyed) this.failRaw(socket, error, request);
    });
    upstreamRequest.on('response', (answer) => {
      this.relayAndClose(answer, socket).finally(() => {
        done();
        upstreamRequest.destroy();
      });
    });
    upstreamRequest.on('upgrade', (answer: http.IncomingMessage, upstream: Duplex, upstreamHead: Buffer) => {
      switched = true;
      this.pipeUpgraded(answer, socket, upstream, upstreamHead, rest, done);
    });
    upstreamRequest.end(payload);
  }

  /** The engine's answer to an upgrade request that it did not upgrade, then the end of the connection. */
  private async relayAndClose(answer: http.IncomingMessage, socket: Duplex): Promise<void> {
    let body: string;
    try {
      body = this.names.unscope(
        await readCapped(
          answer,
          MAX_JSON_ANSWER_BYTES,
          () => new Error(`the engine's answer is larger than ${MAX_JSON_ANSWER_BYTES / 1024 / 1024} MiB`),
        ),
      );
    } catch (error) {
      this.failRaw(socket, error);
      return;
    }
    const lines = [`HTTP/1.1 ${answer.statusCode ?? 502} ${answer.statusMessage ?? ''}`];
    for (let index = 0; index + 1 < answer.rawHeaders.length; index += 2) {
      const key = answer.rawHeaders[index] ?? '';
      if (!HOP_BY_HOP.has(key.toLowerCase()) && key.toLowerCase() !== 'content-length')
        lines.push(`${key}: ${answer.rawHeaders[index + 1]}`);
    }
    lines.push(`Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close');
    socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  }

  private pipeUpgraded(
    answer: http.IncomingMessage,
    socket: Duplex,
    upstream: Duplex,
    upstreamHead: Buffer,
    rest: Buffer,
    done: () => void,
  ): void {
    this.connections.add(upstream);
    const lines = [`HTTP/1.1 101 ${answer.statusMessage ?? 'UPGRADED'}`];
    for (let index = 0; index + 1 < answer.rawHeaders.length; index += 2) {
      lines.push(`${answer.rawHeaders[index]}: ${answer.rawHeaders[index + 1]}`);
    }
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (upstreamHead.length > 0) socket.write(upstreamHead);
    if (rest.length > 0) upstream.write(rest);
    let closed = 0;
    const finish = (): void => {
      closed += 1;
      if (closed === 1) return;
      done();
      this.connections.delete(upstream);
    };
    const destroyBoth = (): void => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', destroyBoth);
    upstream.on('error', destroyBoth);
    socket.on('close', () => {
      upstream.destroy();
      finish();
    });
    upstream.on('close', () => {
      // Half-closed by the engine (the container exited): the client reads what is left, then the end.
      socket.end();
      finish();
    });
    // Half-close passes through both ways: the CLI closes its side when stdin ends.
    socket.pipe(upstream);
    upstream.pipe(socket);
    socket.resume();
  }

  private async forward(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    plan: Plan,
    admitted: Admitted,
  ): Promise<void> {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [key, value] of Object.entries(request.headers)) {
      if (!HOP_BY_HOP.has(key) && key !== 'content-type' && key !== 'content-length' && value !== undefined)
        headers[key] = value;
    }
    headers.host = 'docker';
    // The body the engine gets is the proxy's: the checked JSON re-serialised, or the tar piped
    // with its type set; never a form body the engine would read parameters from.
    let payload: Buffer | undefined;
    const json = plan.body ?? admitted.json;
    if (json !== undefined) {
      payload = Buffer.from(JSON.stringify(json));
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    } else if (admitted.pipeBody) {
      headers['content-type'] = 'application/x-tar';
      if (request.headers['content-length'] !== undefined)
        headers['content-length'] = request.headers['content-length'];
    }
    const upstreamRequest = http.request({
      ...upstreamRequestOptions(this.options.upstream),
      method: request.method,
      path: plan.url,
      headers,
    });
    // The student's command ended (Ctrl-C, killed at the time limit): the engine call ends too.
    // What fails after that is the proxy's own doing, not the engine's.
    let abandoned = false;
    const abandon = (): void => {
      if (response.writableFinished) return;
      abandoned = true;
      upstreamRequest.destroy();
    };
    response.on('close', abandon);
    await new Promise<void>((resolve) => {
      const failed = (error: unknown): void => {
        if (!abandoned) this.fail(response, error, request);
        resolve();
      };
      upstreamRequest.on('error', failed);
      upstreamRequest.on('response', (answer) => {
        this.answer(answer, response, plan).then(resolve, failed);
      });
      if (payload !== undefined) {
        upstreamRequest.end(payload);
      } else if (plan.upload !== undefined) {
        plan.upload().pipe(upstreamRequest);
      } else if (admitted.pipeBody) {
        request.pipe(upstreamRequest);
      } else {
        upstreamRequest.end();
      }
    });
  }

  private async answer(
    answer: http.IncomingMessage,
    response: http.ServerResponse,
    plan: Plan,
  ): Promise<void> {
    const status = answer.statusCode ?? 502;
    const headers: http.OutgoingHttpHeaders = {};
    for (const [key, value] of Object.entries(answer.headers)) {
      if (!HOP_BY_HOP.has(key) && key !== 'content-length' && value !== undefined) headers[key] = value;
    }
    const contentType = String(answer.headers['content-type'] ?? '');
    const isError = status >= 400 && contentType.includes('json');
    if (plan.answer === 'json' || isError) {
      const text = await readCapped(
        answer,
        MAX_JSON_ANSWER_BYTES,
        () => new Error(`the engine's answer is larger than ${MAX_JSON_ANSWER_BYTES / 1024 / 1024} MiB`),
      );
      let output = this.names.unscope(text);
      // The engine's address pools are shared by every grading: their end is not this student's doing.
      if (isError && POOL_EXHAUSTED.test(text)) {
        this.engineErrors.push(`${plan.url.split('?')[0]}: ${this.names.unscope(text).trim()}`);
      }
      if (!isError && status < 300 && text !== '') {
        const parsed: unknown = JSON.parse(output);
        const transformed = plan.transform === undefined ? parsed : await plan.transform(parsed);
        output = JSON.stringify(withoutOurLabels(transformed));
      }
      if (status < 300) plan.after?.();
      headers['content-length'] = String(Buffer.byteLength(output));
      response.writeHead(status, headers);
      response.end(output);
      return;
    }
    if (answer.headers['content-length'] !== undefined && plan.answer === 'pipe') {
      headers['content-length'] = answer.headers['content-length'];
    }
    if (status < 300) plan.after?.();
    response.writeHead(status, headers);
    // Streams (logs -f, events, wait, build output): the CLI needs the headers before the first byte.
    response.flushHeaders();
    const body = plan.answer === 'lines' ? answer.pipe(unscopeLines(this.names)) : answer;
    await new Promise<void>((resolve) => {
      body.pipe(response);
      response.on('close', resolve);
      response.on('finish', resolve);
      answer.on('error', () => {
        response.destroy();
        resolve();
      });
    });
  }

  /** Decides on a request: a Refusal, or how to forward it. */
  private async plan(request: http.IncomingMessage, route: Route, admitted: Admitted): Promise<Plan> {
    const url = request.url ?? '/';
    const prefix = apiVersionPrefix(url);
    const query = new URLSearchParams(admitted.query);
    const withQuery = (pathname: string, params: URLSearchParams = query): string => {
      const text = params.toString();
      return `${prefix}${pathname}${text === '' ? '' : `?${text}`}`;
    };
    const body = async (): Promise<Json> => admitted.json ?? {};
    // Forwarded as asked, with the query rebuilt from the checked keys.
    const same: Plan = { url: withQuery(apiPath(url)), answer: 'pipe' };
    switch (route.kind) {
      case 'refused':
        throw new Refusal(route.message, route.status);
      case 'open': {
        // Registry calls: the engine would connect to the host they name (build-rules.ts).
        if (route.what === 'login') {
          const login = await body();
          await refuseRegistry({ kind: 'server', address: String(login.serveraddress ?? '') });
          return { ...same, body: login };
        }
        if (route.what === 'search')
          await refuseRegistry({ kind: 'reference', reference: query.get('term') ?? '' });
        if (route.what === 'distribution') {
          const name = apiPath(url)
            .replace(/^\/distribution\//, '')
            .replace(/\/json$/, '');
          await refuseRegistry({ kind: 'reference', reference: decodeURIComponent(name) });
        }
        return same;
      }
      case 'events': {
        query.set('filters', narrowFilters(query.get('filters'), this.filterOptions(this.labelFilters)));
        return { url: withQuery('/events'), answer: 'lines', describe: 'following events (docker events)' };
      }
      case 'container-list': {
        const byName = takeNameFilters(query.get('filters'));
        const filters = byName === undefined ? query.get('filters') : byName.rest;
        query.set('filters', narrowFilters(filters, this.filterOptions(this.labelFilters)));
        // The latest n (docker ps -n/-l) of those the names match: counted after the match.
        const limit = Number.parseInt(query.get('limit') ?? '', 10);
        if (byName !== undefined) query.delete('limit');
        return {
          url: withQuery('/containers/json'),
          answer: 'json',
          transform: (answer) => {
            const list = visibleContainerList(answer);
            if (byName === undefined || !Array.isArray(list)) return showRequestedListPorts(list);
            const named = keepNamed(list, byName.patterns);
            return showRequestedListPorts(limit > 0 ? named.slice(0, limit) : named);
          },
        };
      }
      case 'container-create': {
        const name = query.get('name') ?? undefined;
        if (name !== undefined && name !== '') {
          if (!this.names.isName(name)) throw new Refusal(`Invalid container name (${name})`, 400);
          query.set('name', this.names.real(name));
        }
        const release = await this.reserveContainer();
        try {
          const policed = await policeContainerCreate(await body(), name || undefined, this.context);
          // The exercise's containers together stay within the aggregate budget (budget.ts).
          const overBudget = await containerBudgetRefusal(
            policed.HostConfig,
            {
              containers: () =>
                this.lookups.ownContainerIds(labelFilters(this.options.runId, this.options.scope)),
              details: (id) => this.lookups.containerDetails(id),
            },
            MAX_CONTAINERS_PER_EXERCISE,
          );
          if (overBudget !== undefined) throw new Refusal(overBudget);
          return { url: withQuery('/containers/create'), body: policed, answer: 'json', release };
        } catch (error) {
          release();
          throw error;
        }
      }
      case 'container':
        return this.planContainer(route.ref, route.action, query, withQuery, body);
      case 'exec': {
        const containerId = await this.lookups.execContainer(route.execId);
        const owner = containerId === undefined ? undefined : await this.lookups.container(containerId);
        if (owner?.kind !== 'own') {
          throw notFound(
            `No such exec instance: ${route.execId}`,
            'exec instance',
            route.execId,
            owner ?? { kind: 'missing' },
          );
        }
        const who = studentNameOf(owner, this.names) ?? this.names.unscope(owner.name);
        return {
          ...same,
          answer: route.action === 'json' ? 'json' : 'pipe',
          ...(route.action === 'start'
            ? { describe: `running a command in container ${who} (docker exec)` }
            : {}),
        };
      }
      case 'image-list': {
        query.set('filters', narrowFilters(query.get('filters'), this.filterOptions([])));
        return {
          url: withQuery('/images/json'),
          answer: 'json',
          transform: (list) =>
            visibleImageList(list, { runId: this.options.runId, scope: this.options.scope }),
        };
      }
      case 'image-pull': {
        if ((query.get('fromSrc') ?? '') !== '') {
          throw new Refusal(
            'docker import is not allowed: images imported from a file would not belong to this grading',
          );
        }
        if (isBuildkitFallback(query.get('fromImage') ?? '')) throw new Refusal(BUILDKIT_REFUSED);
        await refuseRegistry({ kind: 'reference', reference: query.get('fromImage') ?? '' });
        return {
          ...same,
          answer: 'lines',
          describe: `pulling image ${query.get('fromImage') ?? ''} (docker pull)`,
        };
      }
      case 'image':
        return this.planImage(route.ref, route.action, query, withQuery);
      case 'image-save': {
        const references: string[] = [];
        for (const name of query.getAll('names')) references.push(await this.readableImage(name));
        query.delete('names');
        for (const reference of references) query.append('names', reference);
        return { url: withQuery('/images/get'), answer: 'pipe', describe: 'saving images (docker save)' };
      }
      case 'build': {
        const policed = await policeBuildQuery(query, this.context);
        // The context is read before the engine sees it, and the build held to the profile.
        const held = await holdBuild(request, policed, {
          runId: this.options.runId,
          scope: this.options.scope,
          imageDetails: (reference) => this.lookups.imageDetails(reference),
          engineInfo: async () => {
            const answer = await upstreamJson(this.options.upstream, 'GET', '/info');
            return isRecord(answer.body) ? answer.body : undefined;
          },
        }).catch((error: unknown) => {
          throw error instanceof ContextRefusal ? new Refusal(error.message) : error;
        });
        const tags = query.getAll('t');
        return {
          url: withQuery('/build', held.query),
          upload: held.upload,
          release: () => void held.release(),
          answer: 'lines',
          describe: `building image${tags.length > 0 ? ` ${tags.join(', ')}` : ''} (docker build)`,
        };
      }
      case 'commit':
        return this.planCommit(query, withQuery);
      case 'network-list': {
        const byName = takeNameFilters(query.get('filters'));
        const filters = byName === undefined ? query.get('filters') : byName.rest;
        query.set('filters', narrowFilters(filters, this.filterOptions(this.labelFilters)));
        return {
          url: withQuery('/networks'),
          answer: 'json',
          transform: (list) =>
            byName === undefined || !Array.isArray(list) ? list : keepNamedObjects(list, byName.patterns),
        };
      }
      case 'network-create': {
        const policed = policeNetworkCreate(await body(), this.context);
        const release = await this.reserveNetwork();
        return { url: same.url, body: policed, answer: 'json', release };
      }
      case 'network':
        return planNetwork(this, route.ref, route.action, withQuery, body);
      case 'volume-list': {
        const byName = takeNameFilters(query.get('filters'));
        const filters = byName === undefined ? query.get('filters') : byName.rest;
        query.set('filters', narrowFilters(filters, this.filterOptions(this.labelFilters)));
        return {
          url: withQuery('/volumes'),
          answer: 'json',
          transform: (answer) =>
            byName === undefined || !isRecord(answer) || !Array.isArray(answer.Volumes)
              ? answer
              : { ...answer, Volumes: keepNamedObjects(answer.Volumes, byName.patterns) },
        };
      }
      case 'volume-create':
        return { url: same.url, body: policeVolumeCreate(await body(), this.context), answer: 'json' };
      case 'volume': {
        const resolved = await this.lookups.volume(route.ref);
        if (resolved.kind !== 'own')
          throw notFound(`get ${route.ref}: no such volume`, 'volume', route.ref, resolved);
        return { url: withQuery(`/volumes/${encodeURIComponent(resolved.name)}`), answer: 'json' };
      }
    }
  }

  private filterOptions(labelFilters: string[]): Parameters<typeof narrowFilters>[1] {
    return {
      names: this.names,
      runLabelFilters: labelFilters,
      realNetwork: (name) => (this.names.isName(name) ? this.names.real(name) : name),
      realVolume: (name) => (this.names.isName(name) ? this.names.real(name) : name),
      realImage: (reference) => {
        const real = this.names.realImage(reference);
        return real !== undefined && !reference.includes(':') ? real.replace(/:latest$/, '') : real;
      },
    };
  }

  private async planContainer(
    reference: string,
    action: string,
    query: URLSearchParams,
    withQuery: (pathname: string, params?: URLSearchParams) => string,
    body: () => Promise<Json>,
  ): Promise<Plan> {
    if (isBuildkitFallback(reference)) throw new Refusal(BUILDKIT_REFUSED);
    const resolved = await this.lookups.container(reference);
    if (resolved.kind !== 'own')
      throw notFound(`No such container: ${reference}`, 'container', reference, resolved);
    const who = studentNameOf(resolved, this.names) ?? this.names.unscope(resolved.name);
    const url = (params: URLSearchParams = query): string =>
      withQuery(
        action === 'remove' ? `/containers/${resolved.id}` : `/containers/${resolved.id}/${action}`,
        params,
      );
    switch (action) {
      case 'json':
        return {
          url: url(),
          answer: 'json',
          transform: (container) => showRequestedRestartPolicy(showRequestedPorts(container)),
        };
      case 'logs': {
        const follow = ['1', 'true'].includes(query.get('follow') ?? '');
        return {
          url: url(),
          answer: 'pipe',
          ...(follow ? { describe: `following the logs of container ${who} (docker logs -f)` } : {}),
        };
      }
      case 'attach':
      case 'attach/ws':
        return {
          url: url(),
          answer: 'pipe',
          describe: `attached to container ${who} (docker run without -d, or docker attach)`,
        };
      case 'wait':
        return {
          url: url(),
          answer: 'pipe',
          describe: `waiting for container ${who} to exit (docker run without -d, or docker wait)`,
        };
      case 'stats': {
        const stream = !['0', 'false'].includes(query.get('stream') ?? '1');
        return {
          url: url(),
          answer: 'pipe',
          ...(stream ? { describe: `streaming stats of container ${who}` } : {}),
        };
      }
      case 'exec':
        return { url: url(), body: policeExecCreate(await body()), answer: 'json' };
      case 'update': {
        const update = await body();
        const details = isRecord(update.RestartPolicy)
          ? await this.lookups.containerDetails(resolved.id)
          : undefined;
        return { url: url(), body: policeContainerUpdate(update, { who, details }), answer: 'json' };
      }
      case 'rename': {
        const name = query.get('name') ?? '';
        if (!this.names.isName(name)) throw new Refusal(`Invalid container name (${name})`, 400);
        const params = new URLSearchParams(query);
        params.set('name', this.names.real(name));
        return { url: url(params), answer: 'json' };
      }
      case 'start':
      case 'restart': {
        await this.checkPorts(resolved);
        // A bind source checked at create may have been swapped for a symlink out since: checked
        // again, and mounted, with every writer of the submission paused (bind-freeze.ts).
        const details = await this.lookups.containerDetails(resolved.id);
        const thaw = await freezeForStart(
          this.options.upstream,
          this.options.runId,
          details,
          action === 'restart' ? { stopSeconds: query.get('t') } : undefined,
        );
        try {
          if (details !== undefined) await recheckBindSources(details, this.context);
        } catch (error) {
          await thaw();
          throw error;
        }
        return {
          url: url(),
          answer: 'json',
          describe: `starting container ${who}`,
          release: () => void thaw(),
        };
      }
      case 'pause':
      case 'unpause':
        return { url: url(), answer: 'pipe', release: await holdPauseRequest(this.options.runId) };
      case 'archive':
        checkArchive(await this.lookups.containerDetails(resolved.id), who);
        return { url: url(), answer: 'pipe' };
      case 'stop':
        return { url: url(), answer: 'json', describe: `stopping container ${who}` };
      default:
        return { url: url(), answer: 'pipe' };
    }
  }

  /**
   * A script creating containers in a loop stops at MAX_CONTAINERS_PER_EXERCISE, with a reason. The
   * count and the creates still on their way are checked one request at a time, so that
   * creates sent at once (compose) cannot all pass on the same count. Returns the release.
   */
  private async reserveContainer(): Promise<() => void> {
    const check = this.creates.then(async () => {
      // Per exercise, not per run: exercises graded at once must not share one allowance.
      const existing = await this.lookups.ownContainerIds(
        labelFilters(this.options.runId, this.options.scope),
      );
      const count = existing.length + this.pendingCreates;
      if (count >= MAX_CONTAINERS_PER_EXERCISE) {
        throw new Refusal(
          `this exercise already has ${count} containers, the most it may create is ${MAX_CONTAINERS_PER_EXERCISE}: remove some (docker rm) before creating more`,
        );
      }
      this.pendingCreates += 1;
    });
    this.creates = check.catch(() => undefined);
    await check;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.pendingCreates -= 1;
    };
  }

  /** Like reserveContainer, for networks against MAX_NETWORKS_PER_EXERCISE. */
  private async reserveNetwork(): Promise<() => void> {
    const check = this.networkCreates.then(async () => {
      const existing = await this.lookups.ownNetworks(labelFilters(this.options.runId, this.options.scope));
      const count = existing.length + this.pendingNetworkCreates;
      if (count >= MAX_NETWORKS_PER_EXERCISE) {
        throw new Refusal(
          `this exercise already has ${count} networks, the most it may create is ${MAX_NETWORKS_PER_EXERCISE}: remove some (docker network rm) before creating more`,
        );
      }
      this.pendingNetworkCreates += 1;
    });
    this.networkCreates = check.catch(() => undefined);
    await check;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.pendingNetworkCreates -= 1;
    };
  }

  /** Like the engine: a host port the student asked for is taken while another of the run's containers runs with it. */
  private async checkPorts(container: Resolved & { kind: 'own' }): Promise<void> {
    const wanted = requestedHostPorts(container.labels[STUDENT_PORTS_LABEL]);
    if (wanted.length === 0) return;
    const check = this.starts.then(async () => {
      const running = await this.lookups.ownContainerIds(this.labelFilters, { status: ['running'] });
      for (const other of running) {
        if (other.Id === container.id) continue;
        const taken = requestedHostPorts(labels(other.Labels)[STUDENT_PORTS_LABEL]);
        const clash = wanted.find((port) => taken.includes(port));
        if (clash !== undefined) {
          throw new Refusal(
            `driver failed programming external connectivity on endpoint ${studentNameOf(container, this.names) ?? container.id.slice(0, 12)}: Bind for 0.0.0.0:${clash} failed: port is already allocated`,
            500,
          );
        }
      }
    });
    this.starts = check.catch(() => undefined);
    await check;
  }

  /** An image that may be read (inspected, saved, run): the run's own or a base image. */
  private async readableImage(reference: string): Promise<string> {
    const resolved = await this.lookups.image(reference);
    if (resolved.kind === 'own' || resolved.kind === 'base') return resolved.reference;
    if (resolved.kind === 'missing') return reference;
    throw notFound(`No such image: ${reference}`, 'image', reference, resolved);
  }

  private async planImage(
    reference: string,
    action: string,
    query: URLSearchParams,
    withQuery: (pathname: string, params?: URLSearchParams) => string,
  ): Promise<Plan> {
    if (action === 'push') throw new Refusal('docker push is not allowed while grading');
    const resolved = await this.lookups.image(reference);
    if (resolved.kind === 'foreign')
      throw notFound(`No such image: ${reference}`, 'image', reference, resolved);
    const real = resolved.kind === 'missing' ? reference : resolved.reference;
    const pathname =
      action === 'remove' ? `/images/${imagePath(real)}` : `/images/${imagePath(real)}/${action}`;
    if (action === 'json' || action === 'history' || action === 'get') {
      return { url: withQuery(pathname), answer: action === 'get' ? 'pipe' : 'json' };
    }
    if (resolved.kind === 'base') {
      throw new Refusal(
        `image ${reference} is a base image: only images this grading built may be ${action === 'tag' ? 'tagged' : 'removed'}`,
      );
    }
    if (action === 'tag') {
      const repository = query.get('repo') ?? '';
      const tag = query.get('tag') || 'latest';
      const scoped = this.names.realImage(`${repository}:${tag}`);
      if (scoped === undefined) throw new Refusal(`invalid reference format: ${repository}:${tag}`, 400);
      const colon = scoped.lastIndexOf(':');
      const params = new URLSearchParams(query);
      params.set('repo', scoped.slice(0, colon));
      params.set('tag', scoped.slice(colon + 1));
      return { url: withQuery(pathname, params), answer: 'json' };
    }
    return { url: withQuery(pathname), answer: 'json' };
  }

  private async planCommit(
    query: URLSearchParams,
    withQuery: (pathname: string, params?: URLSearchParams) => string,
  ): Promise<Plan> {
    const reference = query.get('container') ?? '';
    const container = await this.lookups.container(reference);
    if (container.kind !== 'own')
      throw notFound(`No such container: ${reference}`, 'container', reference, container);
    const params = new URLSearchParams(query);
    params.set('container', container.id);
    const repository = query.get('repo') ?? '';
    if (repository !== '') {
      const scoped = this.names.realImage(`${repository}:${query.get('tag') || 'latest'}`);
      if (scoped === undefined) throw new Refusal(`invalid reference format: ${repository}`, 400);
      const colon = scoped.lastIndexOf(':');
      params.set('repo', scoped.slice(0, colon));
      params.set('tag', scoped.slice(colon + 1));
    }
    // The committed image is the run's: the labels go into its configuration like a build's.
    const stamped = {
      ...withOwnLabelsSet(repository !== '' ? { [STUDENT_NAME_LABEL]: repository } : {}),
      ...this.context.runLabels,
    };
    params.append(
      'changes',
      `LABEL ${Object.entries(stamped)
        .map(([key, value]) => `${JSON.stringify(key)}=${JSON.stringify(value)}`)
        .join(' ')}`,
    );
    return {
      url: withQuery('/commit', params),
      answer: 'json',
      describe: `committing container ${reference}`,
    };
  }
}

function labels(value: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (isRecord(value))
    for (const [key, item] of Object.entries(value)) if (typeof item === 'string') result[key] = item;
  return result;
}

/**
 * The grader's labels stay the grader's business: compose v1 refuses to reuse a network whose
 * labels it does not know ("label ... has changed"), and a student has no use for them.
 */
export function withoutOurLabels(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutOurLabels);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      key === 'Labels' && isRecord(item)
        ? Object.fromEntries(Object.entries(item).filter(([label]) => !label.startsWith(`${LABEL_PREFIX}.`)))
        : withoutOurLabels(item),
    ]),
  );
}

/** The host ports of a STUDENT_PORTS_LABEL value. */
export function requestedHostPorts(label: string | undefined): number[] {
  return Object.values(studentPorts(label)).flat();
}

/** Throws the refusal of a registry call to a loopback, private or link-local host (build-rules.ts). */
async function refuseRegistry(call: Parameters<typeof registryCallRefusal>[0]): Promise<void> {
  const refused = await registryCallRefusal(call);
  if (refused !== undefined) throw new Refusal(refused);
}
