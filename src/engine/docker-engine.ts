// The Engine implemented on a real Docker daemon through dockerode. This is the only module that
// talks to Docker: every call here has a deadline, every output is read with a byte cap, and a
// daemon that cannot be reached becomes an InfraError (never a failed check, never a 0).

import { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import Docker from 'dockerode';
import { InfraError } from '../errors';
import { BuildContextError, type PackedContext, packBuildContext } from './build-context';
import type {
  BuildRequest,
  BuildResult,
  CleanupReport,
  ContainerRequest,
  ContainerState,
  Engine,
  EngineInfo,
  ExecRequest,
  ExecResult,
  ImageDetails,
  LogsResult,
  ResourceFilter,
} from './engine';
import { labelFilters, RUN_LABEL, runLabels } from './labels';

export interface DockerEngineOptions {
  runId: string;
  /** Path of the daemon's unix socket; wins over `host`. */
  socketPath?: string;
  /** A DOCKER_HOST value: unix:///path or tcp://host:port. */
  host?: string;
  /** Deadline of each ordinary API call (not builds or execs, which carry their own). */
  callTimeoutMs?: number;
}

/** The daemon refused a request (HTTP 4xx/5xx). Often the student's doing, e.g. a bad command. */
export class DockerApiError extends Error {
  override name = 'DockerApiError';
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
const DEFAULT_SOCKET = '/var/run/docker.sock';
const BUILD_LOG_CAP = 256 * 1024;
/** A build-progress line longer than this (no newline in sight) is taken as text, not buffered on. */
const MAX_PROGRESS_LINE = 1024 * 1024;
/** After an exec's output ends, how long the daemon gets to publish its exit code. */
const EXIT_CODE_WAIT_MS = 5_000;
const REMOVAL_CONCURRENCY = 4;
const MIB = 1024 * 1024;

/** SECURITY.md "Process": the defaults of every container the grader starts. */
const CAPABILITIES_KEPT = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'NET_BIND_SERVICE',
];
const SECURE_HOST_CONFIG: Docker.HostConfig = {
  Privileged: false,
  CapDrop: ['ALL'],
  CapAdd: CAPABILITIES_KEPT,
  SecurityOpt: ['no-new-privileges'],
  PidsLimit: 256,
  Memory: 512 * MIB,
  MemorySwap: 512 * MIB,
  NanoCpus: 1_000_000_000,
  Ulimits: [
    { Name: 'core', Soft: 0, Hard: 0 },
    { Name: 'nofile', Soft: 1024, Hard: 1024 },
  ],
  LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '1' } },
  Init: true,
  AutoRemove: false,
};

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** File-system codes that only mean "no daemon" when connecting to its socket, not when reading the context. */
const SOCKET_ERROR_CODES = new Set(['ENOENT', 'EACCES', 'EPERM', 'ENOTSOCK']);

export function createDockerEngine(runId: string): DockerEngine {
  const host = process.env.DOCKER_HOST;
  return new DockerEngine(host ? { runId, host } : { runId });
}

interface Endpoint {
  /** How the daemon is named in messages, e.g. unix:///var/run/docker.sock */
  display: string;
  modem: Docker.DockerOptions;
}

function resolveEndpoint(options: DockerEngineOptions): Endpoint {
  if (options.socketPath !== undefined) return unixEndpoint(options.socketPath);
  const host = options.host?.trim();
  if (!host) return unixEndpoint(DEFAULT_SOCKET);
  if (host.startsWith('unix://')) return unixEndpoint(host.slice('unix://'.length) || DEFAULT_SOCKET);
  if (host.startsWith('tcp://')) return tcpEndpoint(host);
  throw new InfraError(
    `DOCKER_HOST ${JSON.stringify(host)} is not supported: use unix:///path or tcp://host:port`,
  );
}

function unixEndpoint(socketPath: string): Endpoint {
  // host: undefined on purpose: docker-modem merges DOCKER_HOST from the environment otherwise.
  return { display: `unix://${socketPath}`, modem: { socketPath, host: undefined, protocol: 'http' } };
}

