// The Engine implemented on a real Docker daemon through dockerode. This is the only module that
// talks to Docker: every call here has a deadline, every output is read with a byte cap, and a
// daemon that cannot be reached becomes an InfraError (never a failed check, never a 0).

import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import Docker from 'dockerode';
import { DockerApiError, InfraError } from '../errors';
import { ByteCap, HostCopyError, packHostPath, readFirstEntry } from './archive';
import { BuildContextError, type PackedContext, packBuildContext } from './build-context';
import {
  asRawContainer,
  asRawImage,
  asRawNetwork,
  asRawVolume,
  isRecord,
  processCommands,
  type RawContainerSummary,
  type RawImage,
  realTags,
  toContainerState,
  toContainerSummary,
  toImageDetails,
  toNetworkDetails,
  toVolumeDetails,
} from './docker-mapping';
import type {
  BuildRequest,
  BuildResult,
  CleanupReport,
  ContainerRequest,
  ContainerState,
  ContainerSummary,
  Engine,
  EngineInfo,
  EngineInventory,
  ExecRequest,
  ExecResult,
  HealthcheckRequest,
  ImageDetails,
  LogsOptions,
  LogsResult,
  MountRequest,
  NetworkDetails,
  PathEntry,
  ResourceFilter,
  VolumeDetails,
} from './engine';
import { KEPT_CAPABILITIES } from './engine';
import { labelFilters, RUN_LABEL, runLabels } from './labels';

// Callers catch refusals as DockerApiError; it lives in errors.ts so the pure core can too.
export { DockerApiError };

export interface DockerEngineOptions {
  runId: string;
  /** Path of the daemon's unix socket; wins over `host`. */
  socketPath?: string;
  /** A DOCKER_HOST value: unix:///path or tcp://host:port. */
  host?: string;
  /** Deadline of each ordinary API call (not builds or execs, which carry their own). */
  callTimeoutMs?: number;
  /** Deadline of an archive copy (copyInto, copyBetween); default max(callTimeoutMs, 120 s). */
  transferTimeoutMs?: number;
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
/** The most copyBetween passes from one container to another. */
const MAX_COPY_BYTES = 100 * MIB;
const DEFAULT_TRANSFER_TIMEOUT_MS = 120_000;
/** What `docker stop` gives a container before SIGKILL. */
const DEFAULT_STOP_SECONDS = 10;

/**
 * Host paths never bind-mounted, whatever the caller checked (SECURITY.md: never the socket,
 * nothing outside the submission). The folder itself and everything below it are refused.
 */
const FORBIDDEN_BIND_ROOTS = ['/var/run', '/run', '/proc', '/sys', '/dev', '/var/lib/docker'];
/** Container, network and volume names as the daemon accepts them (ids are hex, so they match too). */
const RESOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** SECURITY.md "Process": the defaults of every container the grader starts. */
const SECURE_HOST_CONFIG: Docker.HostConfig = {
  Privileged: false,
  CapDrop: ['ALL'],
  CapAdd: [...KEPT_CAPABILITIES],
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
  /** What a docker CLI child process needs to reach the same daemon. */
  clientEnvironment: Record<string, string>;
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
  return {
    display: `unix://${socketPath}`,
    modem: { socketPath, host: undefined, protocol: 'http' },
    clientEnvironment: { DOCKER_HOST: `unix://${socketPath}` },
  };
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
  const display = `tcp://${url.hostname}:${port}`;
  const clientEnvironment: Record<string, string> = { DOCKER_HOST: display };
  const { DOCKER_TLS_VERIFY: verify, DOCKER_CERT_PATH: certPath } = process.env;
  if (verify) clientEnvironment.DOCKER_TLS_VERIFY = verify;
  // TLS implied by the port alone: the CLI must be told, or it would speak plain HTTP.
  else if (tls) clientEnvironment.DOCKER_TLS = '1';
  if (certPath) clientEnvironment.DOCKER_CERT_PATH = certPath;
  return {
    display,
    // TLS material (DOCKER_CERT_PATH) is read by docker-modem itself.
    modem: { host: url.hostname, port, protocol: tls ? 'https' : 'http' },
    clientEnvironment,
  };
}

export class DockerEngine implements Engine {
  readonly runId: string;
  private readonly docker: Docker;
  private readonly endpoint: string;
  private readonly childEnvironment: Record<string, string>;
  private readonly callTimeoutMs: number;
  private readonly transferTimeoutMs: number;

