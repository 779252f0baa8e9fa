// A scripted Engine for unit tests of the grading logic; the real one is tested on a real daemon.
// Simple in-memory behaviour: what was created can be found, listed, inspected and removed again.
import type {
  BuildRequest,
  BuildResult,
  CleanupReport,
  ContainerRequest,
  ContainerState,
  ContainerSummary,
  Engine,
  EngineInfo,
  ExecRequest,
  ExecResult,
  FollowLogsOptions,
  FollowLogsResult,
  ImageDetails,
  LogsResult,
  NetworkDetails,
  PathEntry,
  ResourceFilter,
  VolumeDetails,
} from '../../src/engine/engine';
import { runLabels } from '../../src/naming/labels';
import { Resources, type RunContext } from '../../src/run/context';

export const EMPTY_IMAGE: ImageDetails = {
  id: 'sha256:0',
  tags: [],
  user: '',
  workdir: '',
  cmd: [],
  entrypoint: [],
  env: [],
  exposedPorts: [],
  labels: {},
  layerDigests: ['sha256:layer0'],
  layers: 1,
  sizeBytes: 1,
  healthcheck: [],
};

/** An exec's answer: its exit code and output, which ended on its own and was not cut. */
export function execAnswer(exitCode: number, stdout = '', stderr = ''): ExecResult {
  return { exitCode, stdout, stderr, truncated: false, timedOut: false };
}

export class FakeEngine implements Engine {
  readonly runId = 'fake-run';
  readonly calls: string[] = [];
  readonly removed: ResourceFilter[] = [];
  buildResult: BuildResult = { ok: true, imageId: 'sha256:1', log: 'Step 1/1' };
  images = new Map<string, ImageDetails>([['busybox', EMPTY_IMAGE]]);
  execResult: ExecResult = execAnswer(0, 'hello\n');
  running = true;
  /** Throw this from every call after `failAfterCalls` calls. */
  failure?: Error;
  failAfterCalls = Number.POSITIVE_INFINITY;

  /** Containers created, by id (`id-<name>`), with what was asked. */
  readonly containers = new Map<string, ContainerRequest>();
  /** Per-container running state set by stop/kill/restart; `running` applies to the others. */
  readonly runningById = new Map<string, boolean>();
  /** Overrides merged into inspectContainer's answer, by container id. */
  readonly states = new Map<string, Partial<ContainerState>>();
  readonly networks = new Map<string, NetworkDetails>();
  readonly volumes = new Map<string, VolumeDetails>();
  /** Container paths readPath answers, by path (any container), or by "<containerId>:<path>". */
  readonly paths = new Map<string, PathEntry>();
  /** What processes() answers. */
  processList = ['sleep 300'];
  /** What waitForExit answers for a container that is not running. */
  exitCode = 0;
  /** Images ensureImage cannot pull (as if offline). */
  readonly unpullable = new Set<string>();

  private record(call: string): void {
    this.calls.push(call);
    if (this.failure && this.calls.length > this.failAfterCalls) throw this.failure;
  }

  async info(): Promise<EngineInfo> {
    this.record('info');
    return { serverVersion: 'fake', apiVersion: '1.41', os: 'linux' };
  }
  async build(request: BuildRequest): Promise<BuildResult> {
    this.record(`build ${request.tag}`);
    if (this.buildResult.ok) this.images.set(request.tag, { ...EMPTY_IMAGE, workdir: '/app' });
    return this.buildResult;
  }
  async createContainer(request: ContainerRequest): Promise<string> {
    this.record(`create ${request.name} from ${request.image}`);
    const id = `id-${request.name}`;
    this.containers.set(id, request);
    return id;
  }
  async startContainer(id: string): Promise<void> {
    this.record(`start ${id}`);
    if (this.containers.has(id)) this.runningById.set(id, true);
  }
  async inspectContainer(id: string): Promise<ContainerState> {
    this.record(`inspect ${id}`);
    return this.stateOf(id);
  }
  async inspectImage(ref: string): Promise<ImageDetails | undefined> {
    this.record(`inspect-image ${ref}`);
    // Like the engine: an image by its id as well as by a tag (base images are pinned by id).
    return this.images.get(ref) ?? [...this.images.values()].find((image) => image.id === ref);
  }
  async exec(containerId: string, request: ExecRequest): Promise<ExecResult> {
    this.record(`exec ${containerId} ${request.cmd.join(' ')}`);
    return this.execResult;
  }
  async logs(): Promise<LogsResult> {
    return { stdout: 'log line\n', stderr: '', truncated: false };
  }
  async followLogs(_id: string, options: FollowLogsOptions): Promise<FollowLogsResult> {
    options.onStdout(Buffer.from('log line\n'));
    return { truncated: false, ended: true };
  }
  async removeResources(filter: ResourceFilter = {}): Promise<CleanupReport> {
    this.removed.push(filter);
    return { containers: 0, networks: 0, volumes: 0, images: 0, failures: [] };
  }