function tcpEndpoint(host: string): Endpoint {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new InfraError(`DOCKER_HOST ${JSON.stringify(host)} is not a valid tcp://host:port address`);
  }
  const tls = process.env.DOCKER_TLS_VERIFY === '1' || url.port === '2376';
  const port = url.port || (tls ? '2376' : '2375');
  return {
    display: `tcp://${url.hostname}:${port}`,
    // TLS material (DOCKER_CERT_PATH) is read by docker-modem itself.
    modem: { host: url.hostname, port, protocol: tls ? 'https' : 'http' },
  };
}

export class DockerEngine implements Engine {
  readonly runId: string;
  private readonly docker: Docker;
  private readonly endpoint: string;
  private readonly callTimeoutMs: number;

  constructor(options: DockerEngineOptions) {
    this.runId = options.runId;
    const endpoint = resolveEndpoint(options);
    this.endpoint = endpoint.display;
    this.docker = new Docker(endpoint.modem);
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  }

  async info(): Promise<EngineInfo> {
    const version = await this.call('version', (signal) =>
      this.dial({
        path: '/version',
        method: 'GET',
        abortSignal: signal,
        statusCodes: { 200: true, 500: 'server error' },
      }),
    );
    const record = isRecord(version) ? version : {};
    return {
      serverVersion: stringField(record, 'Version'),
      apiVersion: stringField(record, 'ApiVersion'),
      os: stringField(record, 'Os'),
    };
  }

  async build(request: BuildRequest): Promise<BuildResult> {
    let packed: PackedContext;
    try {
      packed = await packBuildContext(request.contextDir, request.dockerfile);
    } catch (error) {
      if (error instanceof BuildContextError) return { ok: false, error: error.message, log: '' };
      throw new InfraError(
        `cannot read the build context ${request.contextDir}: ${oneLine(messageOf(error))}`,
      );
    }
    const progress = new BuildProgress(request.onLine);
    const startedAt = Date.now();
    const result = await this.runBuild(packed, request, progress);
    await this.discardIntermediates(
      progress.createdImages,
      result.ok ? result.imageId : undefined,
      startedAt,
    );
    return result;
  }

