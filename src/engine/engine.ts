// The one interface through which the grader talks to a container engine. Only
// docker-engine.ts implements it with dockerode; tests of pure logic use fakes.
// Everything the engine creates carries the run's labels (naming/labels.ts), so cleanup can find
// it; the grader's own images go by their tags (naming/image-references.ts).
import type { Duplex } from 'node:stream';
import type { EngineIdentity } from './engine-kind';

/**
 * The capabilities every container the grader starts keeps (docs/security.md, boundary 2: all others
 * are dropped). A student's compose file may add these and no others.
 */
export const KEPT_CAPABILITIES: readonly string[] = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'NET_BIND_SERVICE',
];

const MIB = 1024 * 1024;
/**
 * docs/security.md, boundary 2: the limits of every container the grader starts, and of those a
 * student's docker commands start through the policy proxy (src/proxy): one source for both.
 */
export const HARDENED_LIMITS = {
  pids: 256,
  memory: 512 * MIB,
  nanoCpus: 1_000_000_000,
  ulimits: [
    { Name: 'core', Soft: 0, Hard: 0 },
    { Name: 'nofile', Soft: 1024, Hard: 1024 },
  ],
  logConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '1' } },
} as const;

export interface EngineInfo {
  serverVersion: string;
  apiVersion: string;
  os: string;
  /** The engine's CPUs, when it says (the default of `grade --concurrency`). */
  cpus?: number;
  /** Docker or Podman, from its /version answer (engine-kind.ts); absent: taken for Docker. */
  identity?: EngineIdentity;
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
  /**
   * Extra labels; the run labels are added. Without any, a build tagged in the run's own
   * namespace (labels.ts, isRunReference) gets no labels at all: cleanup finds it by its tag.
   */
  labels?: Record<string, string>;
  timeoutMs: number;
  /** Called with each line of build output, e.g. for progress in the log. */
  onLine?: (line: string) => void;
}

export type BuildResult =
  | { ok: true; imageId: string; log: string }
  | { ok: false; error: string; log: string };

export interface MountRequest {
  type: 'volume' | 'bind';
  /** Volume name, or an absolute host path (binds: the caller has checked it is inside the submission). */
  source: string;
  /** Absolute path in the container. */
  target: string;
  readOnly?: boolean;
}

export interface NetworkAttachment {
  /** The network's engine name. */
  name: string;
  aliases?: string[];
}

export interface HealthcheckRequest {
  /** As in the Engine API: ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]. */
  test: string[];
  intervalMs?: number;
  timeoutMs?: number;
  retries?: number;
  startPeriodMs?: number;
}

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
  hostname?: string;
  labels?: Record<string, string>;
  mounts?: MountRequest[];
  /** The first network is given at create time, the others are connected before start. */
  networks?: NetworkAttachment[];
  /** Share another container's network namespace ("container:<id>"), e.g. for reachability probes. */
  networkMode?: string;
  restartPolicy?: { name: 'no' | 'always' | 'unless-stopped' | 'on-failure'; maximumRetryCount?: number };
  healthcheck?: HealthcheckRequest;
}

export interface ContainerState {
  id: string;
  name: string;
  /** The image reference the container was created with, as given (a tag, or an id). */
  image: string;
  /** The id of the image it runs (what `image` named when it was created): its identity. */
  imageId?: string;
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
  /** "80/tcp" -> host ports bound, on any host address (what `docker run -p 8080:80` made). */
  portBindings: Record<string, number[]>;
  env: string[];
  labels: Record<string, string>;
  user: string;
  /** The policy the student asked for (RESTART_LABEL when the proxy kept it from the daemon). */
  restartPolicy: string;
  /** The policy the daemon applies: "no" for a student's container that bind-mounts a host path. */
  daemonRestartPolicy: string;
  restartCount: number;
  /**
   * The memory limit in bytes, the process limit, and the PID namespace ('' its own, `host`,
   * `container:<name or id>`), as the engine applies them; 0 is unlimited. Optional: fakes of
   * the interface need not say.
   */
  memory?: number;
  pidsLimit?: number;
  pidMode?: string;
  mounts: Array<{ type: string; source: string; destination: string; name?: string; readOnly: boolean }>;
  /** Network name -> this container's address and aliases on it. */
  networks: Record<string, { ipAddress: string; aliases: string[] }>;
  hostname: string;
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
  /** RootFS layer digests, oldest first: a base image's layers are a prefix of them. */
  layerDigests: string[];
  layers: number;
  sizeBytes: number;
  /** The image's HEALTHCHECK test, e.g. ["CMD-SHELL", "curl -f localhost"]; [] when none. */
  healthcheck: string[];
}

