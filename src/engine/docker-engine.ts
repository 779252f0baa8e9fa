// The Engine implemented on a real Docker daemon through dockerode. This class only composes the
// parts, each in its own file: transport/ (reaching the daemon, deadlines, failures), operations/
// (containers, images and builds, exec, networks and volumes, file copies, cleanup), wire/ (the
// API's formats) and rules/ (what the work is held to). Every call has a deadline, every output is
// read with a byte cap, and a daemon that cannot be reached becomes an InfraError (never a failed
// check, never a 0).

import { realpath } from 'node:fs/promises';
import { DockerApiError, FAULT_MEANING, InfraError } from '../shared/errors';
import { isRecord } from '../shared/records';
import type {
  BuildRequest,
  BuildResult,
  CleanupReport,
  ContainerChange,
  ContainerRequest,
  ContainerState,
  ContainerSummary,
  Engine,
  EngineConnection,
  EngineInfo,
  ExecRequest,
  ExecResult,
  FollowLogsOptions,
  FollowLogsResult,
  ImageDetails,
  LogsOptions,
  LogsResult,
  NetworkDetails,
  PathEntry,
  ResourceFilter,
  VolumeDetails,
} from './engine';
import { identifyEngine } from './engine-kind';
import { shortId, stringField } from './format';
import * as cleanup from './operations/cleanup';
import * as containers from './operations/containers';
import * as events from './operations/events';
import { runExec } from './operations/exec';
import * as files from './operations/file-copies';
import { followContainerLogs } from './operations/follow-logs';
import * as images from './operations/images-builds';
import * as networks from './operations/networks-volumes';
import { bindSources, changedBindSource, engineWriterControl, withWritersFrozen } from './rules/bind-writers';
import { DockerClient } from './transport/client';
import type { DockerEngineOptions } from './transport/connection';

export { DEFAULT_CALL_TIMEOUT_MS } from './transport/client';
export type { DockerEngineOptions } from './transport/connection';
// Callers catch refusals as DockerApiError; it lives in errors.ts so the pure core can too.
export { DockerApiError };

/**
 * The oldest Engine API the grader accepts: Docker 19.03. What it uses (mounts with volume
 * labels, init, healthcheck start periods, wait conditions) needs 1.30 at least, and it is
 * tested on 1.41; an older engine is refused up front with the reason, rather than failing
 * later in ways that could look like the student's doing.
 */
export const MIN_API_VERSION = '1.40';

/** "1.41" >= "1.40", compared as numbers part by part ("1.9" < "1.10"). */
export function apiVersionAtLeast(version: string, minimum: string): boolean {
  const parts = (text: string) => text.split('.').map((part) => Number.parseInt(part, 10));
  const [have, need] = [parts(version), parts(minimum)];
  if (have.some((part) => Number.isNaN(part))) return false;
  for (let index = 0; index < need.length; index += 1) {
    const difference = (have[index] ?? 0) - (need[index] ?? 0);
    if (difference !== 0) return difference > 0;
  }
  return true;
}

/** The engine `host` names (a DOCKER_HOST value), else DOCKER_HOST's, else the local socket. */
export function createDockerEngine(runId: string, host = process.env.DOCKER_HOST): DockerEngine {
  return new DockerEngine(host ? { runId, host } : { runId });
}

export class DockerEngine implements Engine {
  readonly runId: string;
  /** Per container this engine created: each bind source and the real path it had at create. */
  private readonly approvedBindSources = new Map<string, Map<string, string>>();
  private readonly client: DockerClient;

  constructor(options: DockerEngineOptions) {
    this.runId = options.runId;
    this.client = new DockerClient(options);
  }