  private async runBuild(
    packed: PackedContext,
    request: BuildRequest,
    progress: BuildProgress,
  ): Promise<BuildResult> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), request.timeoutMs);
    try {
      const outcome = await this.streamBuild(packed, request, progress, controller.signal);
      progress.finish();
      if (outcome === 'timeout') {
        return {
          ok: false,
          error: `build timed out after ${formatSeconds(request.timeoutMs)}`,
          log: progress.log(),
        };
      }
      if (progress.error !== undefined) return { ok: false, error: progress.error, log: progress.log() };
      const image = await this.rawImage(request.tag);
      if (image === undefined)
        throw new InfraError(`the build of ${request.tag} succeeded but the image is missing`);
      return { ok: true, imageId: image.Id, log: progress.log() };
    } finally {
      clearTimeout(timer);
      packed.stream.destroy();
    }
  }

  /**
   * The classic builder keeps each layer it commits as an untagged, unlabelled image. After a
   * failed build, and for the other stages of a multi-stage build, nothing would ever remove
   * them, so they go now. Only untagged images created since the build started are touched
   * (without force), so a forged " ---> <id>" line in RUN output cannot delete anything else;
   * ancestors of the result are refused by the daemon as "has dependent child images".
   */
  private async discardIntermediates(
    ids: string[],
    keep: string | undefined,
    startedAt: number,
  ): Promise<void> {
    for (const id of [...ids].reverse()) {
      if (keep?.replace(/^sha256:/, '').startsWith(id)) continue;
      try {
        const raw = await this.rawImage(id);
        if (raw === undefined || realTags(raw).length > 0 || !createdSince(raw.Created, startedAt)) continue;
        await this.call(`remove intermediate image ${id}`, (signal) =>
          this.docker.getImage(raw.Id).remove({ abortSignal: signal }),
        );
      } catch {
        // Best effort: it is cache, and the build's own result is what matters.
      }
    }
  }

  /** Uploads the context and follows the progress stream to its end or to the deadline. */
  private async streamBuild(
    packed: PackedContext,
    request: BuildRequest,
    progress: BuildProgress,
    signal: AbortSignal,
  ): Promise<StreamOutcome> {
    let response: Readable;
    try {
      response = asReadable(
        await this.docker.buildImage(packed.stream, {
          t: request.tag,
          dockerfile: packed.dockerfile,
          buildargs: request.buildArgs,
          target: request.target,
          labels: { ...request.labels, ...runLabels(this.runId) },
          rm: true,
          forcerm: true,
          // The classic builder: the only one everywhere, and the one whose errors we parse.
          version: '1',
          abortSignal: signal,
        }),
      );
    } catch (error) {
      if (signal.aborted) return 'timeout';
      return this.refusedBuild(error, progress);
    }
    try {
      return await followStream(response, signal, { onData: (chunk) => progress.push(chunk) });
    } catch (error) {
      throw this.translate(error, 'build');
    }
  }

  /** A /build refused before any output (e.g. a Dockerfile parse error) is the student's failure. */
  private refusedBuild(error: unknown, progress: BuildProgress): StreamOutcome {
    const translated = this.translate(error, 'build');
    if (!(translated instanceof DockerApiError)) throw translated;
    progress.fail(daemonMessage(error));
    return 'done';
  }

  async createContainer(request: ContainerRequest): Promise<string> {
    const ports = (request.ports ?? []).map(checkedPort);
    const options: Docker.ContainerCreateOptions = {
      name: request.name,
      Image: request.image,
      Cmd: request.cmd,
      Entrypoint: request.entrypoint,
      Env: request.env && Object.entries(request.env).map(([key, value]) => `${key}=${value}`),
      User: request.user,
      WorkingDir: request.workdir,
      // The run label last, so that no caller-supplied label can hide a container from cleanup.
      Labels: { ...request.labels, ...runLabels(this.runId) },
      ExposedPorts: Object.fromEntries(ports.map((port) => [`${port}/tcp`, {}])),
      HostConfig: {
        ...SECURE_HOST_CONFIG,
        PortBindings: Object.fromEntries(
          ports.map((port) => [`${port}/tcp`, [{ HostIp: '127.0.0.1', HostPort: '' }]]),
        ),
      },
    };
    const container = await this.call(`create container ${request.name}`, (signal) =>
      this.docker.createContainer({ ...options, abortSignal: signal }),
    );
    return container.id;
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.call(`start container ${shortId(id)}`, (signal) =>
        this.docker.getContainer(id).start({ abortSignal: signal }),
      );
    } catch (error) {
      // 304: already running, which is what was asked for.
      if (error instanceof DockerApiError && error.statusCode === 304) return;
      throw error;
    }
  }

  async inspectContainer(id: string): Promise<ContainerState> {
    const raw: RawContainer = await this.call(`inspect container ${shortId(id)}`, (signal) =>
      this.docker.getContainer(id).inspect({ abortSignal: signal }),
    );
    return toContainerState(raw);
  }

  async inspectImage(ref: string): Promise<ImageDetails | undefined> {
    const raw = await this.rawImage(ref);
    return raw && toImageDetails(raw);
  }

  private async rawImage(ref: string): Promise<RawImage | undefined> {
    // Nothing outside the reference grammar can name an image, and it must not reach the URL.
    if (!IMAGE_REFERENCE.test(ref)) return undefined;
    try {
      return await this.call(`inspect image ${ref}`, async (signal) =>
        asRawImage(
          await this.dial({
            path: `/images/${ref}/json`,
            method: 'GET',
            abortSignal: signal,
            statusCodes: { 200: true, 400: 'bad parameter', 404: 'no such image', 500: 'server error' },
          }),
        ),
      );
    } catch (error) {
      // 400: "invalid reference format", a name no image can have.
      if (error instanceof DockerApiError && (error.statusCode === 404 || error.statusCode === 400))
        return undefined;
      throw error;
    }
  }

  async exec(containerId: string, request: ExecRequest): Promise<ExecResult> {
    const exec = await this.call(`create exec in ${shortId(containerId)}`, (signal) =>
      this.docker.getContainer(containerId).exec({
        Cmd: request.cmd,
        AttachStdin: false,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        User: request.user,
        WorkingDir: request.workdir,
        Env: request.env && Object.entries(request.env).map(([key, value]) => `${key}=${value}`),
        abortSignal: signal,
      }),
    );
    const stdout = new CappedBytes(request.maxOutputBytes);
    const stderr = new CappedBytes(request.maxOutputBytes);
    const outcome = await this.readExec(exec, stdout, stderr, request.timeoutMs);
    const output = {
      stdout: stdout.text(),
      stderr: stderr.text(),
      truncated: stdout.truncated || stderr.truncated,
    };
    if (outcome === 'timeout') return { ...output, exitCode: null, timedOut: true };
    return { ...output, exitCode: await this.exitCodeOf(exec), timedOut: false };
  }

  private async readExec(
    exec: Docker.Exec,
    stdout: CappedBytes,
    stderr: CappedBytes,
    timeoutMs: number,
  ): Promise<StreamOutcome> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const stream = asReadable(
        await exec.start({ Detach: false, Tty: false, abortSignal: controller.signal }),
      );
      this.docker.modem.demuxStream(stream, stdout.writable(), stderr.writable());
      return await followStream(stream, controller.signal, {});
    } catch (error) {
      if (controller.signal.aborted) return 'timeout';
      throw this.translate(error, 'exec');
    } finally {
      clearTimeout(timer);
    }
  }

  /** The exit code is only final once the output has ended; the daemon may lag a little behind. */
  private async exitCodeOf(exec: Docker.Exec): Promise<number | null> {
    const giveUpAt = Date.now() + EXIT_CODE_WAIT_MS;
    for (;;) {
      const info = await this.call('inspect exec', (signal) => exec.inspect({ abortSignal: signal }));
      if (!info.Running && info.ExitCode !== null) return info.ExitCode;
      if (Date.now() >= giveUpAt) return info.Running ? null : info.ExitCode;
      await delay(20);
    }
  }

  async logs(containerId: string, options: { maxBytes: number }): Promise<LogsResult> {
    const stdout = new CappedBytes(options.maxBytes);
    const stderr = new CappedBytes(options.maxBytes);
    const what = `logs of container ${shortId(containerId)}`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.callTimeoutMs);
    try {
      const stream = asReadable(
        await this.dial({
          path: `/containers/${encodeURIComponent(containerId)}/logs?`,
          method: 'GET',
          options: { stdout: true, stderr: true, follow: false },
          isStream: true,
          abortSignal: controller.signal,
          statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
        }),
      );
      this.docker.modem.demuxStream(stream, stdout.writable(), stderr.writable());
      // Nothing more is kept once both caps are reached, so stop downloading.
      const outcome = await followStream(stream, controller.signal, {
        stopWhen: () => stdout.full && stderr.full,
      });
      if (outcome === 'timeout') throw this.timeoutError(what, this.callTimeoutMs);
    } catch (error) {
      if (controller.signal.aborted) throw this.timeoutError(what, this.callTimeoutMs);
      throw this.translate(error, what);
    } finally {
      clearTimeout(timer);
    }
    return { stdout: stdout.text(), stderr: stderr.text(), truncated: stdout.truncated || stderr.truncated };
  }

  async removeResources(filter: ResourceFilter = {}): Promise<CleanupReport> {
    const filters = {
      label: filter.allRuns ? [RUN_LABEL] : labelFilters(filter.runId ?? this.runId, filter.scope),
    };
    const report: CleanupReport = { containers: 0, networks: 0, volumes: 0, images: 0, failures: [] };
    // The first listing is allowed to throw: a daemon that cannot be reached is an InfraError.
    const containers = await this.call('list containers', (signal) =>
      this.docker.listContainers({ all: true, filters, abortSignal: signal }),
    );
    report.containers = await this.removeAll(report.failures, 'container', containers, REMOVAL_CONCURRENCY, {
      name: (item) => item.Names[0]?.replace(/^\//, '') ?? shortId(item.Id),
      remove: (item, signal) =>
        this.docker.getContainer(item.Id).remove({ force: true, v: true, abortSignal: signal }),
    });
    const networks = await this.listOrReport(report.failures, 'networks', (signal) =>
      this.docker.listNetworks({ filters, abortSignal: signal }),
    );
    report.networks = await this.removeAll(report.failures, 'network', networks, 1, {
      name: (item) => item.Name,
      remove: (item, signal) => this.docker.getNetwork(item.Id).remove({ abortSignal: signal }),
    });
    const volumes = await this.listOrReport(report.failures, 'volumes', async (signal) => {
      const listed = await this.docker.listVolumes({ filters, abortSignal: signal });
      return listed.Volumes ?? [];
    });
    report.volumes = await this.removeAll(report.failures, 'volume', volumes, 1, {
      name: (item) => item.Name,
      remove: (item, signal) => this.docker.getVolume(item.Name).remove({ force: true, abortSignal: signal }),
    });
    const images = await this.listOrReport(report.failures, 'images', (signal) =>
      this.docker.listImages({ filters, abortSignal: signal }),
    );
    // Newest first and one at a time: an image built FROM another of the run's images must go
    // before its parent, which the daemon refuses to delete while it has children.
    images.sort((a, b) => b.Created - a.Created);
    report.images = await this.removeAll(report.failures, 'image', images, 1, {
      name: (item) => item.RepoTags?.find((tag) => tag !== '<none>:<none>') ?? shortId(item.Id),
      remove: (item, signal) => this.docker.getImage(item.Id).remove({ force: true, abortSignal: signal }),
    });
    return report;
  }

  private async listOrReport<T>(
    failures: string[],
    kind: string,
    list: (signal: AbortSignal) => Promise<T[]>,
  ): Promise<T[]> {
    try {
      return await this.call(`list ${kind}`, list);
    } catch (error) {
      failures.push(oneLine(messageOf(error)));
      return [];
    }
  }

  /** Removes each item; returns how many are gone. 404 counts as gone, anything else is reported. */
  private async removeAll<T>(
    failures: string[],
    kind: string,
    items: T[],
    concurrency: number,
    how: { name: (item: T) => string; remove: (item: T, signal: AbortSignal) => Promise<unknown> },
  ): Promise<number> {
    let gone = 0;
    await forEachLimited(items, concurrency, async (item) => {
      const name = how.name(item);
      try {
        await this.call(`remove ${kind} ${name}`, (signal) => how.remove(item, signal));
        gone += 1;
      } catch (error) {
        if (isAlreadyGone(error)) gone += 1;
        // The message already names the call, e.g. "remove network x: ...".
        else failures.push(oneLine(messageOf(error)));
      }
    });
    return gone;
  }

  /** Runs one API call under the per-call deadline and turns its failure into a clean error. */
  private async call<T>(what: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(this.timeoutError(what, this.callTimeoutMs));
      }, this.callTimeoutMs);
    });
    try {
      return await Promise.race([run(controller.signal), deadline]);
    } catch (error) {
      throw this.translate(error, what);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A raw request through dockerode's modem, for endpoints whose wrappers buffer or lack a signal. */
  private dial(options: DialOptions): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.docker.modem.dial(options, (error, result) => (error ? reject(error) : resolve(result)));
    });
  }

  private timeoutError(what: string, ms: number): InfraError {
    return new InfraError(
      `Docker engine at ${this.endpoint} did not complete "${what}" within ${formatSeconds(ms)}`,
    );
  }

  /** Connection trouble and API-version refusals are the infrastructure's; other HTTP errors are not. */
  private translate(error: unknown, what: string): Error {
    if (error instanceof InfraError || error instanceof DockerApiError) return error;
    if (isConnectionError(error)) {
      return new InfraError(
        `Docker engine not reachable at ${this.endpoint}: ${oneLine(messageOf(error))}. Is dockerd running?`,
      );
    }
    const status = statusOf(error);
    if (status === undefined) {
      return new InfraError(
        `Docker engine at ${this.endpoint} failed during "${what}": ${oneLine(messageOf(error))}`,
      );
    }
    const message = oneLine(daemonMessage(error));
    if (isApiVersionProblem(message)) {
      return new InfraError(`Docker engine at ${this.endpoint} does not speak this client's API: ${message}`);
    }
    return new DockerApiError(`${what}: ${message}`, status);
  }
}

