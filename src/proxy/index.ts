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
import { labelFilters, runLabels } from '../naming/labels';
import { VirtualNames } from '../naming/virtual-names';
import { isEngineFault, studentFaultMessage, studentFaultStatus } from '../run/attribution';
import { ExerciseAllowance } from './allowance';
import { hostFigures } from './budget-check';
import type { Plan } from './plan';
import { type Admitted, planRequest } from './planner';
import { type PolicyContext, Refusal, type SandboxPolicy } from './policy';
import { forward, handleUpgrade, type RelayHost } from './relay';
import { apiPath, type MatchedRoute, matchRoute } from './routes';
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
import { EngineAnswer, EngineLookups, type Upstream } from './upstream';

export { MAX_CONTAINERS_PER_EXERCISE, MAX_NETWORKS_PER_EXERCISE } from './allowance';
export type { SandboxPolicy } from './policy';
export { MAX_JSON_BODY_BYTES, parseJsonBody } from './transport';

export interface PolicyProxyOptions {
  upstream: Upstream;
  /** Unix socket to listen on (in a private 0700 dir). */
  listenPath: string;
  /** Stamped as the run labels (src/naming/labels.ts). */
  runId: string;
  scope: string;
  /** Bind mounts allowed only inside it (realpath-checked). */
  submissionDir: string;
  policy: SandboxPolicy;
  /** Exercises graded at once on this host, sharing its aggregate budget (budget.ts); 1 by default. */
  concurrentExercises?: number;
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

export async function startPolicyProxy(options: PolicyProxyOptions): Promise<PolicyProxy> {
  const proxy = new PolicyProxyServer(options, await realpath(options.submissionDir));
  await proxy.listen();
  return proxy;
}

class PolicyProxyServer implements PolicyProxy, RelayHost {
  readonly socketPath: string;
  readonly refusals: string[] = [];
  readonly engineErrors: string[] = [];
  readonly names: VirtualNames;
  readonly lookups: EngineLookups;
  readonly allowance: ExerciseAllowance;
  readonly upstream: Upstream;
  readonly runId: string;
  readonly scope: string;
  readonly context: PolicyContext;
  readonly labelFilters: string[];
  private readonly server: http.Server;
  readonly connections = new Set<Duplex>();
  /** The clients' connections (not the engine's hijacked ones), held to MAX_CONNECTIONS_PER_PROXY. */
  private clientConnections = 0;
  readonly bodyBudget: BodyBudget;
  readonly bounds: GateBounds;
  private readonly running = new Map<number, { describe: string; since: number }>();
  private nextRequest = 0;
  constructor(options: PolicyProxyOptions, submissionDir: string) {
    this.socketPath = options.listenPath;
    this.bounds = {
      maxConnections: MAX_CONNECTIONS_PER_PROXY,
      maxBufferedBodyBytes: MAX_BUFFERED_BODY_BYTES,
      bodyDeadlineMs: BODY_DEADLINE_MS,
      ...options.bounds,
    };
    this.bodyBudget = new BodyBudget(this.bounds.maxBufferedBodyBytes);
    this.upstream = options.upstream;
    this.runId = options.runId;
    this.scope = options.scope;
    this.names = new VirtualNames(options.scope);
    this.lookups = new EngineLookups(options.upstream, this.names, options.runId);
    this.labelFilters = labelFilters(options.runId, options.scope);
    this.allowance = new ExerciseAllowance(
      this.lookups,
      this.labelFilters,
      this.names,
      hostFigures(options.concurrentExercises ?? 1),
    );
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
      handleUpgrade(this, request, socket, head).catch((error: unknown) => this.failRaw(socket, error));
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

  track(describe: string | undefined): () => void {
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

  fail(response: http.ServerResponse, error: unknown, request?: http.IncomingMessage): void {
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

  failRaw(socket: Duplex, error: unknown, request?: http.IncomingMessage): void {
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
      plan = await planRequest(this, request, matched.route, admitted);
    } catch (error) {
      this.discardBody(request, response, error);
      this.fail(response, error, request);
      return;
    }
    const done = this.track(plan.describe);
    try {
      await forward(this, request, response, plan, admitted);
    } finally {
      done();
      plan.release?.();
    }
  }
}