  async info(): Promise<EngineInfo> {
    // The CPU count only sizes the default concurrency: an engine that does not say is no fault.
    const [version, system] = await Promise.all([
      this.client.version(),
      this.client.engineWide('/info').catch(() => undefined),
    ]);
    const record = isRecord(version) ? version : {};
    const cpus = isRecord(system) ? system.NCPU : undefined;
    const info = {
      serverVersion: stringField(record, 'Version'),
      apiVersion: stringField(record, 'ApiVersion'),
      os: stringField(record, 'Os'),
      ...(typeof cpus === 'number' && cpus > 0 ? { cpus } : {}),
      identity: identifyEngine(version),
    };
    if (!apiVersionAtLeast(info.apiVersion, MIN_API_VERSION)) {
      throw new InfraError(
        `${FAULT_MEANING['api-version']}: the Docker engine at ${this.client.endpoint} speaks API ${info.apiVersion || '(unknown)'} (Docker ${info.serverVersion || 'unknown'}); the grader needs API ${MIN_API_VERSION} or newer (Docker 19.03+)`,
        'api-version',
      );
    }
    void this.client.watchDaemon();
    return info;
  }

  /**
   * Aborts every request in flight (a build, an exec, a wait) and refuses new ones: the run was
   * interrupted, and only cleanup, through another engine object, talks to the daemon now.
   */
  close(): void {
    this.client.close();
  }

  /** Calls `onEvent` whenever the engine reports something of this run (created, tagged, ...). */
  watchRunEvents(onEvent: () => void): () => void {
    return this.client.watchRunEvents(onEvent);
  }

  daemonLost(): string | undefined {
    return this.client.lostReason;
  }

  clientEnvironment(): Record<string, string> {
    return { ...this.client.childEnvironment };
  }

  connection(): EngineConnection {
    return this.client.connection;
  }

  build(request: BuildRequest): Promise<BuildResult> {
    return images.buildImage(this.client, request);
  }

  inspectImage(ref: string): Promise<ImageDetails | undefined> {
    return images.inspectImage(this.client, ref);
  }

  ensureImage(ref: string, timeoutMs: number): Promise<void> {
    return images.ensureImage(this.client, ref, timeoutMs);
  }

  async createContainer(request: ContainerRequest): Promise<string> {
    // The real paths the bind sources had when they were checked (mountSettings, at create):
    // what a start must find again (withBindsHeld).
    const approved = new Map<string, string>();
    for (const mount of request.mounts ?? []) {
      if (mount.type !== 'bind') continue;
      const real = await realpath(mount.source).catch(() => undefined);
      if (real !== undefined) approved.set(mount.source, real);
    }
    const id = await containers.createContainer(this.client, request);
    if (approved.size > 0) this.approvedBindSources.set(id, approved);
    return id;
  }

  startContainer(id: string): Promise<void> {
    return this.withBindsHeld([id], () => containers.startContainer(this.client, id));
  }

  inspectContainer(id: string): Promise<ContainerState> {
    return containers.inspectContainer(this.client, id);
  }

  stopContainer(id: string, timeoutSeconds?: number): Promise<void> {
    return containers.stopContainer(this.client, id, timeoutSeconds);
  }

  killContainer(id: string, signal?: string): Promise<void> {
    return containers.killContainer(this.client, id, signal);
  }

  pauseContainer(id: string): Promise<boolean> {
    return containers.pauseContainer(this.client, id);
  }

  unpauseContainer(id: string): Promise<void> {
    return containers.unpauseContainer(this.client, id);
  }

  async restartContainer(id: string, timeoutSeconds?: number): Promise<void> {
    const raw = await this.client.inspectOrUndefined(
      `inspect container ${shortId(id)}`,
      `/containers/${encodeURIComponent(id)}/json`,
    );
    if (!isRecord(raw) || bindSources(raw).length === 0) {
      return containers.restartContainer(this.client, id, timeoutSeconds);
    }
    // Stopped first, outside the freeze (paused, it could not stop gracefully), then started
    // with its bind sources checked under the freeze, as a start is.
    await containers.stopContainer(this.client, id, timeoutSeconds);
    await this.startContainer(id);
  }

  removeContainer(id: string): Promise<void> {
    return containers.removeContainer(this.client, id);
  }

  findContainer(nameOrId: string): Promise<ContainerState | undefined> {
    return containers.findContainer(this.client, nameOrId);
  }