type DialOptions = Parameters<Docker['modem']['dial']>[0];
type StreamOutcome = 'done' | 'timeout';

/**
 * Reads a response stream to its end. Resolves 'timeout' when the signal fires first (the stream
 * is destroyed, which also cancels the request on the daemon's side), and rejects if the
 * connection breaks before the end.
 */
function followStream(
  stream: Readable,
  signal: AbortSignal,
  hooks: { onData?: (chunk: Buffer) => void; stopWhen?: () => boolean },
): Promise<StreamOutcome> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (outcome: StreamOutcome | Error): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onAbort = (): void => {
      stream.destroy();
      settle('timeout');
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (chunk: Buffer | string) => {
      hooks.onData?.(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      if (hooks.stopWhen?.()) {
        settle('done');
        stream.destroy();
      }
    });
    stream.once('end', () => settle('done'));
    // `on`, not `once`: a destroyed stream may emit more than one error, and an unheard one crashes.
    stream.on('error', (error) => settle(signal.aborted ? 'timeout' : error));
    stream.once('close', () =>
      settle(signal.aborted ? 'timeout' : new Error('the connection closed before the end of the output')),
    );
  });
}

function asReadable(value: unknown): Readable {
  if (value instanceof Readable) return value;
  throw new InfraError('Docker engine answered with something that is not a stream');
}

