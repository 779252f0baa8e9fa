// A scripted Engine for unit tests of the grading logic; the real one is tested on a real daemon.
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
} from '../../src/engine/engine';

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
  layers: 1,
  sizeBytes: 1,
};

export class FakeEngine implements Engine {
  readonly runId = 'fake-run';
  readonly calls: string[] = [];
  readonly removed: ResourceFilter[] = [];
  buildResult: BuildResult = { ok: true, imageId: 'sha256:1', log: 'Step 1/1' };
  images = new Map<string, ImageDetails>([['busybox', EMPTY_IMAGE]]);
  execResult: ExecResult = { exitCode: 0, stdout: 'hello\n', stderr: '', truncated: false, timedOut: false };
  running = true;
  /** Throw this from every call after `failAfterCalls` calls. */
  failure?: Error;
  failAfterCalls = Number.POSITIVE_INFINITY;

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
    return `id-${request.name}`;
  }
  async startContainer(id: string): Promise<void> {
    this.record(`start ${id}`);
  }
  async inspectContainer(id: string): Promise<ContainerState> {
    this.record(`inspect ${id}`);
    return {
      id,
      name: id,
      image: 'x',
      status: this.running ? 'running' : 'exited',
      running: this.running,
      exitCode: this.running ? 0 : 1,
      oomKilled: false,
      publishedPorts: { '8080/tcp': 49152 },
      env: [],
    };
  }
  async inspectImage(ref: string): Promise<ImageDetails | undefined> {
    this.record(`inspect-image ${ref}`);
    return this.images.get(ref);
  }
  async exec(containerId: string, request: ExecRequest): Promise<ExecResult> {
    this.record(`exec ${containerId} ${request.cmd.join(' ')}`);
    return this.execResult;
  }
  async logs(): Promise<LogsResult> {
    return { stdout: 'log line\n', stderr: '', truncated: false };
  }
  async removeResources(filter: ResourceFilter = {}): Promise<CleanupReport> {
    this.removed.push(filter);
    return { containers: 0, networks: 0, volumes: 0, images: 0, failures: [] };
  }
}