  async stopContainer(id: string): Promise<void> {
    this.record(`stop ${id}`);
    this.runningById.set(id, false);
  }
  async killContainer(id: string, signal = 'SIGKILL'): Promise<void> {
    this.record(`kill ${id} ${signal}`);
    this.runningById.set(id, false);
  }
  async restartContainer(id: string): Promise<void> {
    this.record(`restart ${id}`);
    this.runningById.set(id, true);
  }
  async removeContainer(id: string): Promise<void> {
    this.record(`remove ${id}`);
    this.containers.delete(id);
    this.runningById.delete(id);
  }
  async findContainer(nameOrId: string): Promise<ContainerState | undefined> {
    this.record(`find ${nameOrId}`);
    const wanted = nameOrId.replace(/^\//, '');
    for (const [id, request] of this.containers) {
      if (id === wanted || request.name === wanted) return this.stateOf(id);
    }
    return undefined;
  }
  async listContainers(labels: Record<string, string>): Promise<ContainerSummary[]> {
    this.record(
      `list ${Object.entries(labels)
        .map(([key, value]) => `${key}=${value}`)
        .join(',')}`,
    );
    return [...this.containers.entries()]
      .map(([id, request]) => this.summaryOf(id, request))
      .filter((summary) => Object.entries(labels).every(([key, value]) => summary.labels[key] === value));
  }
  async processes(id: string): Promise<string[]> {
    this.record(`processes ${id}`);
    return [...this.processList];
  }
  async waitForExit(id: string): Promise<number | null> {
    this.record(`wait ${id}`);
    return this.isRunning(id) ? null : this.exitCode;
  }

  async createNetwork(request: {
    name: string;
    driver?: string;
    internal?: boolean;
    labels?: Record<string, string>;
  }): Promise<string> {
    this.record(`create-network ${request.name}`);
    const id = `net-${request.name}`;
    this.networks.set(request.name, {
      id,
      name: request.name,
      driver: request.driver ?? 'bridge',
      internal: request.internal === true,
      labels: { ...request.labels, ...runLabels(this.runId) },
      containers: [],
    });
    return id;
  }
  async inspectNetwork(nameOrId: string): Promise<NetworkDetails | undefined> {
    this.record(`inspect-network ${nameOrId}`);
    const network = [...this.networks.values()].find(
      (item) => item.name === nameOrId || item.id === nameOrId,
    );
    if (network === undefined) return undefined;
    // Like the daemon: the containers attached at create time, and those connected since.
    const attached = [...this.containers.entries()]
      .filter(([, request]) => request.networks?.some((item) => item.name === network.name))
      .map(([, request]) => request.name);
    return { ...network, containers: [...new Set([...network.containers, ...attached])].sort() };
  }
  async connectNetwork(network: string, containerId: string, aliases: string[] = []): Promise<void> {
    this.record(`connect ${network} ${containerId} ${aliases.join(',')}`.trim());
    const details = this.networks.get(network);
    const name = this.containers.get(containerId)?.name ?? containerId;
    if (details !== undefined && !details.containers.includes(name)) details.containers.push(name);
  }
  async createVolume(request: { name: string; labels?: Record<string, string> }): Promise<string> {
    this.record(`create-volume ${request.name}`);
    this.volumes.set(request.name, {
      name: request.name,
      driver: 'local',
      labels: { ...request.labels, ...runLabels(this.runId) },
      mountpoint: `/var/lib/docker/volumes/${request.name}/_data`,
    });
    return request.name;
  }
  async inspectVolume(name: string): Promise<VolumeDetails | undefined> {
    this.record(`inspect-volume ${name}`);
    return this.volumes.get(name);
  }

  async readPath(containerId: string, path: string, maxBytes: number): Promise<PathEntry | undefined> {
    this.record(`read ${containerId} ${path}`);
    const entry = this.paths.get(`${containerId}:${path}`) ?? this.paths.get(path);
    if (entry?.content === undefined) return entry;
    return {
      ...entry,
      content: entry.content.subarray(0, maxBytes),
      truncated: entry.content.length > maxBytes,
    };
  }
  async copyInto(containerId: string, hostPath: string, targetDir: string): Promise<void> {
    this.record(`copy-into ${containerId} ${hostPath} ${targetDir}`);
  }
  async copyBetween(fromId: string, fromPath: string, toId: string, targetDir: string): Promise<void> {
    this.record(`copy-between ${fromId} ${fromPath} ${toId} ${targetDir}`);
  }

  async ensureImage(ref: string): Promise<void> {
    this.record(`ensure-image ${ref}`);
    if (this.images.has(ref)) return;
    if (this.unpullable.has(ref)) {
      throw new Error(`image ${ref} is not on the engine and could not be pulled: offline`);
    }
    this.images.set(ref, { ...EMPTY_IMAGE, tags: [ref] });
  }
  clientEnvironment(): Record<string, string> {
    return { DOCKER_HOST: 'unix:///fake/docker.sock' };
  }

  private isRunning(id: string): boolean {
    return this.runningById.get(id) ?? this.running;
  }

  private stateOf(id: string): ContainerState {
    const request = this.containers.get(id);
    const running = this.isRunning(id);
    return {
      id,
      name: request?.name ?? id,
      image: request?.image ?? 'x',
      status: running ? 'running' : 'exited',
      running,
      exitCode: running ? 0 : 1,
      oomKilled: false,
      health: request?.healthcheck ? 'healthy' : undefined,
      publishedPorts: { '8080/tcp': 49152 },
      portBindings: { '8080/tcp': [49152] },
      env: Object.entries(request?.env ?? {}).map(([key, value]) => `${key}=${value}`),
      labels: { ...request?.labels, ...runLabels(this.runId) },
      user: request?.user ?? '',
      restartPolicy: request?.restartPolicy?.name ?? 'no',
      daemonRestartPolicy: request?.restartPolicy?.name ?? 'no',
      restartCount: 0,
      mounts: (request?.mounts ?? []).map((mount) => ({
        type: mount.type,
        source: mount.source,
        destination: mount.target,
        ...(mount.type === 'volume' ? { name: mount.source } : {}),
        readOnly: mount.readOnly === true,
      })),
      networks: Object.fromEntries(
        (request?.networks ?? [{ name: 'bridge' }]).map((network, index) => [
          network.name,
          { ipAddress: `172.18.0.${index + 2}`, aliases: network.aliases ?? [] },
        ]),
      ),
      hostname: request?.hostname ?? id.slice(0, 12),
      ...this.states.get(id),
    };
  }

  private summaryOf(id: string, request: ContainerRequest): ContainerSummary {
    return {
      id,
      name: request.name,
      image: request.image,
      state: this.isRunning(id) ? 'running' : 'exited',
      labels: { ...request.labels, ...runLabels(this.runId) },
    };
  }
}

/** A run context on `engine` for one exercise whose submission is `submissionDir`; HTTP answers 200. */
export function fakeRunContext(engine: Engine, submissionDir: string, exerciseId = 'unit/steps'): RunContext {
  return {
    exerciseId,
    engine,
    http: async () => ({ status: 200, headers: {}, body: '', truncated: false }),
    resources: new Resources(),
    submissionRoot: submissionDir,
    submissionDir,
    scope: 'fake-run-1',
    deadline: Date.now() + 60_000,
    progress: { info: () => {}, output: () => {} },
    now: Date.now,
  };
}