/** Keeps at most `cap` bytes; the rest is counted as dropped. */
class CappedBytes {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly cap: number) {}

  get full(): boolean {
    return this.size >= this.cap;
  }

  push(chunk: Buffer): void {
    const room = this.cap - this.size;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    // A copy: demuxStream hands out views of its own buffer.
    this.chunks.push(Buffer.from(kept));
    this.size += kept.length;
  }

  writable(): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.push(chunk);
        done();
      },
    });
  }

  /** UTF-8; a character cut in half by the cap is dropped rather than shown as garbage. */
  text(): string {
    return new StringDecoder('utf8').write(Buffer.concat(this.chunks));
  }
}

/** The /build progress stream: one JSON object per line, errors included, even with HTTP 200. */
class BuildProgress {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private partialLine = '';
  private readonly text = new TailText(BUILD_LOG_CAP);
  error: string | undefined;

  /** Short ids of the images this build committed (not cache hits, not FROM's base image). */
  readonly createdImages: string[] = [];
  private step = { isFrom: false, cached: false, ranContainer: false };

  constructor(private readonly onLine?: (line: string) => void) {}

  push(chunk: Buffer): void {
    this.pending += this.decoder.write(chunk);
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.handle(line);
    if (this.pending.length > MAX_PROGRESS_LINE) {
      this.addText(`${this.pending}\n`);
      this.pending = '';
    }
  }