  listContainers(labels: Record<string, string>): Promise<ContainerSummary[]> {
    return containers.listContainers(this.client, labels);
  }

  processes(id: string): Promise<string[]> {
    return containers.processes(this.client, id);
  }

  killSignalsSince(id: string, sinceMs: number): Promise<string[]> {
    return containers.killSignalsSince(this.client, id, sinceMs);
  }

  watchContainer(
    id: string,
    options: { output: boolean },
    onChange: (change: ContainerChange) => void,
    signal: AbortSignal,
  ): Promise<void> {
    return events.watchContainer(this.client, id, options, onChange, signal);
  }

  waitForExit(id: string, timeoutMs: number): Promise<number | null> {
    return containers.waitForExit(this.client, id, timeoutMs);
  }

  logs(containerId: string, options: LogsOptions): Promise<LogsResult> {
    return containers.containerLogs(this.client, containerId, options);
  }

  followLogs(containerId: string, options: FollowLogsOptions): Promise<FollowLogsResult> {
    return followContainerLogs(this.client, containerId, options);
  }

  exec(containerId: string, request: ExecRequest): Promise<ExecResult> {
    return runExec(this.client, containerId, request);
  }

  createNetwork(request: {
    name: string;
    driver?: string;
    internal?: boolean;
    labels?: Record<string, string>;
  }): Promise<string> {
    return networks.createNetwork(this.client, request);
  }

  inspectNetwork(nameOrId: string): Promise<NetworkDetails | undefined> {
    return networks.inspectNetwork(this.client, nameOrId);
  }

  connectNetwork(network: string, containerId: string, aliases?: string[]): Promise<void> {
    return networks.connectNetwork(this.client, network, containerId, aliases);
  }

  createVolume(request: { name: string; labels?: Record<string, string> }): Promise<string> {
    return networks.createVolume(this.client, request);
  }

  inspectVolume(name: string): Promise<VolumeDetails | undefined> {
    return networks.inspectVolume(this.client, name);
  }

  readPath(containerId: string, pathInContainer: string, maxBytes: number): Promise<PathEntry | undefined> {
    return this.withBindsHeld([containerId], () =>
      files.readPath(this.client, containerId, pathInContainer, maxBytes),
    );
  }

  copyInto(containerId: string, hostPath: string, targetDir: string): Promise<void> {
    return this.withBindsHeld([containerId], () =>
      files.copyInto(this.client, containerId, hostPath, targetDir),
    );
  }

  copyBetween(fromId: string, fromPath: string, toId: string, targetDir: string): Promise<void> {
    return this.withBindsHeld([fromId, toId], () =>
      files.copyBetween(this.client, fromId, fromPath, toId, targetDir),
    );
  }

  /**
   * A start, and the archive API, make the daemon mount each bind source of the container again,
   * by path (docker cp into a container whose folder was swapped for a symlink to `/` writes on
   * the host): for a container with binds, the call runs with the run's containers paused, once
   * its sources were found unchanged (bind-writers.ts).
   */
  private async withBindsHeld<T>(containerIds: string[], action: () => Promise<T>): Promise<T> {
    const sources: string[] = [];
    const approved = new Map<string, string>();
    for (const id of containerIds) {
      const raw = await this.client.inspectOrUndefined(
        `inspect container ${shortId(id)}`,
        `/containers/${encodeURIComponent(id)}/json`,
      );
      if (!isRecord(raw)) continue;
      sources.push(...bindSources(raw));
      const full = typeof raw.Id === 'string' ? raw.Id : id;
      for (const [source, real] of this.approvedBindSources.get(full) ?? []) approved.set(source, real);
    }
    if (sources.length === 0) return action();
    return withWritersFrozen(this.runId, engineWriterControl(this), async () => {
      const changed = await changedBindSource(sources, (source) => approved.get(source) ?? source);
      if (changed !== undefined) throw new DockerApiError(`refused: ${changed}`, 409);
      return action();
    });
  }

  removeResources(filter?: ResourceFilter): Promise<CleanupReport> {
    return cleanup.removeResources(this.client, filter);
  }
}