export interface ExecRequest {
  cmd: string[];
  user?: string;
  workdir?: string;
  env?: Record<string, string>;
  timeoutMs: number;
  /** Cap per stream; output beyond it is dropped and `truncated` is set. */
  maxOutputBytes: number;
  /** Every chunk of stdout as it arrives, before the cap (batched command checks read frames). */
  onStdout?: (chunk: Buffer) => void;
  /** Stop reading early: the result is then as at a timeout. */
  signal?: AbortSignal;
}

export interface ExecResult {
  /** null when the command was still running at the timeout. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  timedOut: boolean;
}

export interface LogsOptions {
  maxBytes: number;
  tailLines?: number;
}

export interface FollowLogsOptions {
  /** Bytes of stdout passed on, from the start; beyond them `truncated` is set and reading stops. */
  maxBytes: number;
  /** Each chunk of stdout as the container prints it (stderr is not followed). */
  onStdout: (chunk: Buffer) => void;
  /** Stops following; the result then says that the end was not reached. */
  signal: AbortSignal;
}

export interface FollowLogsResult {
  truncated: boolean;
  /** The stream ended (the container stopped) or reached the cap; false when the signal stopped it. */
  ended: boolean;
}

export interface LogsResult {
  stdout: string;
  stderr: string;
  truncated: boolean;
}

export interface NetworkDetails {
  id: string;
  name: string;
  driver: string;
  internal: boolean;
  labels: Record<string, string>;
  /** Names of the containers attached (without the leading slash). */
  containers: string[];
}

export interface VolumeDetails {
  name: string;
  driver: string;
  labels: Record<string, string>;
  mountpoint: string;
}

/** One entry of a container path read through the archive API. */
export interface PathEntry {
  type: 'file' | 'directory' | 'symlink' | 'other';
  /** Permission bits, e.g. 0o644. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  linkTarget?: string;
  /** The file's bytes, up to the requested cap (files only). */
  content?: Buffer;
  truncated?: boolean;
}

export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  state: string;
  labels: Record<string, string>;
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
  /** Only images, or only containers, networks and volumes ('runtime'); default: all of them. */
  only?: 'images' | 'runtime';
}

/** A raw connection to the engine's API, on which HTTP is spoken, and where the engine runs. */
export interface EngineConnection {
  /** How the daemon is named in messages, e.g. unix:///var/run/docker.sock */
  display: string;
  /**
   * Whether the engine runs on this machine (a unix socket, or a loopback address): only then
   * do bind-mount paths given to it name this machine's files (docs/decisions.md).
   */
  onThisMachine: boolean;
  /** A new connection, made with the same facts (socket, TLS material, SSH keys) as the grader's. */
  dial(): Promise<Duplex>;
}