  finish(): void {
    this.pending += this.decoder.end();
    if (this.pending.trim() !== '') this.handle(this.pending);
    this.pending = '';
    if (this.partialLine !== '') this.emit(this.partialLine);
    this.partialLine = '';
  }

  fail(message: string): void {
    this.error ??= message.trim();
    this.addText(`ERROR: ${message}\n`);
  }

  log(): string {
    return this.text.toString();
  }

  private handle(line: string): void {
    const trimmed = line.trim();
    if (trimmed === '') return;
    const message = parseJson(trimmed);
    if (!isRecord(message)) {
      this.addText(`${trimmed}\n`);
      return;
    }
    if (typeof message.stream === 'string') this.addText(message.stream);
    if (typeof message.status === 'string') this.addText(`${message.status}\n`);
    const error = progressError(message);
    if (error !== undefined) this.fail(error);
  }

  private addText(text: string): void {
    this.text.append(text);
    const lines = (this.partialLine + text).split('\n');
    this.partialLine = lines.pop() ?? '';
    for (const line of lines) this.emit(line);
  }

  /** Follows the classic builder's "Step n/m", " ---> Using cache", " ---> <id>" lines. */
  private track(line: string): void {
    const step = STEP_LINE.exec(line);
    if (step) {
      this.step = { isFrom: step[1]?.toUpperCase() === 'FROM', cached: false, ranContainer: false };
    } else if (line === ' ---> Using cache') {
      this.step.cached = true;
    } else if (line.startsWith(' ---> Running in ')) {
      this.step.ranContainer = true;
    } else {
      const id = IMAGE_LINE.exec(line)?.[1];
      const committed = !this.step.cached && (!this.step.isFrom || this.step.ranContainer);
      if (id !== undefined && committed) this.createdImages.push(id);
    }
  }

