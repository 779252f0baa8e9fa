// The one interface through which the grader talks to a container engine. Only
// docker-engine.ts implements it with dockerode; tests of pure logic use fakes.
// Everything the engine creates carries the run's labels (labels.ts), so cleanup can find it.

export interface EngineInfo {
  serverVersion: string;
  apiVersion: string;
  os: string;
}

export interface BuildRequest {
  /** Absolute path of the build context on the grader's disk. */
  contextDir: string;
  /** Path of the Dockerfile relative to contextDir. */
  dockerfile: string;
  /** Full image reference to tag the result with. */
  tag: string;
  buildArgs?: Record<string, string>;
  target?: string;
  /** Extra labels; the run labels are always added. */
  labels?: Record<string, string>;
  timeoutMs: number;
  /** Called with each line of build output, e.g. for progress in the log. */
  onLine?: (line: string) => void;
}

export type BuildResult =
  | { ok: true; imageId: string; log: string }
  | { ok: false; error: string; log: string };

export interface ContainerRequest {
  name: string;
  image: string;
  cmd?: string[];
  entrypoint?: string[];
  env?: Record<string, string>;
  /** Container ports (tcp) to publish on 127.0.0.1 with ephemeral host ports. */
  ports?: number[];
  user?: string;
  workdir?: string;
  labels?: Record<string, string>;
}

export interface ContainerState {
  id: string;
  name: string;
  image: string;
  /** created | running | paused | restarting | removing | exited | dead */
  status: string;
  running: boolean;
  exitCode: number;
  oomKilled: boolean;
  health?: string;
  startedAt?: string;
  finishedAt?: string;
  /** "8080/tcp" -> host port on 127.0.0.1 */
  publishedPorts: Record<string, number>;
  env: string[];
}

export interface ImageDetails {
  id: string;
  tags: string[];
  user: string;
  workdir: string;
  cmd: string[];
  entrypoint: string[];
  env: string[];
  /** e.g. ["8080/tcp"] */
  exposedPorts: string[];
  labels: Record<string, string>;
  layers: number;
  sizeBytes: number;
}

export interface ExecRequest {
  cmd: string[];
  user?: string;
  workdir?: string;
  env?: Record<string, string>;
  timeoutMs: number;
  /** Cap per stream; output beyond it is dropped and `truncated` is set. */
  maxOutputBytes: number;
}

export interface ExecResult {
  /** null when the command was still running at the timeout. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  timedOut: boolean;
}

export interface LogsResult {
  stdout: string;
  stderr: string;
  truncated: boolean;
}

export interface CleanupReport {
  containers: number;
  networks: number;
  volumes: number;
  images: number;
  /** Resources that could not be removed, with the reason. */
  failures: string[];
}

export interface ResourceFilter {
  /** Which run's resources; defaults to the engine's own run. */
  runId?: string;
  /** Narrow to one scope (e.g. one exercise) within the run. */
  scope?: string;
  /** Every run's resources (the `cleanup --all` reaper); runId and scope are ignored. */
  allRuns?: boolean;
}

export interface Engine {
  readonly runId: string;
  info(): Promise<EngineInfo>;
  build(request: BuildRequest): Promise<BuildResult>;
  createContainer(request: ContainerRequest): Promise<string>;
  startContainer(id: string): Promise<void>;
  inspectContainer(id: string): Promise<ContainerState>;
  /** undefined when no image has that reference. */
  inspectImage(ref: string): Promise<ImageDetails | undefined>;
  exec(containerId: string, request: ExecRequest): Promise<ExecResult>;
  logs(containerId: string, options: { maxBytes: number }): Promise<LogsResult>;
  /** Removes every container, network, volume and image carrying the run's labels. */
  removeResources(filter?: ResourceFilter): Promise<CleanupReport>;
}