/** What changed about a followed container; 'ended' when the engine stopped telling. */
export type ContainerChange = 'state' | 'output' | 'ended';

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
  /**
   * A container's output, capped at maxBytes per stream from the start; with `tailLines`, only
   * the last lines (what a failure report or a readiness wait needs after a flood of output).
   */
  logs(containerId: string, options: LogsOptions): Promise<LogsResult>;
  /**
   * A container's stdout from its start, passed on as it is printed, until the container stops
   * (a started or stopped container; a stopped one's output comes at once).
   */
  followLogs(containerId: string, options: FollowLogsOptions): Promise<FollowLogsResult>;
  /**
   * Removes every container, network, volume and image carrying the run's labels, and untags
   * the run's own image tags (labels.ts, runReferences).
   */
  removeResources(filter?: ResourceFilter): Promise<CleanupReport>;

  /** Stops gracefully (SIGTERM, then SIGKILL after timeoutSeconds). Already stopped is fine. */
  stopContainer(id: string, timeoutSeconds?: number): Promise<void>;
  killContainer(id: string, signal?: string): Promise<void>;
  restartContainer(id: string, timeoutSeconds?: number): Promise<void>;
  /**
   * Pauses a running container; false when it was not running (bind-writers.ts freezes the run's
   * containers while a bind source is checked and mounted). Optional: fakes need not implement it.
   */
  pauseContainer?(id: string): Promise<boolean>;
  unpauseContainer?(id: string): Promise<void>;

  removeContainer(id: string): Promise<void>;
  /** A container by engine name or id; undefined when there is none. */
  findContainer(nameOrId: string): Promise<ContainerState | undefined>;
  /** Containers (running or not) carrying every label given. */
  listContainers(labels: Record<string, string>): Promise<ContainerSummary[]>;
  /** Processes in a running container, as `docker top` shows them (the CMD column). */
  processes(id: string): Promise<string[]>;
  /**
   * Signals the daemon itself sent the container since `sinceMs` (its kill events): a container
   * the run did not stop, stopped by the daemon, means the daemon is shutting down or restarting.
   * Optional: fakes of the interface need not implement it.
   */
  killSignalsSince?(id: string, sinceMs: number): Promise<string[]>;
  /**
   * Follows a container until signal aborts: onChange('state') at each engine event about it
   * (start, die, health_status, ...), onChange('output') when it writes (with output: true).
   * Resolves once following. Optional: without it, waits ask the engine again and again.
   */
  watchContainer?(
    id: string,
    options: { output: boolean },
    onChange: (change: ContainerChange) => void,
    signal: AbortSignal,
  ): Promise<void>;
  /** Waits until the container is no longer running; returns its exit code, or null at the timeout. */
  waitForExit(id: string, timeoutMs: number): Promise<number | null>;

  createNetwork(request: {
    name: string;
    driver?: string;
    internal?: boolean;
    labels?: Record<string, string>;
  }): Promise<string>;
  inspectNetwork(nameOrId: string): Promise<NetworkDetails | undefined>;
  connectNetwork(network: string, containerId: string, aliases?: string[]): Promise<void>;
  createVolume(request: { name: string; labels?: Record<string, string> }): Promise<string>;
  inspectVolume(name: string): Promise<VolumeDetails | undefined>;

  /** Reads a path of a container (running or not) through the archive API, capped at maxBytes. */
  readPath(containerId: string, path: string, maxBytes: number): Promise<PathEntry | undefined>;
  /** Copies a host file or folder into a container's folder `targetDir` (archive API). */
  copyInto(containerId: string, hostPath: string, targetDir: string): Promise<void>;
  /** Copies a container path into another container's folder `targetDir`. */
  copyBetween(fromId: string, fromPath: string, toId: string, targetDir: string): Promise<void>;

  /** Pulls an image if the engine lacks it (used for the grader's own helper images). */
  ensureImage(ref: string, timeoutMs: number): Promise<void>;
  /**
   * Why the daemon was lost since info() (it stopped or restarted: the run's containers died
   * with it), or undefined. Optional: fakes of the interface need not implement it.
   */
  daemonLost?(): string | undefined;
  /** How a child process (docker CLI, compose) reaches this engine: DOCKER_HOST etc. */
  clientEnvironment(): Record<string, string>;
  /**
   * Raw connections to this engine's API, made as the grader's own are (the policy proxy's
   * upstream). Optional: fakes of the interface need not implement it.
   */
  connection?(): EngineConnection;
}