  private emit(line: string): void {
    this.track(line);
    try {
      this.onLine?.(line.replace(/\r$/, ''));
    } catch {
      // A broken progress printer must not break the build.
    }
  }
}

const STEP_LINE = /^Step \d+\/\d+ : (\S+)/;
const IMAGE_LINE = /^ ---> ([0-9a-f]{12,64})$/;

function progressError(message: Record<string, unknown>): string | undefined {
  if (typeof message.error === 'string' && message.error !== '') return message.error;
  const detail = message.errorDetail;
  if (isRecord(detail) && typeof detail.message === 'string' && detail.message !== '') return detail.message;
  return undefined;
}

/** Text that keeps only its last `cap` characters: the end of a build log is where the error is. */
class TailText {
  private parts: string[] = [];
  private length = 0;
  private dropped = false;

  constructor(private readonly cap: number) {}

  append(text: string): void {
    this.parts.push(text);
    this.length += text.length;
    if (this.length > 2 * this.cap) this.compact();
  }

  toString(): string {
    const joined = this.parts.join('');
    if (joined.length <= this.cap && !this.dropped) return joined;
    return `[build log truncated: only the last ${Math.round(this.cap / 1024)} KiB are kept]\n${joined.slice(-this.cap)}`;
  }

  private compact(): void {
    const joined = this.parts.join('');
    this.parts = [joined.slice(-this.cap)];
    this.length = this.cap;
    this.dropped = true;
  }
}

// The daemon's JSON, with the nulls it really sends (the dockerode typings claim arrays/objects).
interface RawContainer {
  Id: string;
  Name: string;
  State: {
    Status: string;
    Running: boolean;
    ExitCode: number;
    OOMKilled: boolean;
    StartedAt?: string | null;
    FinishedAt?: string | null;
    Health?: { Status: string } | null;
  };
  Config: { Image: string; Env?: string[] | null };
  NetworkSettings: { Ports?: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null };
}

interface RawImage {
  Id: string;
  Created?: string | null;
  RepoTags?: string[] | null;
  Size: number;
  Config?: {
    User?: string | null;
    WorkingDir?: string | null;
    Cmd?: string[] | null;
    Entrypoint?: string | string[] | null;
    Env?: string[] | null;
    ExposedPorts?: Record<string, unknown> | null;
    Labels?: Record<string, string> | null;
  } | null;
  RootFS?: { Layers?: string[] | null } | null;
}

const IMAGE_REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/;

function asRawImage(value: unknown): RawImage {
  if (isRecord(value) && typeof value.Id === 'string') return value as unknown as RawImage;
  throw new InfraError('Docker engine answered an image inspection with something unexpected');
}

/** What the daemon reports for "never". */
const ZERO_TIME = '0001-01-01T00:00:00Z';