  constructor(options: DockerEngineOptions) {
    this.runId = options.runId;
    const endpoint = resolveEndpoint(options);
    this.endpoint = endpoint.display;
    this.childEnvironment = endpoint.clientEnvironment;
    this.docker = new Docker(endpoint.modem);
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.transferTimeoutMs =
      options.transferTimeoutMs ?? Math.max(this.callTimeoutMs, DEFAULT_TRANSFER_TIMEOUT_MS);
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
    const networks = request.networks ?? [];
    const networkMode = request.networkMode;
    if (networkMode !== undefined && (ports.length > 0 || networks.length > 0)) {
      throw new Error(
        `container ${request.name}: network mode ${JSON.stringify(networkMode)} cannot be combined with published ports or networks`,
      );
    }
    if (networkMode !== undefined) checkNetworkMode(networkMode);
    for (const network of networks) checkNetworkName(network.name);
    // The run label last, so that no caller-supplied label can hide a container from cleanup.
    const labels = { ...request.labels, ...runLabels(this.runId) };
    const mounts: Docker.MountSettings[] = [];
    for (const mount of request.mounts ?? []) mounts.push(await mountSettings(mount, labels));
    const [first, ...others] = networks;
    const hostConfig: Docker.HostConfig = { ...SECURE_HOST_CONFIG, Mounts: mounts };
    if (networkMode !== undefined) {
      hostConfig.NetworkMode = networkMode;
    } else {
      hostConfig.PortBindings = Object.fromEntries(
        ports.map((port) => [`${port}/tcp`, [{ HostIp: '127.0.0.1', HostPort: '' }]]),
      );
      if (first !== undefined) hostConfig.NetworkMode = first.name;
    }
    if (request.restartPolicy !== undefined) {
      hostConfig.RestartPolicy = {
        Name: request.restartPolicy.name,
        ...(request.restartPolicy.name === 'on-failure' &&
        request.restartPolicy.maximumRetryCount !== undefined
          ? { MaximumRetryCount: request.restartPolicy.maximumRetryCount }
          : {}),
      };
    }
    const options: Docker.ContainerCreateOptions = {
      name: request.name,
      Image: request.image,
      Cmd: request.cmd,
      Entrypoint: request.entrypoint,
      Env: request.env && Object.entries(request.env).map(([key, value]) => `${key}=${value}`),
      User: request.user,
      WorkingDir: request.workdir,
      Hostname: request.hostname,
      Labels: labels,
      ...(networkMode === undefined
        ? { ExposedPorts: Object.fromEntries(ports.map((port) => [`${port}/tcp`, {}])) }
        : {}),
      Healthcheck: request.healthcheck && healthConfig(request.healthcheck),
      HostConfig: hostConfig,
      ...(first !== undefined
        ? { NetworkingConfig: { EndpointsConfig: { [first.name]: { Aliases: first.aliases ?? [] } } } }
        : {}),
    };
    const container = await this.call(`create container ${request.name}`, (signal) =>
      this.docker.createContainer({ ...options, abortSignal: signal }),
    );
    try {
      // Before the start, so that the container's program sees every network from its first instant.
      for (const network of others) await this.connectNetwork(network.name, container.id, network.aliases);
    } catch (error) {
      // A half-attached container is not what was asked for: it goes, and the reason is reported.
      await this.removeContainer(container.id).catch(() => undefined);
      throw error;
    }
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
    const raw = await this.call(`inspect container ${shortId(id)}`, (signal) =>
      this.docker.getContainer(id).inspect({ abortSignal: signal }),
    );
    return toContainerState(asRawContainer(raw));
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

  async logs(containerId: string, options: LogsOptions): Promise<LogsResult> {
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
          options: {
            stdout: true,
            stderr: true,
            follow: false,
            ...(options.tailLines === undefined ? {} : { tail: String(options.tailLines) }),
          },
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

  async stopContainer(id: string, timeoutSeconds = DEFAULT_STOP_SECONDS): Promise<void> {
    const seconds = checkedSeconds(timeoutSeconds);
    const what = `stop container ${shortId(id)}`;
    await this.tolerateNotRunning(
      this.call(
        what,
        (signal) =>
          this.dial({
            path: `${containerUrl(id, what)}/stop?`,
            method: 'POST',
            options: { t: seconds },
            abortSignal: signal,
            // 304: already stopped, which is what was asked for.
            statusCodes: { 204: true, 304: true, 404: 'no such container', 500: 'server error' },
          }),
        // The daemon waits `seconds` for the container before it kills it.
        this.callTimeoutMs + seconds * 1000,
      ),
    );
  }

  async killContainer(id: string, signal = 'SIGKILL'): Promise<void> {
    if (!/^[A-Za-z0-9+]{1,20}$/.test(signal)) throw new Error(`invalid signal ${JSON.stringify(signal)}`);
    const what = `kill container ${shortId(id)}`;
    await this.tolerateNotRunning(
      this.call(what, (abortSignal) =>
        this.dial({
          path: `${containerUrl(id, what)}/kill?`,
          method: 'POST',
          options: { signal },
          abortSignal,
          statusCodes: {
            204: true,
            304: true,
            404: 'no such container',
            409: 'conflict',
            500: 'server error',
          },
        }),
      ),
    );
  }

  async restartContainer(id: string, timeoutSeconds = DEFAULT_STOP_SECONDS): Promise<void> {
    const seconds = checkedSeconds(timeoutSeconds);
    const what = `restart container ${shortId(id)}`;
    await this.call(
      what,
      (signal) =>
        this.dial({
          path: `${containerUrl(id, what)}/restart?`,
          method: 'POST',
          options: { t: seconds },
          abortSignal: signal,
          statusCodes: { 204: true, 404: 'no such container', 500: 'server error' },
        }),
      this.callTimeoutMs + seconds * 1000,
    );
  }

  /** Force-removes a container and its anonymous volumes; one that is already gone is fine. */
  async removeContainer(id: string): Promise<void> {
    try {
      await this.call(`remove container ${shortId(id)}`, (signal) => this.deleteContainer(id, signal));
    } catch (error) {
      if (!isAlreadyGone(error)) throw error;
    }
  }

  private deleteContainer(id: string, signal: AbortSignal): Promise<unknown> {
    return this.dial({
      path: `${containerUrl(id, `remove container ${shortId(id)}`)}?`,
      method: 'DELETE',
      options: { force: true, v: true },
      abortSignal: signal,
      statusCodes: {
        204: true,
        400: 'bad parameter',
        404: 'no such container',
        409: 'conflict',
        500: 'server error',
      },
    });
  }

  async findContainer(nameOrId: string): Promise<ContainerState | undefined> {
    const wanted = nameOrId.replace(/^\//, '');
    if (!RESOURCE_NAME.test(wanted)) return undefined;
    const raw = await this.inspectOrUndefined(`inspect container ${wanted}`, `/containers/${wanted}/json`);
    if (raw === undefined) return undefined;
    const state = toContainerState(asRawContainer(raw));
    // The daemon also resolves a bare id prefix ("db" could be the first letters of an id).
    return state.name === wanted || isIdOf(state.id, wanted) ? state : undefined;
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerSummary[]> {
    const filters = { label: Object.entries(labels).map(([key, value]) => `${key}=${value}`) };
    const listed = await this.call('list containers', (signal) =>
      this.docker.listContainers({ all: true, filters, abortSignal: signal }),
    );
    return (listed as unknown as RawContainerSummary[]).map(toContainerSummary);
  }

  async processes(id: string): Promise<string[]> {
    const what = `list the processes of container ${shortId(id)}`;
    const top = await this.call(what, (signal) =>
      this.dial({
        path: `${containerUrl(id, what)}/top`,
        method: 'GET',
        abortSignal: signal,
        statusCodes: { 200: true, 404: 'no such container', 409: 'conflict', 500: 'server error' },
      }),
    );
    return processCommands(top);
  }

  async waitForExit(id: string, timeoutMs: number): Promise<number | null> {
    const what = `wait for container ${shortId(id)}`;
    const url = `${containerUrl(id, what)}/wait?`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), Math.max(0, timeoutMs));
    try {
      const result = await this.dial({
        path: url,
        method: 'POST',
        options: { condition: 'not-running' },
        abortSignal: controller.signal,
        statusCodes: { 200: true, 400: 'bad parameter', 404: 'no such container', 500: 'server error' },
      });
      const code = isRecord(result) ? result.StatusCode : undefined;
      if (typeof code !== 'number') {
        throw new InfraError(`Docker engine answered "${what}" with something unexpected`);
      }
      return code;
    } catch (error) {
      if (!controller.signal.aborted) throw this.translate(error, what);
    } finally {
      clearTimeout(timer);
    }
    // At the timeout: a daemon that no longer answers must not pass for a container still running.
    const state = await this.inspectContainer(id);
    return state.running ? null : state.exitCode;
  }

  async createNetwork(request: {
    name: string;
    driver?: string;
    internal?: boolean;
    labels?: Record<string, string>;
  }): Promise<string> {
    checkNetworkName(request.name);
    const created = await this.call(`create network ${request.name}`, (signal) =>
      this.dial({
        path: '/networks/create',
        method: 'POST',
        options: {
          Name: request.name,
          CheckDuplicate: true,
          Driver: request.driver ?? 'bridge',
          Internal: request.internal === true,
          // The run label last, so that no caller-supplied label can hide it from cleanup.
          Labels: { ...request.labels, ...runLabels(this.runId) },
        },
        abortSignal: signal,
        statusCodes: {
          200: true,
          201: true,
          400: 'bad parameter',
          403: 'operation not supported',
          404: 'plugin not found',
          409: 'name already in use',
          500: 'server error',
        },
      }),
    );
    if (!isRecord(created) || typeof created.Id !== 'string') {
      throw new InfraError(
        `Docker engine answered "create network ${request.name}" with something unexpected`,
      );
    }
    return created.Id;
  }

  async inspectNetwork(nameOrId: string): Promise<NetworkDetails | undefined> {
    if (!RESOURCE_NAME.test(nameOrId)) return undefined;
    const raw = await this.inspectOrUndefined(`inspect network ${nameOrId}`, `/networks/${nameOrId}`);
    if (raw === undefined) return undefined;
    const network = toNetworkDetails(asRawNetwork(raw));
    return network.name === nameOrId || isIdOf(network.id, nameOrId) ? network : undefined;
  }

  async connectNetwork(network: string, containerId: string, aliases: string[] = []): Promise<void> {
    checkNetworkName(network);
    const what = `connect container ${shortId(containerId)} to network ${network}`;
    await this.call(what, (signal) =>
      this.dial({
        path: `/networks/${encodeURIComponent(network)}/connect`,
        method: 'POST',
        options: { Container: containerId, EndpointConfig: { Aliases: aliases } },
        abortSignal: signal,
        statusCodes: {
          200: true,
          400: 'bad parameter',
          403: 'operation not supported',
          404: 'no such network or container',
          500: 'server error',
        },
      }),
    );
  }

  async createVolume(request: { name: string; labels?: Record<string, string> }): Promise<string> {
    if (!RESOURCE_NAME.test(request.name))
      throw new Error(`invalid volume name ${JSON.stringify(request.name)}`);
    const created = await this.call(`create volume ${request.name}`, (signal) =>
      this.dial({
        path: '/volumes/create',
        method: 'POST',
        // The run label last, so that no caller-supplied label can hide it from cleanup.
        options: { Name: request.name, Labels: { ...request.labels, ...runLabels(this.runId) } },
        abortSignal: signal,
        statusCodes: { 200: true, 201: true, 400: 'bad parameter', 500: 'server error' },
      }),
    );
    return asRawVolume(created).Name;
  }

  async inspectVolume(name: string): Promise<VolumeDetails | undefined> {
    if (!RESOURCE_NAME.test(name)) return undefined;
    const raw = await this.inspectOrUndefined(`inspect volume ${name}`, `/volumes/${name}`);
    return raw === undefined ? undefined : toVolumeDetails(asRawVolume(raw));
  }

  /** GET on an inspection endpoint; undefined on 404. `path` holds only RESOURCE_NAME characters. */
  private async inspectOrUndefined(what: string, url: string): Promise<unknown> {
    try {
      return await this.call(what, (signal) =>
        this.dial({
          path: url,
          method: 'GET',
          abortSignal: signal,
          statusCodes: { 200: true, 404: 'not found', 500: 'server error' },
        }),
      );
    } catch (error) {
      if (error instanceof DockerApiError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  async readPath(
    containerId: string,
    pathInContainer: string,
    maxBytes: number,
  ): Promise<PathEntry | undefined> {
    const what = `read ${pathInContainer} in container ${shortId(containerId)}`;
    try {
      return await this.call(what, async (signal) => {
        const archive = await this.getArchive(containerId, pathInContainer, signal, what);
        return readFirstEntry(archive, maxBytes);
      });
    } catch (error) {
      // 404 is also what a missing container gets: that one is an error, not a missing path.
      if (
        error instanceof DockerApiError &&
        error.statusCode === 404 &&
        !/no such container/i.test(error.message)
      )
        return undefined;
      throw error;
    }
  }

  async copyInto(containerId: string, hostPath: string, targetDir: string): Promise<void> {
    const what = `copy ${hostPath} to ${targetDir} in container ${shortId(containerId)}`;
    let tarball: Readable;
    try {
      tarball = await packHostPath(hostPath);
    } catch (error) {
      if (error instanceof HostCopyError) throw new Error(`${what}: ${error.message}`);
      throw error;
    }
    try {
      await this.call(
        what,
        (signal) => this.putArchive(containerId, targetDir, tarball, signal, what),
        this.transferTimeoutMs,
      );
    } finally {
      tarball.destroy();
    }
  }

  async copyBetween(fromId: string, fromPath: string, toId: string, targetDir: string): Promise<void> {
    const what = `copy ${fromPath} of container ${shortId(fromId)} to ${targetDir} in container ${shortId(toId)}`;
    const capped = new ByteCap(MAX_COPY_BYTES);
    const sources: Readable[] = [];
    try {
      await this.call(
        what,
        async (signal) => {
          const source = await this.getArchive(fromId, fromPath, signal, what);
          sources.push(source);
          source.on('error', (error) => capped.destroy(error));
          source.pipe(capped);
          await this.putArchive(toId, targetDir, capped, signal, what);
        },
        this.transferTimeoutMs,
      );
    } catch (error) {
      if (capped.exceeded)
        throw new Error(`${what}: larger than ${MAX_COPY_BYTES / MIB} MiB, the copy was stopped`);
      throw error;
    } finally {
      for (const source of sources) source.destroy();
      capped.destroy();
    }
  }

  /** The tar of a container path (the path itself first), destroyed when `signal` fires. */
  private async getArchive(
    containerId: string,
    pathInContainer: string,
    signal: AbortSignal,
    what: string,
  ): Promise<Readable> {
    if (pathInContainer === '' || pathInContainer.includes('\0')) {
      throw new Error(`${what}: invalid path ${JSON.stringify(pathInContainer)}`);
    }
    const archive = asReadable(
      await this.dial({
        path: `${containerUrl(containerId, what)}/archive?`,
        method: 'GET',
        options: { path: pathInContainer },
        isStream: true,
        abortSignal: signal,
        statusCodes: { 200: true, 400: 'bad parameter', 404: 'not found', 500: 'server error' },
      }),
    );
    if (signal.aborted) archive.destroy();
    else signal.addEventListener('abort', () => archive.destroy(), { once: true });
    return archive;
  }

  private async putArchive(
    containerId: string,
    targetDir: string,
    body: Readable,
    signal: AbortSignal,
    what: string,
  ): Promise<void> {
    if (targetDir === '' || targetDir.includes('\0')) {
      throw new Error(`${what}: invalid target folder ${JSON.stringify(targetDir)}`);
    }
    await this.dial({
      path: `${containerUrl(containerId, what)}/archive?`,
      method: 'PUT',
      options: { path: targetDir },
      file: body,
      abortSignal: signal,
      statusCodes: {
        200: true,
        400: 'bad parameter',
        403: 'permission denied (read-only file system)',
        404: 'not found',
        500: 'server error',
      },
    });
  }

  async ensureImage(ref: string, timeoutMs: number): Promise<void> {
    if (!IMAGE_REFERENCE.test(ref))
      throw new InfraError(`${JSON.stringify(ref)} is not a valid image reference`);
    if ((await this.rawImage(ref)) !== undefined) return;
    const failure = (reason: string): InfraError =>
      new InfraError(`image ${ref} is not on the engine and could not be pulled: ${oneLine(reason)}`);
    const progress = new BuildProgress();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let outcome: StreamOutcome;
    try {
      const stream = asReadable(
        await this.dial({
          path: '/images/create?',
          method: 'POST',
          options: pullQuery(ref),
          isStream: true,
          abortSignal: controller.signal,
          statusCodes: {
            200: true,
            400: 'bad parameter',
            404: 'no such image or repository',
            500: 'server error',
          },
        }),
      );
      // Errors arrive inside the 200 stream as {"error": ..., "errorDetail": ...} lines.
      outcome = await followStream(stream, controller.signal, { onData: (chunk) => progress.push(chunk) });
    } catch (error) {
      if (controller.signal.aborted) outcome = 'timeout';
      else {
        // The daemon answered (4xx or 5xx: no such image, registry unreachable): say which image.
        if (statusOf(error) === undefined) throw this.translate(error, `pull ${ref}`);
        throw failure(daemonMessage(error));
      }
    } finally {
      clearTimeout(timer);
    }
    if (outcome === 'timeout') throw failure(`no result within ${formatSeconds(timeoutMs)}`);
    progress.finish();
    if (progress.error !== undefined) throw failure(progress.error);
    if ((await this.rawImage(ref)) === undefined) throw failure('the pull ended without the image');
  }

  async inventory(): Promise<EngineInventory> {
    const [containers, networks, volumes, images] = await Promise.all([
      this.call('list containers', (signal) =>
        this.docker.listContainers({ all: true, abortSignal: signal }),
      ),
      this.call('list networks', (signal) => this.docker.listNetworks({ abortSignal: signal })),
      this.call('list volumes', (signal) => this.docker.listVolumes({ abortSignal: signal })),
      this.call('list images', (signal) => this.docker.listImages({ abortSignal: signal })),
    ]);
    // Everything the grader creates is labelled with its run (another run's too, on a shared
    // engine): leaving labelled resources out means a script's before/after difference can never
    // adopt, and so remove, what a concurrent run created.
    const unlabelled = (labels: Record<string, string> | null | undefined): boolean =>
      labels?.[RUN_LABEL] === undefined;
    return {
      containers: containers.filter((item) => unlabelled(item.Labels)).map((item) => item.Id),
      networks: networks.filter((item) => unlabelled(item.Labels)).map((item) => item.Id),
      volumes: (volumes.Volumes ?? []).filter((item) => unlabelled(item.Labels)).map((item) => item.Name),
      images: images.filter((item) => unlabelled(item.Labels)).map((item) => item.Id),
    };
  }

  async removeByIds(inventory: Partial<EngineInventory>): Promise<CleanupReport> {
    const report: CleanupReport = { containers: 0, networks: 0, volumes: 0, images: 0, failures: [] };
    report.containers = await this.removeAll(
      report.failures,
      'container',
      inventory.containers ?? [],
      REMOVAL_CONCURRENCY,
      {
        name: shortId,
        remove: (id, signal) => this.deleteContainer(id, signal),
      },
    );
    report.networks = await this.removeAll(report.failures, 'network', inventory.networks ?? [], 1, {
      name: shortId,
      remove: (id, signal) =>
        this.docker.getNetwork(checkedResource('network', id)).remove({ abortSignal: signal }),
    });
    report.volumes = await this.removeAll(report.failures, 'volume', inventory.volumes ?? [], 1, {
      name: (name) => name,
      remove: (name, signal) =>
        this.docker.getVolume(checkedResource('volume', name)).remove({ force: true, abortSignal: signal }),
    });
    const images = await this.childrenFirst(report.failures, inventory.images ?? []);
    report.images = await this.removeAll(report.failures, 'image', images, 1, {
      name: shortId,
      remove: (id, signal) => {
        if (!IMAGE_REFERENCE.test(id))
          throw new DockerApiError(`remove image: no such image: ${JSON.stringify(id)}`, 404);
        return this.docker.getImage(id).remove({ force: true, abortSignal: signal });
      },
    });
    return report;
  }

  /**
   * Images to remove, children before their parents: the daemon refuses (even forced) to delete an
   * image that has children. Deeper in the classic builder's parent chain first, then newest
   * first (Created has a one-second grain); ids it does not list last.
   */
  private async childrenFirst(failures: string[], ids: string[]): Promise<string[]> {
    if (ids.length < 2) return ids;
    const listed = await this.listOrReport(failures, 'images', (signal) =>
      this.docker.listImages({ all: true, abortSignal: signal }),
    );
    const byId = new Map(listed.map((image) => [image.Id, image]));
    const find = (id: string) => byId.get(id) ?? byId.get(`sha256:${id}`);
    const depthOf = (id: string): number => {
      let depth = 0;
      const seen = new Set<string>();
      for (let image = find(id); image?.ParentId && !seen.has(image.Id); image = byId.get(image.ParentId)) {
        seen.add(image.Id);
        depth += 1;
      }
      return depth;
    };
    const key = (id: string) => ({
      known: find(id) !== undefined,
      depth: depthOf(id),
      created: find(id)?.Created ?? 0,
    });
    return [...ids].sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      if (x.known !== y.known) return x.known ? -1 : 1;
      return y.depth - x.depth || y.created - x.created;
    });
  }

  clientEnvironment(): Record<string, string> {
    return { ...this.childEnvironment };
  }

  /** Stop and kill on a container that is not running: what was asked for is already true. */
  private async tolerateNotRunning(call: Promise<unknown>): Promise<void> {
    try {
      await call;
    } catch (error) {
      if (error instanceof DockerApiError && (error.statusCode === 304 || error.statusCode === 409)) return;
      throw error;
    }
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

  /** Runs one API call under a deadline (the per-call one by default) and turns its failure into a clean error. */
  private async call<T>(
    what: string,
    run: (signal: AbortSignal) => Promise<T>,
    timeoutMs = this.callTimeoutMs,
  ): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(this.timeoutError(what, timeoutMs));
      }, timeoutMs);
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
    // A 5xx is the engine failing; counting it against the student could turn into a wrong 0.
    if (status >= 500) {
      return new InfraError(`Docker engine at ${this.endpoint} failed during "${what}": ${message}`);
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

const IMAGE_REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/;

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

/** The URL of a container; a name the daemon could never have is answered like the daemon would. */
function containerUrl(id: string, what: string): string {
  return `/containers/${checkedResource('container', id, what)}`;
}

function checkedResource(kind: string, nameOrId: string, what = `${kind} ${nameOrId}`): string {
  if (!RESOURCE_NAME.test(nameOrId))
    throw new DockerApiError(`${what}: no such ${kind}: ${JSON.stringify(nameOrId)}`, 404);
  return nameOrId;
}

/** `wanted` names this id: the whole id, or a prefix long enough to be meant as one (docker ps shows 12). */
function isIdOf(id: string, wanted: string): boolean {
  return /^[0-9a-f]{12,64}$/.test(wanted) && id.startsWith(wanted);
}

/** The host's network namespace is never given (SECURITY.md "Process"). */
function checkNetworkName(name: string): void {
  if (!RESOURCE_NAME.test(name)) throw new Error(`invalid network name ${JSON.stringify(name)}`);
  if (name === 'host') throw new Error('the host network is not allowed');
}

function checkNetworkMode(mode: string): void {
  const container = /^container:(.+)$/.exec(mode)?.[1];
  if (container !== undefined) {
    if (!RESOURCE_NAME.test(container)) throw new Error(`invalid network mode ${JSON.stringify(mode)}`);
    return;
  }
  checkNetworkName(mode);
}

async function mountSettings(
  mount: MountRequest,
  labels: Record<string, string>,
): Promise<Docker.MountSettings> {
  if (!path.posix.isAbsolute(mount.target)) {
    throw new Error(`mount target ${JSON.stringify(mount.target)} is not an absolute path`);
  }
  const readOnly = mount.readOnly === true;
  if (mount.type === 'bind') {
    await checkBindSource(mount.source);
    return { Type: 'bind', Source: mount.source, Target: mount.target, ReadOnly: readOnly };
  }
  if (mount.type === 'volume') {
    if (!RESOURCE_NAME.test(mount.source))
      throw new Error(`invalid volume name ${JSON.stringify(mount.source)}`);
    // Applied when the daemon creates the volume for this mount, so that cleanup finds it too.
    return {
      Type: 'volume',
      Source: mount.source,
      Target: mount.target,
      ReadOnly: readOnly,
      // The typings want NoCopy and DriverConfig too; the API does not (the driver stays the default).
      VolumeOptions: { Labels: labels } as Docker.MountSettings['VolumeOptions'],
    };
  }
  throw new Error(`unsupported mount type ${JSON.stringify((mount as { type: unknown }).type)}`);
}

/**
 * Defence in depth (the caller only binds folders of the submission): never the host's root,
 * the Docker socket, or the system folders, whether named directly or through a symlink.
 */
async function checkBindSource(source: string): Promise<void> {
  const refuse = (why: string): Error =>
    new Error(
      `bind mount of ${JSON.stringify(source)} refused: ${why}; only folders of the submission can be mounted`,
    );
  if (!path.posix.isAbsolute(source)) throw refuse('it is not an absolute path');
  const candidates = [path.posix.resolve(source)];
  const real = await realpath(source).catch(() => undefined);
  if (real !== undefined) candidates.push(real);
  for (const candidate of candidates) {
    if (candidate === '/') throw refuse("it is the host's root folder");
    if (candidate.endsWith('docker.sock')) throw refuse('it is the Docker socket');
    const root = FORBIDDEN_BIND_ROOTS.find(
      (forbidden) => candidate === forbidden || candidate.startsWith(`${forbidden}/`),
    );
    if (root !== undefined) throw refuse(`${root} is a system folder of the host`);
  }
}

function healthConfig(request: HealthcheckRequest): Docker.HealthConfig {
  const nanoseconds = (ms: number | undefined): number | undefined =>
    ms === undefined ? undefined : Math.round(ms * 1_000_000);
  return {
    Test: request.test,
    Interval: nanoseconds(request.intervalMs),
    Timeout: nanoseconds(request.timeoutMs),
    Retries: request.retries,
    StartPeriod: nanoseconds(request.startPeriodMs),
  };
}

function checkedSeconds(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 3600)
    throw new Error(`invalid stop timeout ${seconds}s`);
  return seconds;
}

/** /images/create's query: a tag (default latest, else every tag is pulled) or a digest. */
function pullQuery(ref: string): Record<string, string> {
  if (ref.includes('@')) return { fromImage: ref };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { fromImage: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { fromImage: ref, tag: 'latest' };
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