function toContainerState(raw: RawContainer): ContainerState {
  const state = raw.State;
  return {
    id: raw.Id,
    name: raw.Name.replace(/^\//, ''),
    image: raw.Config.Image,
    status: state.Status,
    running: state.Running,
    exitCode: state.ExitCode,
    oomKilled: state.OOMKilled,
    health: state.Health?.Status ?? undefined,
    startedAt: realTime(state.StartedAt),
    finishedAt: realTime(state.FinishedAt),
    publishedPorts: publishedPorts(raw.NetworkSettings.Ports),
    env: raw.Config.Env ?? [],
  };
}

function realTime(value: string | null | undefined): string | undefined {
  return value && value !== ZERO_TIME ? value : undefined;
}

function publishedPorts(
  ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null | undefined,
): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [containerPort, bindings] of Object.entries(ports ?? {})) {
    const binding = bindings?.find((candidate) => candidate.HostIp === '127.0.0.1') ?? bindings?.[0];
    const hostPort = Number.parseInt(binding?.HostPort ?? '', 10);
    if (Number.isInteger(hostPort) && hostPort > 0) result[containerPort] = hostPort;
  }
  return result;
}

function toImageDetails(raw: RawImage): ImageDetails {
  const config = raw.Config ?? {};
  return {
    id: raw.Id,
    tags: realTags(raw),
    user: config.User ?? '',
    workdir: config.WorkingDir ?? '',
    cmd: config.Cmd ?? [],
    entrypoint: typeof config.Entrypoint === 'string' ? [config.Entrypoint] : (config.Entrypoint ?? []),
    env: config.Env ?? [],
    exposedPorts: Object.keys(config.ExposedPorts ?? {}).sort(),
    labels: config.Labels ?? {},
    layers: raw.RootFS?.Layers?.length ?? 0,
    sizeBytes: raw.Size,
  };
}

/** Older daemons list an untagged image as "<none>:<none>". */
function realTags(raw: RawImage): string[] {
  return (raw.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>');
}

/** Some slack for a daemon whose clock is a little off from ours. */
const CLOCK_SLACK_MS = 60_000;

function createdSince(created: string | null | undefined, since: number): boolean {
  const time = created ? Date.parse(created) : Number.NaN;
  return Number.isFinite(time) && time >= since - CLOCK_SLACK_MS;
}

function checkedPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid container port ${port}`);
  return port;
}

async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function isAlreadyGone(error: unknown): boolean {
  if (!(error instanceof DockerApiError)) return false;
  return error.statusCode === 404 || (error.statusCode === 409 && /already in progress/i.test(error.message));
}

function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, syscall } = error as NodeJS.ErrnoException;
  if (code !== undefined && CONNECTION_ERROR_CODES.has(code)) return true;
  if (code !== undefined && SOCKET_ERROR_CODES.has(code) && syscall === 'connect') return true;
  return /socket hang up/i.test(error.message);
}

function isApiVersionProblem(message: string): boolean {
  return /client version .* is too (new|old)|minimum supported API version|API version/i.test(message);
}

function statusOf(error: unknown): number | undefined {
  if (error instanceof Error && 'statusCode' in error && typeof error.statusCode === 'number') {
    return error.statusCode;
  }
  return undefined;
}

/** docker-modem wraps the daemon's {"message": ...} in "(HTTP code N) reason - message". */
function daemonMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const json = 'json' in error ? error.json : undefined;
  if (isRecord(json) && typeof json.message === 'string') return json.message;
  if (Buffer.isBuffer(json) && json.length > 0) return json.toString('utf8');
  if (typeof json === 'string' && json !== '') return json;
  return error.message.replace(/^\(HTTP code \d+\)\s*/, '');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 500 ? `${flat.slice(0, 500)}…` : flat;
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))}s`;
}

function shortId(id: string): string {
  return /^[0-9a-f]{64}$/.test(id) ? id.slice(0, 12) : id;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(record: Record<string, unknown>, key: string): string {
  const value = record[key];
  return typeof value === 'string' ? value : '';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
